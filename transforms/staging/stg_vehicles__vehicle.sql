-- stg.vehicles__vehicle
-- grain: one row per vehicle (车辆识别代号, vin) in the latest JDC snapshot with business date <= $as_of:
-- vehicles delivers a weekly full snapshot (sources/vehicles.yaml) whose latest complete file replaces
-- all earlier ones. Latest = the greatest snapshot date (JDC_<YYYYMMDD>), then the highest _R<n>.
-- Vehicles whose registration ended (B 转出, E 注销, M 强制注销) in the last 24 months are still listed.
-- owner_id is the normal form of a person's 所有人证件号码 (holder_kind says person / organisation /
-- unknown). counts: policy section 4 - 机动车状态 contains none of B, E, M, P; is_exempt: an exempt
-- 车辆类型 (普通二轮摩托车, 三轮汽车, 低速货车, 残疾人专用小型自动挡载客汽车).

with

source as (

    select * from raw.vehicles__vehicle

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'vehicles' and entity = 'vehicle'

),

final as (

    select
        vin,
        plate_no,
        plate_type,
        vehicle_type,
        use_type,
        owner_id,
        owner_id_status,
        owner_id_raw,
        holder_kind,
        owner_name,
        first_registration_date,
        status,
        brand_model,
        not regexp_matches(status, '[BEMP]') as counts,
        vehicle_type in ('普通二轮摩托车', '三轮汽车', '低速货车', '残疾人专用小型自动挡载客汽车') as is_exempt,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
