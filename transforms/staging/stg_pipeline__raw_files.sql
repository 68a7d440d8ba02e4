-- stg.pipeline__raw_files
-- grain: one row per raw-store file (one entity of one accepted delivery version) with business date
-- <= $as_of, as listed by the runner (warehouse/runner.py); `file` is relative to $SAFETYNET_HOME/raw.

with

source as (

    select * from raw.pipeline__raw_files

),

final as (

    select
        source,
        entity,
        business_date,
        delivery,
        redelivery,
        rows,
        file

    from source

)

select * from final
