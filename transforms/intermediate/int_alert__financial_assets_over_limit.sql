-- int.alert__financial_assets_over_limit
-- grain: one row per active family whose known financial assets per capita exceed the limit on $as_of -
-- rule FINANCIAL_ASSETS_OVER_LIMIT (policy.md section 6): financial_assets_total (mart.household_profile:
-- the members' latest authorized bank responses of the last 12 months; null = unknown, never fires) /
-- member_count > fin_asset_months x the family's dibao, compared exactly (total > months x dibao x count).
-- Subject: the household.
-- evidence: source bank, record_key the 批次号 of the responses used (comma-separated), as_of the day before
-- the oldest 返回时间 among them (mart.household_profile asof_bank), fields the total, the per capita value,
-- the limit with its parameter rows and each response; related: the family's jz_family record.

with

facts as (

    select * from int.alert_household_facts
    where is_active_family
        and financial_assets_total is not null
        and member_count > 0
        and financial_assets_total > fin_asset_months * dibao * member_count

),

members as (

    select * from mart.household_member

),

responses as (

    select * from int.person_assets
    where asset_kind = 'bank_response'

),

household_responses as (

    select
        members.household_id,
        string_agg(distinct responses.asset_key, ',' order by responses.asset_key) as batch_nos,
        list(json_object(
            'batch_no', responses.asset_key,
            'as_of', responses.observed_on,
            'query_status', responses.status,
            'balance_total', responses.amount
        -- One batch answers for several members: the member breaks the tie, so the list (and the content
        -- hash) does not depend on parallel execution.
        ) order by responses.asset_key, responses.observed_on, responses.id_number, responses.status,
            responses.amount) as response_list

    from members
    inner join responses on responses.id_number = members.id_number
    group by members.household_id

),

final as (

    select
        'FINANCIAL_ASSETS_OVER_LIMIT' as code,
        facts.household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'bank',
            'record_key', household_responses.batch_nos,
            'as_of', facts.asof_bank,
            'fields', json_object(
                'financial_assets_total', facts.financial_assets_total,
                'member_count', facts.member_count,
                'financial_assets_per_capita', round(facts.financial_assets_total / facts.member_count, 2),
                'limit_per_capita', facts.fin_asset_months * facts.dibao,
                'parameters', [facts.fin_months_json, facts.dibao_json],
                'responses', coalesce(household_responses.response_list, [])
            ),
            'related', [facts.family_record]
        ) as evidence

    from facts
    left join household_responses on household_responses.household_id = facts.household_id

)

select * from final
