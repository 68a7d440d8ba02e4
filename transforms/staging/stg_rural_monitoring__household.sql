-- stg.rural_monitoring__household
-- grain: one row per household (户编号, household_no) of the latest FFP snapshot with business date <= $as_of:
-- rural_monitoring delivers a monthly full snapshot (sources/rural_monitoring.yaml) of every household ever
-- included in the 防返贫 monitoring, the latest complete file replacing all earlier ones. Latest = the
-- greatest month described (FFP_<YYYYMM>), then the highest _R<n> re-delivery of it.
-- snapshot_as_of: the date the snapshot is as of (24:00 of the last day of YYYYMM, the contract's as_of).
-- head_id_number is the normal form of the hand-keyed 户主身份证号 (head_id_number_status says whether it can
-- be linked). is_risk_open: 风险是否消除 否 - the flag decides, a stale 风险消除时间 left on a re-included
-- household (quirk elimination_inconsistent) does not.

with

source as (

    select * from raw.rural_monitoring__household

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'rural_monitoring' and entity = 'household'

),

final as (

    select
        household_no,
        head_name,
        head_id_number,
        head_id_number_status,
        head_id_number_raw,
        category,
        risk_type,
        included_date,
        risk_eliminated,
        eliminated_date,
        coalesce(risk_eliminated = '否', false) as is_risk_open,
        household_size,
        income_per_capita,
        town,
        village,
        last_day(cast(strptime(regexp_extract(_delivery, '^FFP_([0-9]{6})', 1) || '01', '%Y%m%d') as date))
            as snapshot_as_of,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
