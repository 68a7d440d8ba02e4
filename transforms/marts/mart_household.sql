-- mart.household (interfaces.md section 3)
-- grain: one row per household on $as_of (policy section 2): every active family (also one whose valid
-- member rows are all placed elsewhere or that has none: a family is a case of its own), and every open
-- application and hukou household in which int.household_assignment places at least one person (an open
-- application all of whose persons belong to active families - e.g. a family member's 临时救助 request -
-- is not a household of its own).
-- kind: family / application / hukou. member_count: the members (policy section 2: placed, not dead before
-- the as-of month, hukou not 迁出/注销), never 保障人数; 0 is possible. placed_count also counts the placed
-- non-members. town and area per policy section 1: a 低保/特困 family its 乡镇街道 with the area of its
-- 救助类别 prefix (城市 urban, 农村 rural); a 低保边缘 family its 乡镇街道; an application the applicant's
-- hukou 乡镇街道, else 受理乡镇街道; a hukou household its 户号's 乡镇街道; without a category prefix a
-- 街道 is urban and a 镇 rural. head_id_number: the family's or application's applicant (申请人身份证号),
-- the 户号's 正常 户主 for a hukou household (null when headless), the person of a 集体户 household; the
-- head may be placed elsewhere or dead (head_is_member = false), e.g. a 户主 who belongs to a family.

with

assignment as (

    select * from int.household_assignment

),

families as (

    select * from stg.assistance__family
    where is_active

),

applications as (

    select * from stg.assistance__application
    where is_open

),

hukou as (

    select * from int.hukou_registration

),

counts as (

    select
        household_id,
        count(*) filter (where is_member) as member_count,
        count(*) as placed_count

    from assignment
    group by household_id

),

family_households as (

    select
        families.family_no as household_id,
        'family' as kind,
        families.town,
        families.village,
        case
            when families.category like '城市%' then 'urban'
            when families.category like '农村%' then 'rural'
        end as category_area,
        case when families.applicant_id_number_status in ('valid', 'legacy15')
            then families.applicant_id_number end as head_id_number,
        families.family_no,
        cast(null as varchar) as application_no,
        cast(null as varchar) as hukou_no,
        false as is_collective,
        families.category as assistance_category,
        families.status as family_status,
        cast(null as varchar) as application_category

    from families

),

application_households as (

    select
        applications.application_no as household_id,
        'application' as kind,
        coalesce(applicant_hukou.town, applications.town) as town,
        applicant_hukou.village,
        cast(null as varchar) as category_area,
        case when applications.applicant_id_number_status in ('valid', 'legacy15')
            then applications.applicant_id_number end as head_id_number,
        cast(null as varchar) as family_no,
        applications.application_no,
        cast(null as varchar) as hukou_no,
        false as is_collective,
        cast(null as varchar) as assistance_category,
        cast(null as varchar) as family_status,
        applications.category as application_category

    from applications
    inner join counts on counts.household_id = applications.application_no
    left join hukou as applicant_hukou on applicant_hukou.id_number = applications.applicant_id_number

),

hukou_placed as (

    select
        assignment.household_id,
        hukou.hukou_no,
        hukou.is_collective,
        hukou.town,
        hukou.village,
        hukou.id_number

    from assignment
    inner join hukou on hukou.id_number = assignment.id_number
    where assignment.kind = 'hukou'

),

hukou_heads as (

    -- the 户号's registered head: a 正常 户主 whose registration (the one rule 3 counts) is this 户号
    select
        hukou_no,
        min(id_number) as head_id_number

    from hukou
    where relation_to_head = '户主' and status = '正常' and not is_collective
    group by hukou_no

),

hukou_households as (

    select
        hukou_placed.household_id,
        'hukou' as kind,
        any_value(hukou_placed.town) as town,
        any_value(hukou_placed.village) as village,
        cast(null as varchar) as category_area,
        case
            when any_value(hukou_placed.is_collective) then any_value(hukou_placed.id_number)
            else any_value(hukou_heads.head_id_number)
        end as head_id_number,
        cast(null as varchar) as family_no,
        cast(null as varchar) as application_no,
        any_value(hukou_placed.hukou_no) as hukou_no,
        any_value(hukou_placed.is_collective) as is_collective,
        cast(null as varchar) as assistance_category,
        cast(null as varchar) as family_status,
        cast(null as varchar) as application_category

    from hukou_placed
    left join hukou_heads on hukou_heads.hukou_no = hukou_placed.hukou_no
    group by hukou_placed.household_id

),

households as (

    select * from family_households
    union all
    select * from application_households
    union all
    select * from hukou_households

),

final as (

    select
        households.household_id,
        households.kind,
        households.town,
        households.village,
        coalesce(
            households.category_area,
            case
                when households.town like '%街道' then 'urban'
                when households.town like '%镇' then 'rural'
            end
        ) as area,
        cast(coalesce(counts.member_count, 0) as bigint) as member_count,
        cast(coalesce(counts.placed_count, 0) as bigint) as placed_count,
        households.head_id_number,
        coalesce(head.is_member and head.household_id = households.household_id, false) as head_is_member,
        households.family_no,
        households.application_no,
        households.hukou_no,
        households.is_collective,
        households.assistance_category,
        households.family_status,
        households.application_category

    from households
    left join counts on counts.household_id = households.household_id
    left join assignment as head on head.id_number = households.head_id_number

)

select * from final
