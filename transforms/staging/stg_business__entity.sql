-- stg.business__entity
-- grain: one row per market entity (统一社会信用代码, uscc) in the latest SCZT snapshot with business date
-- <= $as_of: business delivers a weekly full snapshot pair (sources/business.yaml), the latest complete
-- pair replacing all earlier ones. Latest = the greatest snapshot date (SCZT_<YYYYMMDD>), then the highest
-- _R<n>; stg.business__person reads the same pair. is_active: 登记状态 存续 or 在业.
-- Amounts in 万元 (registered_capital; individual_funds = 资金数额 of a 个体工商户).

with

source as (

    select * from raw.business__entity

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'business' and entity = 'entity'

),

final as (

    select
        uscc,
        name,
        entity_type,
        registered_capital,
        individual_funds,
        established_date,
        registration_status,
        registration_status in ('存续', '在业') as is_active,
        business_scope,
        address,
        registration_authority,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
