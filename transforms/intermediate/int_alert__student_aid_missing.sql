-- int.alert__student_aid_missing
-- grain: one row per alert subject of rule STUDENT_AID_MISSING (policy.md section 6) firing as of $as_of.
-- STUB: not implemented yet; returns no rows with the rule-model output columns.

with

final as (

    select
        'STUDENT_AID_MISSING' as code,
        cast(null as varchar) as household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        cast(null as json) as evidence

    where false

)

select * from final
