-- int.alert__income_over_standard
-- grain: one row per active 低保 or 特困 family whose per capita income reaches its standard on $as_of - rule
-- INCOME_OVER_STANDARD (policy.md section 6): a 低保 family's per capita monthly income (policy section 3,
-- all members) >= its dibao; a 特困 family's >= its 特困 standard (tekun_multiplier x dibao). The dibao is that
-- of the family's area (its 救助类别 prefix). Compared exactly: per capita >= X when
-- income_12m_x3 >= 36 * member_count * X (int.household_income); never with 0 members (no per capita
-- income). 低保边缘 families are not covered. Subject: the household.
-- evidence: source tax, record_key the household (its income over the window, int.alert_household_facts),
-- as_of the tax data's date, fields the income, the standard and its parameter rows; related: the
-- family's jz_family record and the social_insurance / housing_fund data the income also uses.

with

facts as (

    select
        *,
        case when is_tekun_family then tekun_multiplier * dibao else dibao end as standard,
        case when is_tekun_family then [tekun_json, dibao_json] else [dibao_json] end as standard_parameters

    from int.alert_household_facts
    where is_dibao_tekun_family

),

final as (

    select
        'INCOME_OVER_STANDARD' as code,
        household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        json_merge_patch(
            income_record,
            json_object(
                'fields', json_object(
                    'standard_name', case when is_tekun_family then 'tekun_standard' else 'dibao' end,
                    'standard', standard,
                    'parameters', standard_parameters
                ),
                'related', list_concat([family_record], income_related)
            )
        ) as evidence

    from facts
    where member_count > 0
        and income_12m_x3 >= 36 * member_count * standard

)

select * from final
