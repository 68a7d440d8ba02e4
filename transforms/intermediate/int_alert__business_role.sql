-- int.alert__business_role
-- grain: one row per (member of an active family, entity where he holds a role that breaks the business
-- limit) on $as_of - rule BUSINESS_ROLE (policy.md section 6): one of all members (policy section 2, 是 and
-- 否 alike) of an active family is 法定代表人, 股东, 投资人 or 执行事务合伙人 of a 存续/在业 entity other than
-- a 个体工商户 (the 投资人 of a 农民专业合作社 excepted), or 经营者 of a 存续/在业 个体工商户 whose 资金数额
-- exceeds max_getihu_capital (int.person_assets, asset_kind business, counts). Subject: the family, the
-- person and the 统一社会信用代码. evidence: source business, record_key the 统一社会信用代码, as_of the
-- snapshot's date (int.source_asof), fields the entity type and status, the person's roles, the 资金数额
-- (万元) and, for a 个体工商户, the max_getihu_capital parameter row; related: the family's jz_family record.

with

facts as (

    select * from int.alert_household_facts
    where is_active_family

),

members as (

    select * from mart.household_member

),

businesses as (

    select * from int.person_assets
    where asset_kind = 'business' and counts

),

source_asof as (

    select * from int.source_asof
    where source = 'business'

),

final as (

    select
        'BUSINESS_ROLE' as code,
        members.household_id,
        members.id_number,
        businesses.asset_key as subject_key,
        json_object(
            'source', 'business',
            'record_key', businesses.asset_key,
            'as_of', coalesce((select data_as_of from source_asof), businesses.observed_on),
            'fields', json_object(
                'entity_type', businesses.asset_type,
                'registration_status', businesses.status,
                'roles', businesses.roles,
                'individual_funds_wan', businesses.amount,
                'parameters', case when businesses.asset_type = '个体工商户'
                    then [facts.getihu_json] else [] end,
                'relation_to_head', members.relation_to_head,
                'is_covered', members.is_covered
            ),
            'related', [facts.family_record]
        ) as evidence

    from members
    inner join facts on facts.household_id = members.household_id
    inner join businesses on businesses.id_number = members.id_number

)

select * from final
