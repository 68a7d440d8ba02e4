-- stg.hukou__person
-- grain: one row per (person, 户号) registration in the latest hukou snapshot with business date <= $as_of.
-- hukou delivers a daily full snapshot (sources/hukou.yaml): the delivery with the greatest business date
-- is the whole register, and of that date the highest _R<n> re-delivery. Columns as connectors/hukou.py
-- types them (id_number normalized, id_number_status, id_number_raw as delivered), lineage kept.

with

source as (

    select * from raw.hukou__person

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'hukou' and entity = 'person'

),

final as (

    select
        id_number,
        id_number_status,
        id_number_raw,
        name,
        sex,
        ethnicity,
        birth_date,
        hukou_no,
        relation_to_head,
        address,
        town,
        village,
        status,
        status_date,
        marital_status,
        education,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
