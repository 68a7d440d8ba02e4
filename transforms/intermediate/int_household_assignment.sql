-- int.household_assignment
-- grain: one row per person with a trustworthy normal-form ID number who is placed in a household on
-- $as_of (policy section 2): exactly one household per person, by the first rule that applies -
--   1. the active family (not deleted, 家庭状态 在保/暂停) in which he has a valid jz_member row
--      (删除标志 '0'); of several, the latest 审批日期, then the greatest 家庭编号;
--   2. else the open application (申请状态 已受理/核对中) naming him as applicant or in a valid
--      jz_application_member row; of several, the latest 申请日期, then the greatest 申请编号;
--   3. else his 户号 (int.hukou_registration: one per person) if his 人员状态 is 正常; a 集体户 person
--      forms a one-person household.
-- household_id: 家庭编号 / 申请编号 / 'HK' + 户号 / 'HK' + 户号 + '-' + ID (集体户).
-- is_member: the person counts among the household's members (member_count): not dead before the first day
-- of the as-of month (int.person_deaths) and hukou 人员状态 not 迁出/注销. Placed non-members (the dead,
-- the moved out) are kept so that their household stays known (alerts on dead 是 members need it).
-- Persons no rule places (no active family, no open application, hukou not 正常 or absent) have no row.

with

families as (

    select * from stg.assistance__family
    where is_active

),

family_members as (

    select * from stg.assistance__member
    where not is_deleted
        and member_id_number_status in ('valid', 'legacy15')

),

applications as (

    select * from stg.assistance__application
    where is_open

),

application_members as (

    select * from stg.assistance__application_member
    where not is_deleted
        and member_id_number_status in ('valid', 'legacy15')

),

hukou as (

    select * from int.hukou_registration

),

deaths as (

    select * from int.person_deaths

),

-- rule 1 ---------------------------------------------------------------------------------------------

family_candidates as (

    select
        family_members.member_id_number as id_number,
        families.family_no as household_id,
        'family' as kind,
        1 as placement_rule,
        family_members.relation_to_applicant as relation_to_head,
        family_members.is_covered = '是' as is_covered,
        row_number() over (
            partition by family_members.member_id_number
            order by families.approval_date desc, families.family_no desc
        ) as candidate_rank,
        count(*) over (partition by family_members.member_id_number) as candidate_count

    from family_members
    inner join families on families.family_no = family_members.family_no

),

-- rule 2 ---------------------------------------------------------------------------------------------

application_persons as (

    -- the applicant, and every valid member row (the applicant's own 本人 row included)
    select
        applications.application_no,
        applications.application_date,
        applications.applicant_id_number as id_number,
        '本人' as relation_to_head,
        1 as source_rank

    from applications
    where applications.applicant_id_number_status in ('valid', 'legacy15')

    union all

    select
        applications.application_no,
        applications.application_date,
        application_members.member_id_number as id_number,
        application_members.relation_to_applicant as relation_to_head,
        0 as source_rank

    from application_members
    inner join applications on applications.application_no = application_members.application_no

),

application_named as (

    -- one row per (application, person); the member row's relation wins over the applicant default
    select *
    from application_persons
    qualify row_number() over (
        partition by application_no, id_number order by source_rank
    ) = 1

),

application_candidates as (

    select
        id_number,
        application_no as household_id,
        'application' as kind,
        2 as placement_rule,
        relation_to_head,
        cast(null as boolean) as is_covered,
        row_number() over (
            partition by id_number order by application_date desc, application_no desc
        ) as candidate_rank,
        count(*) over (partition by id_number) as candidate_count

    from application_named

),

-- rule 3 ---------------------------------------------------------------------------------------------

hukou_candidates as (

    select
        id_number,
        case
            when is_collective then 'HK' || hukou_no || '-' || id_number
            else 'HK' || hukou_no
        end as household_id,
        'hukou' as kind,
        3 as placement_rule,
        relation_to_head,
        cast(null as boolean) as is_covered,
        1 as candidate_rank,
        registration_count as candidate_count

    from hukou
    where status = '正常'

),

candidates as (

    select * from family_candidates where candidate_rank = 1
    union all
    select * from application_candidates where candidate_rank = 1
    union all
    select * from hukou_candidates

),

placed as (

    select *
    from candidates
    qualify row_number() over (partition by id_number order by placement_rule) = 1

),

final as (

    select
        placed.id_number,
        placed.household_id,
        placed.kind,
        placed.placement_rule,
        placed.candidate_count,
        placed.relation_to_head,
        placed.is_covered,
        hukou.status as hukou_status,
        deaths.death_date,
        not coalesce(
            deaths.death_date < cast(date_trunc('month', cast($as_of as date)) as date)
            or hukou.status in ('迁出', '注销'),
            false
        ) as is_member

    from placed
    left join hukou on hukou.id_number = placed.id_number
    left join deaths on deaths.id_number = placed.id_number

)

select * from final
