-- stg.pipeline__sources
-- grain: one row per configured source id (safetynet.settings.SOURCES, all 17), with its delivery facts
-- from connectors/registry.py; stale_after_days is null for sources that are never stale (policy.md).

with

source as (

    select * from raw.pipeline__sources

),

final as (

    select
        source,
        mechanism,
        format,
        cadence,
        timing,
        stale_after_days

    from source

)

select * from final
