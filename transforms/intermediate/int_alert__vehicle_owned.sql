-- int.alert__vehicle_owned
-- grain: one row per (member of an active family, counting non-exempt vehicle he owns) on $as_of - rule
-- VEHICLE_OWNED (policy.md section 6): one of all members (policy section 2, 是 and 否 alike) of an active
-- family owns a vehicle of the latest snapshot that counts (机动车状态 without B, E, M, P) and whose 车辆类型
-- is not exempt (int.person_assets is_nonexempt). Subject: the family, the person and the 车辆识别代号.
-- evidence: source vehicles, record_key the VIN, as_of the snapshot's date (int.source_asof), fields the
-- vehicle's type and status; related: the family's jz_family record.

with

facts as (

    select * from int.alert_household_facts
    where is_active_family

),

members as (

    select * from mart.household_member

),

vehicles as (

    select * from int.person_assets
    where asset_kind = 'vehicle' and is_nonexempt

),

source_asof as (

    select * from int.source_asof
    where source = 'vehicles'

),

final as (

    select
        'VEHICLE_OWNED' as code,
        members.household_id,
        members.id_number,
        vehicles.asset_key as subject_key,
        json_object(
            'source', 'vehicles',
            'record_key', vehicles.asset_key,
            'as_of', coalesce((select data_as_of from source_asof), vehicles.observed_on),
            'fields', json_object(
                'vehicle_type', vehicles.asset_type,
                'vehicle_status', vehicles.status,
                'counts', vehicles.counts,
                'exempt', false,
                'relation_to_head', members.relation_to_head,
                'is_covered', members.is_covered
            ),
            'related', [facts.family_record]
        ) as evidence

    from members
    inner join facts on facts.household_id = members.household_id
    inner join vehicles on vehicles.id_number = members.id_number

)

select * from final
