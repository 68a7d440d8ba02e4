-- stg.business__person
-- grain: one row per (统一社会信用代码, 人员类型, 证件号码) - a person's role in a market entity - in the
-- SCZT_RY file of the latest snapshot pair with business date <= $as_of (the same pair as
-- stg.business__entity: greatest SCZT_<YYYYMMDD>, then highest _R<n>). id_number is the normal form of a
-- person's 证件号码 (holder_kind: person / organisation / unknown, so a corporate 股东 is visible as such).
-- Rows whose entity is not in the SCZT file of the pair (quirk orphan_person) are kept; consumers join.

with

source as (

    select * from raw.business__entity_person

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'business' and entity = 'entity_person'

),

final as (

    select
        uscc,
        role,
        name,
        id_type,
        id_number,
        id_number_status,
        id_number_raw,
        holder_kind,
        subscribed_capital,
        share,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
