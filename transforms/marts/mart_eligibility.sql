-- mart.eligibility (interfaces.md section 3)
-- grain: one row per (household of mart.household, program) on $as_of, programs DIBAO, TEKUN, DIBAO_EDGE
-- and RIGID_EXPENDITURE (policy section 5). eligible: every rule of int.eligibility_rules for the program
-- passes. reasons: a JSON list, one object per rule checked, in rule order:
--   {rule, inputs {...}, threshold, parameters [{name, id, value, effective_from, version}, ...], passed}
-- (parameters: every parameter row the threshold is made of; empty for fixed limits such as 0 vehicles).
-- standard_amount (yuan per month, policy section 5, whether or not eligible): DIBAO dibao, TEKUN
-- tekun_multiplier x dibao, DIBAO_EDGE edge_multiplier x dibao, RIGID_EXPENDITURE
-- disposable_income_prev_year / 12; rounded half-up to 0.01; null when a parameter has no row in effect
-- (a household without area). rule_version: this rule set's version plus the parameter file's (_version).

with

households as (

    select * from mart.household

),

rules as (

    select * from int.eligibility_rules

),

parameters as (

    select * from stg.policy__parameters
    where is_in_effect

),

file_version as (

    select coalesce(
        (select min(_version) from stg.policy__parameters),
        error('policy parameter file has no rows')
    ) as parameters_version

),

outcomes as (

    select
        household_id,
        program,
        bool_and(passed) as eligible,
        -- Sorted after aggregating, not by list(... order by ...): DuckDB cannot spill an ordered
        -- aggregate, and at full scale (20M rule rows, ~2.7 GB of JSON) it ran out of a 6 GB memory limit.
        -- Sorting the (rule_order, rule, object) structs gives the same order and the same text.
        to_json(list_transform(
            list_sort(list({
                'rule_order': rule_order,
                'rule': rule,
                'object': json_object(
                    'rule', rule,
                    'inputs', inputs,
                    'threshold', threshold,
                    'parameters', parameters,
                    'passed', passed
                )
            })),
            lambda entry: entry.object
        )) as reasons

    from rules
    group by household_id, program

),

standards as (

    select
        households.household_id,
        dibao.value as dibao,
        (select value from parameters where name = 'tekun_multiplier' and area = 'all') as tekun_multiplier,
        (select value from parameters where name = 'edge_multiplier' and area = 'all') as edge_multiplier,
        (select value from parameters where name = 'disposable_income_prev_year' and area = 'all')
            as disposable_income

    from households
    left join parameters as dibao
        on dibao.name = 'dibao_' || households.area and dibao.area = households.area

),

final as (

    select
        outcomes.household_id,
        outcomes.program,
        outcomes.eligible,
        cast(outcomes.reasons as json) as reasons,
        cast(round(case outcomes.program
            when 'DIBAO' then standards.dibao
            when 'TEKUN' then standards.tekun_multiplier * standards.dibao
            when 'DIBAO_EDGE' then standards.edge_multiplier * standards.dibao
            when 'RIGID_EXPENDITURE' then standards.disposable_income / 12
        end, 2) as decimal(18, 2)) as standard_amount,
        'policy-2021.1+params-' || file_version.parameters_version as rule_version

    from outcomes
    inner join standards on standards.household_id = outcomes.household_id
    cross join file_version

)

select * from final
