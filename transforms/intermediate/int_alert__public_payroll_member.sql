-- int.alert__public_payroll_member
-- grain: one row per alert subject of rule PUBLIC_PAYROLL_MEMBER (policy.md section 6) firing as of $as_of.
-- STUB: not implemented yet; returns no rows with the rule-model output columns.

with

final as (

    select
        'PUBLIC_PAYROLL_MEMBER' as code,
        cast(null as varchar) as household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        cast(null as json) as evidence

    where false

)

select * from final
