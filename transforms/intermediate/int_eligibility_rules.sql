-- int.eligibility_rules
-- grain: one row per (household of mart.household, program, rule) on $as_of: one check of policy section 5
-- (programs DIBAO, TEKUN, DIBAO_EDGE, RIGID_EXPENDITURE) with its inputs, threshold, the parameter rows it
-- used (stg.policy__parameters, rows in effect on $as_of, the household's area for dibao) and passed.
-- A program is eligible when every one of its rules passes (mart.eligibility).
--   Comparisons are exact (int.household_income): per capita monthly income < X exactly when
--   income_12m_x3 < 36 * member_count * X; per capita annual income < Y when income_12m_x3 < 3 * n * Y;
--   household annual income = income_12m_x3 / 3.
--   has_members: member_count > 0 (with 0 members no program is eligible).
--   asset rules (sections 4, 5; every program): financial assets per capita <= fin_asset_months x dibao,
--     passed when unknown (financial_assets_total null); residential units <= max_residential_units;
--     non-residential units, non-exempt vehicles and limit-breaking businesses (max_getihu_capital applied
--     in int.person_assets) = 0.
--   TEKUN: a member without labor capacity (age >= 60, age < 16 or a severe disability; ages on $as_of from
--     the ID number's birth date) and no member aged 18-59 without a severe disability.
--   DIBAO_EDGE: not DIBAO and not TEKUN eligible; RIGID_EXPENDITURE: none of the three.
--   RIGID_EXPENDITURE medical rule: medical_out_of_pocket_12m >= rigid_ratio x household annual income.
-- A threshold that needs a parameter with no row in effect (e.g. a household without area) is null and
-- its rule fails.
-- rule_order orders the rules within a program as mart.eligibility lists them.

with

households as (

    select * from mart.household

),

profiles as (

    select * from mart.household_profile

),

income as (

    select * from int.household_income

),

members as (

    select * from mart.household_member

),

assets as (

    select * from int.person_assets

),

parameters as (

    select * from stg.policy__parameters
    where is_in_effect

),

parameter_rows as (

    select name, area, value, parameter_json from parameters

),

member_labor as (

    select
        members.household_id,
        members.id_number,
        birth_date,
        birth_date + to_years(60) <= cast($as_of as date) as is_elderly,
        birth_date + to_years(16) > cast($as_of as date) as is_under_16,
        birth_date + to_years(18) <= cast($as_of as date)
            and birth_date + to_years(60) > cast($as_of as date) as is_working_age,
        exists (
            select 1 from assets
            where assets.id_number = members.id_number and assets.asset_kind = 'disability' and assets.counts
        ) as is_severely_disabled

    from (
        select
            *,
            cast(strptime(substr(id_number, 7, 8), '%Y%m%d') as date) as birth_date

        from members
    ) as members

),

labor as (

    select
        household_id,
        count(*) filter (where is_elderly or is_under_16 or is_severely_disabled) as without_labor_count,
        count(*) filter (where is_working_age and not is_severely_disabled) as able_working_age_count

    from member_labor
    group by household_id

),

facts as (

    -- per household: every input of the rules, and the parameter rows that apply to it
    select
        households.household_id,
        households.area,
        income.member_count,
        income.income_12m_x3,
        income.monthly_income_per_capita_unrounded,
        profiles.financial_assets_total,
        profiles.residential_property_count,
        profiles.nonresidential_property_count,
        profiles.nonexempt_vehicle_count,
        profiles.active_business_count,
        profiles.medical_out_of_pocket_12m,
        coalesce(labor.without_labor_count, 0) as without_labor_count,
        coalesce(labor.able_working_age_count, 0) as able_working_age_count,
        dibao.value as dibao,
        dibao.parameter_json as dibao_json,
        tekun.value as tekun_multiplier,
        tekun.parameter_json as tekun_json,
        edge.value as edge_multiplier,
        edge.parameter_json as edge_json,
        disposable.value as disposable_income,
        disposable.parameter_json as disposable_json,
        fin_months.value as fin_asset_months,
        fin_months.parameter_json as fin_months_json,
        units.value as max_residential_units,
        units.parameter_json as units_json,
        getihu.parameter_json as getihu_json,
        rigid.value as rigid_ratio,
        rigid.parameter_json as rigid_json

    from households
    inner join income on income.household_id = households.household_id
    inner join profiles on profiles.household_id = households.household_id
    left join labor on labor.household_id = households.household_id
    left join parameter_rows as dibao
        on dibao.name = 'dibao_' || households.area and dibao.area = households.area
    left join parameter_rows as tekun on tekun.name = 'tekun_multiplier' and tekun.area = 'all'
    left join parameter_rows as edge on edge.name = 'edge_multiplier' and edge.area = 'all'
    left join parameter_rows as disposable
        on disposable.name = 'disposable_income_prev_year' and disposable.area = 'all'
    left join parameter_rows as fin_months on fin_months.name = 'fin_asset_months' and fin_months.area = 'all'
    left join parameter_rows as units on units.name = 'max_residential_units' and units.area = 'all'
    left join parameter_rows as getihu on getihu.name = 'max_getihu_capital' and getihu.area = 'all'
    left join parameter_rows as rigid on rigid.name = 'rigid_ratio' and rigid.area = 'all'

),

income_inputs as (

    select
        household_id,
        json_object(
            'member_count', member_count,
            'income_12m_x3', income_12m_x3,
            'monthly_income_per_capita', monthly_income_per_capita_unrounded
        ) as inputs

    from facts

),

shared_rules as (

    -- rules every program checks: members and the asset limits
    select
        household_id,
        0 as rule_order,
        'has_members' as rule,
        json_object('member_count', member_count) as inputs,
        cast(0 as decimal(38, 4)) as threshold,
        cast('[]' as json) as parameters,
        member_count > 0 as passed

    from facts

    union all

    select
        household_id,
        10,
        'financial_assets_limit',
        json_object('financial_assets_total', financial_assets_total, 'member_count', member_count,
            'known', financial_assets_total is not null),
        fin_asset_months * dibao,
        json_array(fin_months_json, dibao_json),
        financial_assets_total is null
            or coalesce(financial_assets_total <= fin_asset_months * dibao * member_count, false)

    from facts

    union all

    select
        household_id,
        11,
        'residential_property_limit',
        json_object('residential_property_count', residential_property_count),
        max_residential_units,
        json_array(units_json),
        coalesce(residential_property_count <= max_residential_units, false)

    from facts

    union all

    select
        household_id,
        12,
        'nonresidential_property_limit',
        json_object('nonresidential_property_count', nonresidential_property_count),
        0,
        cast('[]' as json),
        nonresidential_property_count = 0

    from facts

    union all

    select
        household_id,
        13,
        'vehicle_limit',
        json_object('nonexempt_vehicle_count', nonexempt_vehicle_count),
        0,
        cast('[]' as json),
        nonexempt_vehicle_count = 0

    from facts

    union all

    select
        household_id,
        14,
        'business_limit',
        json_object('active_business_count', active_business_count),
        0,
        json_array(getihu_json),
        active_business_count = 0

    from facts

),

programs as (

    select unnest(['DIBAO', 'TEKUN', 'DIBAO_EDGE', 'RIGID_EXPENDITURE']) as program

),

program_shared_rules as (

    select
        shared_rules.household_id,
        programs.program,
        shared_rules.rule_order,
        shared_rules.rule,
        shared_rules.inputs,
        shared_rules.threshold,
        shared_rules.parameters,
        shared_rules.passed

    from shared_rules
    cross join programs

),

own_rules as (

    -- the rules that do not depend on another program's outcome
    select
        facts.household_id,
        'DIBAO' as program,
        1 as rule_order,
        'income_below_dibao' as rule,
        income_inputs.inputs,
        cast(facts.dibao as decimal(38, 4)) as threshold,
        json_array(facts.dibao_json) as parameters,
        coalesce(facts.income_12m_x3 < 36 * facts.member_count * facts.dibao, false) as passed

    from facts
    inner join income_inputs on income_inputs.household_id = facts.household_id

    union all

    select
        facts.household_id,
        'TEKUN',
        1,
        'income_below_dibao',
        income_inputs.inputs,
        facts.dibao,
        json_array(facts.dibao_json),
        coalesce(facts.income_12m_x3 < 36 * facts.member_count * facts.dibao, false)

    from facts
    inner join income_inputs on income_inputs.household_id = facts.household_id

    union all

    select
        household_id,
        'TEKUN',
        2,
        'member_without_labor_capacity',
        json_object('without_labor_capacity_count', without_labor_count),
        0,
        cast('[]' as json),
        without_labor_count > 0

    from facts

    union all

    select
        household_id,
        'TEKUN',
        3,
        'no_able_member_aged_18_59',
        json_object('able_member_aged_18_59_count', able_working_age_count),
        0,
        cast('[]' as json),
        able_working_age_count = 0

    from facts

    union all

    select
        facts.household_id,
        'DIBAO_EDGE',
        2,
        'income_below_edge',
        income_inputs.inputs,
        facts.edge_multiplier * facts.dibao,
        json_array(facts.edge_json, facts.dibao_json),
        coalesce(facts.income_12m_x3 < 36 * facts.member_count * facts.edge_multiplier * facts.dibao, false)

    from facts
    inner join income_inputs on income_inputs.household_id = facts.household_id

    union all

    select
        household_id,
        'RIGID_EXPENDITURE',
        2,
        'annual_income_below_disposable',
        json_object(
            'member_count', member_count,
            'income_12m_x3', income_12m_x3,
            'annual_income_per_capita',
            case when member_count > 0 then cast(income_12m_x3 as double) / (3 * member_count) end
        ),
        disposable_income,
        json_array(disposable_json),
        coalesce(income_12m_x3 < 3 * member_count * disposable_income, false)

    from facts

    union all

    select
        household_id,
        'RIGID_EXPENDITURE',
        3,
        'medical_share_of_income',
        json_object(
            'medical_out_of_pocket_12m', medical_out_of_pocket_12m,
            'income_12m_x3', income_12m_x3,
            'annual_income', cast(income_12m_x3 as double) / 3
        ),
        rigid_ratio * income_12m_x3 / 3,
        json_array(rigid_json),
        coalesce(3 * medical_out_of_pocket_12m >= rigid_ratio * income_12m_x3, false)

    from facts

),

base_rules as (

    select * from program_shared_rules
    union all
    select * from own_rules

),

base_outcomes as (

    select
        household_id,
        bool_and(passed) filter (where program = 'DIBAO') as dibao_eligible,
        bool_and(passed) filter (where program = 'TEKUN') as tekun_eligible,
        bool_and(passed) filter (where program = 'DIBAO_EDGE') as edge_passed

    from base_rules
    group by household_id

),

exclusion_rules as (

    -- DIBAO_EDGE only without DIBAO/TEKUN; RIGID_EXPENDITURE only without any of the three
    select
        household_id,
        'DIBAO_EDGE' as program,
        1 as rule_order,
        'not_dibao_or_tekun' as rule,
        json_object('DIBAO', dibao_eligible, 'TEKUN', tekun_eligible) as inputs,
        cast(null as decimal(38, 4)) as threshold,
        cast('[]' as json) as parameters,
        not dibao_eligible and not tekun_eligible as passed

    from base_outcomes

    union all

    select
        household_id,
        'RIGID_EXPENDITURE',
        1,
        'not_other_program',
        json_object('DIBAO', dibao_eligible, 'TEKUN', tekun_eligible,
            'DIBAO_EDGE', not dibao_eligible and not tekun_eligible and edge_passed),
        null,
        cast('[]' as json),
        not dibao_eligible and not tekun_eligible and not edge_passed

    from base_outcomes

),

rules as (

    select * from base_rules
    union all
    select * from exclusion_rules

),

final as (

    select
        household_id,
        program,
        cast(rule_order as integer) as rule_order,
        rule,
        cast(inputs as json) as inputs,
        cast(threshold as decimal(38, 4)) as threshold,
        cast(parameters as json) as parameters,
        passed

    from rules

)

select * from final
