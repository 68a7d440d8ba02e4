-- int.alert__deceased_still_paid
-- grain: one row per alert subject of rule DECEASED_STILL_PAID (policy.md section 6) firing as of $as_of.
-- STUB: not implemented yet; returns no rows with the rule-model output columns.

with

final as (

    select
        'DECEASED_STILL_PAID' as code,
        cast(null as varchar) as household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        cast(null as json) as evidence

    where false

)

select * from final
