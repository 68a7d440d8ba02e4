-- int.alert__medical_hardship
-- grain: one row per alert subject of rule MEDICAL_HARDSHIP (policy.md section 6) firing as of $as_of.
-- STUB: not implemented yet; returns no rows with the rule-model output columns.

with

final as (

    select
        'MEDICAL_HARDSHIP' as code,
        cast(null as varchar) as household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        cast(null as json) as evidence

    where false

)

select * from final
