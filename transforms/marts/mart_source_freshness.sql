-- mart.source_freshness
-- grain: one row per configured source (all 17, also those with no data yet), as of $as_of: the latest
-- business date for which the raw store holds an accepted delivery, how far behind that is, and whether
-- the source is stale (policy.md "Stale sources": latest business date before as_of - g, g = 2 days for
-- daily sources, 9 weekly, 40 monthly; bank and charity never). A source without any data is stale
-- unless it is never stale. Plus the latest accounted delivery, so a rejected night is visible.

with

sources as (

    select * from stg.pipeline__sources

),

raw_files as (

    select * from stg.pipeline__raw_files

),

source_run as (

    select * from stg.pipeline__source_run

),

deliveries as (

    select
        source,
        delivery,
        business_date,
        redelivery,
        cast(sum(rows) as bigint) as rows

    from raw_files
    group by source, delivery, business_date, redelivery

),

latest_delivery as (

    select
        source,
        business_date as latest_business_date,
        delivery as latest_delivery,
        rows as latest_rows

    from deliveries
    qualify row_number() over (
        partition by source order by business_date desc, redelivery desc, delivery desc
    ) = 1

),

delivery_counts as (

    select
        source,
        count(*) as deliveries_in_store

    from deliveries
    group by source

),

run_counts as (

    select
        source,
        count(*) as deliveries_accounted,
        count(*) filter (where status = 'rejected') as deliveries_rejected

    from source_run
    group by source

),

last_run as (

    select
        source,
        delivery as last_run_delivery,
        business_date as last_run_business_date,
        status as last_run_status,
        reason as last_run_reason

    from source_run
    qualify row_number() over (
        partition by source order by business_date desc, run_date desc, delivery desc
    ) = 1

),

final as (

    select
        sources.source,
        sources.mechanism,
        sources.cadence,
        sources.stale_after_days,
        cast($as_of as date) as as_of,
        latest_delivery.latest_business_date is not null as has_data,
        latest_delivery.latest_business_date,
        date_diff('day', latest_delivery.latest_business_date, cast($as_of as date)) as days_behind,
        case
            when sources.stale_after_days is null then false
            when latest_delivery.latest_business_date is null then true
            else date_diff('day', latest_delivery.latest_business_date, cast($as_of as date))
                > sources.stale_after_days
        end as is_stale,
        latest_delivery.latest_delivery,
        coalesce(latest_delivery.latest_rows, 0) as latest_rows,
        coalesce(delivery_counts.deliveries_in_store, 0) as deliveries_in_store,
        coalesce(run_counts.deliveries_accounted, 0) as deliveries_accounted,
        coalesce(run_counts.deliveries_rejected, 0) as deliveries_rejected,
        last_run.last_run_delivery,
        last_run.last_run_business_date,
        last_run.last_run_status,
        last_run.last_run_reason

    from sources
    left join latest_delivery on latest_delivery.source = sources.source
    left join delivery_counts on delivery_counts.source = sources.source
    left join run_counts on run_counts.source = sources.source
    left join last_run on last_run.source = sources.source

)

select * from final
