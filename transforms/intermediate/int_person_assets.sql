-- int.person_assets
-- grain: one row per (person, asset_kind, asset_key) on $as_of - an asset fact of policy section 4 about a
-- person with a trustworthy ID number (status valid or legacy15):
--   vehicle (asset_key = 车辆识别代号): a vehicle of the latest snapshot owned by the person; counts while
--     机动车状态 has none of B, E, M, P; is_nonexempt: counts and 车辆类型 not exempt.
--   property_unit (不动产单元号): a unit the person currently holds (replayed change log), whatever the
--     share; property_class residential (住宅), nonresidential (商业, 办公, 工业) or ignored (车位, 其他);
--     counts unless ignored. floor_area: 建筑面积 (empty counts 0).
--   business (统一社会信用代码): an entity of the latest snapshot where the person has a role; counts when
--     a role breaks the business limit: 法定代表人, 股东, 投资人 or 执行事务合伙人 of a 存续/在业 entity other
--     than a 个体工商户 (the 投资人 of a 农民专业合作社 excepted, its 法定代表人 counts), or 经营者 of a
--     存续/在业 个体工商户 whose 资金数额 exceeds max_getihu_capital (empty 资金数额 does not). roles lists
--     the person's roles there.
--   disability (残疾人证号): a certificate of the latest snapshot; counts when severe (有效/过期, 一级/二级,
--     or 三级 智力/精神).
--   bank_response (批次号): the person's most recent bank response (by 返回时间, then 批次号; re-deliveries
--     already supersede) with 返回时间 in the 12 months before $as_of, among responses covered by a signed
--     授权书: the request's 申请编号 is an application with 授权书签署 是, a 授权书签署日期, 申请状态 not
--     已撤回, naming the person (applicant or valid jz_application_member row). amount: sum of 余额 of its
--     成功 rows (查询失败 / 无记录 add 0); counts always (the member has a response).
-- observed_on: the date the fact is as of (bank: the day before 返回时间; others: the snapshot's date).

with

parameters as (

    select * from stg.policy__parameters
    where is_in_effect

),

vehicles as (

    select * from stg.vehicles__vehicle
    where owner_id_status in ('valid', 'legacy15')

),

holdings as (

    select * from stg.property__holding
    where holder_id_status in ('valid', 'legacy15')

),

entities as (

    select * from stg.business__entity

),

entity_persons as (

    select * from stg.business__person
    where id_number_status in ('valid', 'legacy15')

),

certificates as (

    select * from stg.disability__certificate
    where id_number_status in ('valid', 'legacy15')

),

bank_results as (

    select * from stg.bank__result
    where id_number_status in ('valid', 'legacy15')

),

applications as (

    select * from stg.assistance__application

),

application_members as (

    select * from stg.assistance__application_member
    where not is_deleted

),

getihu_cap as (

    select coalesce(
        (select value from parameters where name = 'max_getihu_capital' and area = 'all'),
        error('policy parameter max_getihu_capital has no row in effect on the as-of date')
    ) as cap

),

vehicle_assets as (

    select
        owner_id as id_number,
        'vehicle' as asset_kind,
        vin as asset_key,
        vehicle_type as asset_type,
        status,
        counts,
        counts and not is_exempt as is_nonexempt,
        cast(null as varchar) as property_class,
        cast(null as decimal(18, 2)) as floor_area,
        cast(null as decimal(38, 2)) as amount,
        cast(null as varchar) as roles,
        _business_date as observed_on

    from vehicles

),

property_assets as (

    select
        holder_id as id_number,
        'property_unit' as asset_kind,
        unit_no as asset_key,
        any_value(use) as asset_type,
        any_value(registration_type) as status,
        any_value(use) in ('住宅', '商业', '办公', '工业') as counts,
        cast(null as boolean) as is_nonexempt,
        case
            when any_value(use) = '住宅' then 'residential'
            when any_value(use) in ('商业', '办公', '工业') then 'nonresidential'
            else 'ignored'
        end as property_class,
        cast(coalesce(any_value(floor_area), 0) as decimal(18, 2)) as floor_area,
        cast(null as decimal(38, 2)) as amount,
        cast(null as varchar) as roles,
        max(_business_date) as observed_on

    from holdings
    group by holder_id, unit_no

),

roles as (

    select
        entity_persons.id_number,
        entities.uscc,
        entities.entity_type,
        entities.registration_status,
        entities.individual_funds,
        entity_persons.role,
        entity_persons._business_date,
        entities.is_active and (
            (entities.entity_type <> '个体工商户'
                and entity_persons.role in ('法定代表人', '股东', '投资人', '执行事务合伙人')
                and not (entities.entity_type = '农民专业合作社' and entity_persons.role = '投资人'))
            or (entities.entity_type = '个体工商户'
                and entity_persons.role = '经营者'
                and coalesce(entities.individual_funds > (select cap from getihu_cap), false))
        ) as breaks_limit

    from entity_persons
    inner join entities on entities.uscc = entity_persons.uscc

),

business_assets as (

    select
        id_number,
        'business' as asset_kind,
        uscc as asset_key,
        any_value(entity_type) as asset_type,
        any_value(registration_status) as status,
        bool_or(breaks_limit) as counts,
        cast(null as boolean) as is_nonexempt,
        cast(null as varchar) as property_class,
        cast(null as decimal(18, 2)) as floor_area,
        cast(any_value(individual_funds) as decimal(38, 2)) as amount,
        string_agg(distinct role, ',' order by role) as roles,
        max(_business_date) as observed_on

    from roles
    group by id_number, uscc

),

disability_assets as (

    select
        id_number,
        'disability' as asset_kind,
        cert_no as asset_key,
        category || grade as asset_type,
        status,
        is_severe as counts,
        cast(null as boolean) as is_nonexempt,
        cast(null as varchar) as property_class,
        cast(null as decimal(18, 2)) as floor_area,
        cast(null as decimal(38, 2)) as amount,
        cast(null as varchar) as roles,
        cast(stat_date as date) as observed_on

    from certificates
    where cert_no is not null

),

authorized_results as (

    select bank_results.*
    from bank_results
    inner join applications on applications.application_no = bank_results.application_no
    where applications.authorization_signed = '是'
        and applications.authorization_date is not null
        and applications.status is distinct from '已撤回'
        and (
            applications.applicant_id_number = bank_results.id_number
            or exists (
                select 1 from application_members
                where application_members.application_no = bank_results.application_no
                    and application_members.member_id_number = bank_results.id_number
            )
        )
        and cast(bank_results.returned_at as date) <= cast($as_of as date)
        and cast(bank_results.returned_at as date) > cast($as_of as date) - to_months(12)

),

responses as (

    select
        id_number,
        batch_no,
        max(returned_at) as returned_at,
        sum(balance) filter (where query_status = '成功') as balance_total,
        string_agg(distinct query_status, ',' order by query_status) as statuses

    from authorized_results
    group by id_number, batch_no

),

bank_assets as (

    select
        id_number,
        'bank_response' as asset_kind,
        batch_no as asset_key,
        cast(null as varchar) as asset_type,
        statuses as status,
        true as counts,
        cast(null as boolean) as is_nonexempt,
        cast(null as varchar) as property_class,
        cast(null as decimal(18, 2)) as floor_area,
        cast(coalesce(balance_total, 0) as decimal(38, 2)) as amount,
        cast(null as varchar) as roles,
        cast(returned_at as date) - 1 as observed_on

    from responses
    qualify row_number() over (partition by id_number order by returned_at desc, batch_no desc) = 1

),

assets as (

    select * from vehicle_assets
    union all
    select * from property_assets
    union all
    select * from business_assets
    union all
    select * from disability_assets
    union all
    select * from bank_assets

),

final as (

    select
        id_number,
        asset_kind,
        asset_key,
        asset_type,
        status,
        counts,
        is_nonexempt,
        property_class,
        floor_area,
        amount,
        roles,
        cast(observed_on as date) as observed_on

    from assets

)

select * from final
