-- int.alert__medical_hardship
-- grain: one row per household that is not an active family with a medical hardship on $as_of - rule
-- MEDICAL_HARDSHIP (policy.md section 6): medical_out_of_pocket_12m (mart.household_profile: members' net
-- 个人自付 with 结算日期 in the income window) >= rigid_ratio x the household's annual income (policy section 3,
-- compared exactly: 3 x out-of-pocket >= rigid_ratio x income_12m_x3) and >= hardship_min_oop. Households with
-- no member never fire. Subject: the household.
-- evidence: source medical, record_key the household (its settlements over the window), as_of the medical
-- data's date, fields the out-of-pocket sum, the annual income and both thresholds with their parameter rows;
-- related: the household's income and the sources it uses.

with

facts as (

    select * from int.alert_household_facts
    where not is_active_family
        and member_count > 0
        and 3 * medical_out_of_pocket_12m >= rigid_ratio * income_12m_x3
        and medical_out_of_pocket_12m >= hardship_min_oop

),

final as (

    select
        'MEDICAL_HARDSHIP' as code,
        household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'medical',
            'record_key', household_id,
            'as_of', asof_medical,
            'fields', json_object(
                'medical_out_of_pocket_12m', medical_out_of_pocket_12m,
                'annual_income', round(income_12m_x3 / 3, 2),
                'rigid_ratio', rigid_ratio,
                'income_share_threshold', round(rigid_ratio * income_12m_x3 / 3, 2),
                'hardship_min_oop', hardship_min_oop,
                'parameters', [rigid_json, hardship_json]
            ),
            'related', list_concat([income_record], income_related)
        ) as evidence

    from facts

)

select * from final
