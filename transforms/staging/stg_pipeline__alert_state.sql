-- stg.pipeline__alert_state
-- grain: one row per alert of the previous published night (the latest night before $as_of with a
-- history snapshot of mart.alert, warehouse/history.py), whatever its status; empty on the first night.
-- The lifecycle of mart.alert continues from these rows.

with

source as (

    select * from raw.pipeline__alert_state

),

final as (

    select
        alert_id,
        code,
        household_id,
        id_number,
        subject_key,
        town,
        first_seen,
        last_seen,
        resolved_on,
        status,
        cast(evidence as json) as evidence,
        as_of as state_as_of

    from source

)

select * from final
