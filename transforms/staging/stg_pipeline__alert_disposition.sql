-- stg.pipeline__alert_disposition
-- grain: one row per alert that monitors have reviewed: the latest recorded disposition (confirmed or
-- false_positive, reviewer, note, time) from the dispositions store kept outside the warehouse
-- (warehouse/dispositions.py), plus how many times the alert was reviewed in all.

with

source as (

    select * from raw.pipeline__alert_disposition

),

counted as (

    select
        *,
        count(*) over (partition by alert_id) as reviews

    from source

),

final as (

    select
        alert_id,
        verdict,
        reviewer,
        note,
        recorded_at,
        reviews

    from counted
    qualify row_number() over (
        partition by alert_id order by recorded_at desc, verdict, reviewer, note
    ) = 1

)

select * from final
