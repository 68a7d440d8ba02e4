-- mart.source_run (interfaces.md section 3)
-- grain: one row per (run, source, delivery): every delivery version the nightly runs accounted for,
-- with business date <= $as_of. rows_delivered = rows_accepted + rows_quarantined; status is accepted,
-- accepted_with_quarantine or rejected (reason says why).

with

source_run as (

    select * from stg.pipeline__source_run

),

final as (

    select
        run_date,
        source,
        delivery,
        business_date,
        rows_delivered,
        rows_accepted,
        rows_quarantined,
        checks_failed,
        status,
        reason

    from source_run

)

select * from final
