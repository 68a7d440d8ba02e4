-- stg.business__person
-- grain: one row per (统一社会信用代码, 人员类型, 证件号码) - a person's role in a market entity - in the
-- SCZT_RY file of the latest snapshot pair with business date <= $as_of (the same pair as
-- stg.business__entity: greatest SCZT_<YYYYMMDD>, then highest _R<n>). id_number is the normal form of a
-- person's 证件号码 (holder_kind: person / organisation / unknown, so a corporate 股东 is visible as such).
-- Rows whose entity is not in the SCZT file of the pair (quirk orphan_person) are kept; consumers join.

with

raw_files as (

    select * from raw.pipeline__raw_files
    where source = 'business' and entity = 'entity_person'

),

source as (

    select * from raw.business__entity_person

),

latest_delivery as (

    select delivery
    from raw_files
    order by regexp_replace(delivery, '_R[0-9]+$', '') desc, redelivery desc, business_date desc
    limit 1

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
    where _delivery = (select delivery from latest_delivery)

)

select * from final
