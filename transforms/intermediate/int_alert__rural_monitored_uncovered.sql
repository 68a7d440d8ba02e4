-- int.alert__rural_monitored_uncovered
-- grain: one row per household that is not an active family, to which a 防返贫 row with risk not eliminated
-- belongs, and whose per capita income is below 1.5 x the rural dibao on $as_of - rule
-- RURAL_MONITORED_UNCOVERED (policy.md section 6). The rows and the household they belong to (the household
-- of the row's 户主身份证号, else that of the 正常 persons of his 户号): int.alert_household_facts rural_rows.
-- The threshold is always the RURAL standard, whatever the household's area; 1.5 is the rule's fixed factor
-- (policy section 6 states it, no parameter row holds it). Compared exactly: per capita < X when
-- income_12m_x3 < 36 * member_count * X; households with no member never fire. Subject: the household (one
-- alert however many rows belong to it).
-- evidence: source rural_monitoring, record_key the 户编号 (the first, if several rows), as_of the snapshot's
-- date, fields the row's values; related: the household's income with the threshold and its parameter
-- row, the sources it uses, and any further 防返贫 rows.

with

facts as (

    select
        *,
        1.5 * dibao_rural as income_limit

    from int.alert_household_facts
    where not is_active_family
        and len(rural_rows) > 0
        and member_count > 0

),

final as (

    select
        'RURAL_MONITORED_UNCOVERED' as code,
        household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        json_merge_patch(
            rural_rows[1],
            json_object(
                'related', list_concat(
                    [json_merge_patch(income_record, json_object('fields', json_object(
                        'income_limit', income_limit,
                        'income_limit_factor', 1.5,
                        'parameters', [dibao_rural_json]
                    )))],
                    income_related,
                    rural_rows[2:]
                )
            )
        ) as evidence

    from facts
    where income_12m_x3 < 36 * member_count * income_limit

)

select * from final
