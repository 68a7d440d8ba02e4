-- int.alert__property_over_limit
-- grain: one row per active family whose members hold too much property on $as_of - rule
-- PROPERTY_OVER_LIMIT (policy.md section 6): more residential units than max_residential_units, or any
-- non-residential (商业, 办公, 工业) unit (mart.household_profile: units currently held by a member, each
-- counted once whatever the share; 车位 and 其他 ignored). Subject: the household.
-- evidence: source property, record_key the 不动产单元号 of the counted units (comma-separated), as_of the
-- property data's date, fields the counts, the limit with its parameter row and the units; related: the
-- family's jz_family record.

with

facts as (

    select * from int.alert_household_facts
    where is_active_family
        and (residential_property_count > max_residential_units or nonresidential_property_count > 0)

),

members as (

    select * from mart.household_member

),

assets as (

    select * from int.person_assets
    where asset_kind = 'property_unit' and counts

),

units as (

    -- a unit held by several members is listed once
    select
        members.household_id,
        assets.asset_key as unit_no,
        any_value(assets.asset_type) as use,
        any_value(assets.property_class) as property_class,
        any_value(assets.floor_area) as floor_area

    from members
    inner join assets on assets.id_number = members.id_number
    group by members.household_id, assets.asset_key

),

household_units as (

    select
        household_id,
        string_agg(unit_no, ',' order by unit_no) as unit_nos,
        list(json_object(
            'unit_no', unit_no,
            'use', use,
            'property_class', property_class,
            'floor_area', floor_area
        ) order by unit_no) as unit_list

    from units
    group by household_id

),

final as (

    select
        'PROPERTY_OVER_LIMIT' as code,
        facts.household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'property',
            'record_key', household_units.unit_nos,
            'as_of', facts.asof_property,
            'fields', json_object(
                'residential_property_count', facts.residential_property_count,
                'max_residential_units', facts.max_residential_units,
                'nonresidential_property_count', facts.nonresidential_property_count,
                'max_nonresidential_units', 0,
                'parameters', [facts.units_json],
                'units', coalesce(household_units.unit_list, [])
            ),
            'related', [facts.family_record]
        ) as evidence

    from facts
    left join household_units on household_units.household_id = facts.household_id

)

select * from final
