-- stg.pipeline__source_run
-- grain: one row per accounted delivery version (source, delivery) with business date <= $as_of, from the
-- ingest accounting files $SAFETYNET_HOME/state/source_run/<source>/<delivery>.json (connectors/ingest.py).

with

source as (

    select * from raw.pipeline__source_run

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

    from source

)

select * from final
