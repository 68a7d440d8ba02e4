-- int.alert_household_facts
-- grain: one row per household of mart.household on $as_of: the facts that the household early-warning
-- rules of policy section 6 share (int.alert__<code> for VEHICLE_OWNED ... RURAL_MONITORED_UNCOVERED), taken
-- from the profile (mart.household_profile), the exact income (int.household_income), the programs
-- (mart.eligibility) and the parameter rows in effect (stg.policy__parameters) - never recomputed here.
--   is_active_family: kind family (an active family, policy section 2); is_dibao_tekun_family: one of
--     救助类别 城市/农村 低保 or 特困 (a 低保边缘 family is active but neither).
--   income_12m_x3 / member_count: exact income, per capita monthly income < X exactly when
--     income_12m_x3 < 36 * member_count * X (int.household_income); per capita income is null with 0 members.
--   dibao: the household's standard (its area); dibao_rural: the rural standard (RURAL_MONITORED_UNCOVERED
--     always uses it); *_json: the parameter row as results record it {name, id, value, effective_from, version}.
--   fin_asset_months, max_residential_units, max_getihu_capital (json only), rigid_ratio, hardship_min_oop:
--     the other parameters the rules name.
--   is_elderly_alone: a member aged 70 or more living alone - exactly one member, lone_member_age >= 70 (age
--     on $as_of from the ID number's birth date).
--   rural_rows: the 防返贫 rows with risk not eliminated (stg.rural_monitoring__household, is_risk_open) that
--     belong to this household: the household of the row's 户主身份证号 when he is a member of one (policy
--     section 2), else (head dead, moved out or unplaced) the household holding most of the 正常 persons of
--     his 户号 (int.hukou_registration), on a tie the smallest household_id. Rows whose 户主身份证号 is not a
--     trustworthy ID cannot be linked and belong to none. Each as {source rural_monitoring, record_key 户编号,
--     as_of (int.source_asof), fields}.
-- Evidence pieces (policy section 6: source, record key, as-of date of the data, triggering values):
--   family_record: the active family's jz_family record {source assistance, record_key 家庭编号, as_of,
--     fields}, null for other households;
--   income_record: the household's income (policy section 3, mart.household_profile: monthly averages over
--     the income window), {source tax, record_key household_id, as_of of the tax data, fields};
--   income_related: the other sources that income uses, each with its as_of - social_insurance (fields: the
--     pension and benefit income; its 缴费基数 stand-ins are part of income_wage) and housing_fund (缴存基数
--     stand-ins, part of income_wage; no fields of its own).
--   Values computed over the household's members take the household_id as record_key.

with

households as (

    select * from mart.household

),

profiles as (

    select * from mart.household_profile

),

income as (

    select * from int.household_income

),

eligibility as (

    select * from mart.eligibility

),

members as (

    select * from mart.household_member

),

assignment as (

    select * from int.household_assignment

),

hukou as (

    select * from int.hukou_registration

),

rural as (

    select * from stg.rural_monitoring__household
    where is_risk_open
        and head_id_number_status in ('valid', 'legacy15')

),

rural_asof as (

    select data_as_of from int.source_asof
    where source = 'rural_monitoring'

),

parameters as (

    select * from stg.policy__parameters
    where is_in_effect

),

parameter_rows as (

    select name, area, value, parameter_json from parameters

),

programs as (

    select
        household_id,
        coalesce(bool_or(eligible) filter (where program = 'DIBAO'), false) as is_dibao_eligible,
        coalesce(bool_or(eligible) filter (where program = 'TEKUN'), false) as is_tekun_eligible

    from eligibility
    group by household_id

),

lone_members as (

    -- households of exactly one member, with his birth date (from the ID number)
    select
        household_id,
        min(cast(strptime(substr(id_number, 7, 8), '%Y%m%d') as date)) as birth_date

    from members
    group by household_id
    having count(*) = 1

),

-- 防返贫 rows -> households ---------------------------------------------------------------------------

rural_heads as (

    select
        rural.*,
        case when head.is_member then head.household_id end as head_household_id,
        head_hukou.hukou_no as head_hukou_no

    from rural
    left join assignment as head on head.id_number = rural.head_id_number
    left join hukou as head_hukou on head_hukou.id_number = rural.head_id_number

),

rural_hukou_households as (

    -- the head is no member of any household: the household of the 正常 persons of his 户号
    select
        rural_heads.household_no,
        placed.household_id,
        count(*) as person_count

    from rural_heads
    inner join hukou as housemates
        on housemates.hukou_no = rural_heads.head_hukou_no
        and housemates.status = '正常'
        and housemates.id_number <> rural_heads.head_id_number
    inner join assignment as placed on placed.id_number = housemates.id_number and placed.is_member
    where rural_heads.head_household_id is null
    group by rural_heads.household_no, placed.household_id
    qualify row_number() over (
        partition by rural_heads.household_no order by count(*) desc, placed.household_id
    ) = 1

),

rural_placed as (

    select
        coalesce(rural_heads.head_household_id, rural_hukou_households.household_id) as household_id,
        rural_heads.household_no,
        json_object(
            'source', 'rural_monitoring',
            'record_key', rural_heads.household_no,
            'as_of', coalesce((select data_as_of from rural_asof), rural_heads.snapshot_as_of),
            'fields', json_object(
                'risk_eliminated', rural_heads.risk_eliminated,
                'category', rural_heads.category,
                'risk_type', rural_heads.risk_type,
                'included_date', rural_heads.included_date,
                'household_size', rural_heads.household_size,
                'income_per_capita_prev_year', rural_heads.income_per_capita,
                'linked_by', case when rural_heads.head_household_id is not null
                    then 'head' else 'head_hukou' end
            )
        ) as rural_record

    from rural_heads
    left join rural_hukou_households on rural_hukou_households.household_no = rural_heads.household_no

),

rural_by_household as (

    select
        household_id,
        list(household_no order by household_no) as rural_household_nos,
        list(rural_record order by household_no) as rural_rows

    from rural_placed
    where household_id is not null
    group by household_id

),

-- per household ----------------------------------------------------------------------------------------

final as (

    select
        households.household_id,
        households.kind,
        households.town,
        households.area,
        households.family_no,
        households.assistance_category,
        households.family_status,
        households.kind = 'family' as is_active_family,
        coalesce(households.kind = 'family'
            and households.assistance_category in ('城市低保', '农村低保', '城市特困', '农村特困'), false)
            as is_dibao_tekun_family,
        coalesce(households.kind = 'family'
            and households.assistance_category in ('城市特困', '农村特困'), false) as is_tekun_family,
        income.member_count,
        income.income_12m_x3,
        income.monthly_income_per_capita_unrounded,
        profiles.monthly_income_per_capita,
        profiles.financial_assets_total,
        profiles.residential_property_count,
        profiles.nonresidential_property_count,
        profiles.nonexempt_vehicle_count,
        profiles.active_business_count,
        profiles.medical_out_of_pocket_12m,
        profiles.severe_disability_count,
        coalesce(programs.is_dibao_eligible, false) as is_dibao_eligible,
        coalesce(programs.is_tekun_eligible, false) as is_tekun_eligible,
        coalesce(lone_members.birth_date + to_years(70) <= cast($as_of as date), false) as is_elderly_alone,
        cast(extract(year from age(cast($as_of as date), lone_members.birth_date)) as integer) as lone_member_age,
        coalesce(rural_by_household.rural_household_nos, []) as rural_household_nos,
        coalesce(rural_by_household.rural_rows, []) as rural_rows,
        dibao.value as dibao,
        dibao.parameter_json as dibao_json,
        tekun.value as tekun_multiplier,
        tekun.parameter_json as tekun_json,
        dibao_rural.value as dibao_rural,
        dibao_rural.parameter_json as dibao_rural_json,
        rigid.value as rigid_ratio,
        rigid.parameter_json as rigid_json,
        hardship.value as hardship_min_oop,
        hardship.parameter_json as hardship_json,
        fin_months.value as fin_asset_months,
        fin_months.parameter_json as fin_months_json,
        units.value as max_residential_units,
        units.parameter_json as units_json,
        getihu.parameter_json as getihu_json,
        profiles.asof_assistance,
        profiles.asof_hukou,
        profiles.asof_tax,
        profiles.asof_property,
        profiles.asof_vehicles,
        profiles.asof_business,
        profiles.asof_bank,
        profiles.asof_medical,
        profiles.asof_disability,
        case when households.kind = 'family' then json_object(
            'source', 'assistance',
            'record_key', households.family_no,
            'as_of', profiles.asof_assistance,
            'fields', json_object(
                'assistance_category', households.assistance_category,
                'family_status', households.family_status,
                'member_count', income.member_count
            )
        ) end as family_record,
        json_object(
            'source', 'tax',
            'record_key', households.household_id,
            'as_of', profiles.asof_tax,
            'fields', json_object(
                'member_count', income.member_count,
                'monthly_income_per_capita', profiles.monthly_income_per_capita,
                'monthly_income_total', profiles.monthly_income_total,
                'income_wage', profiles.income_wage,
                'income_pension', profiles.income_pension,
                'income_business', profiles.income_business,
                'income_property', profiles.income_property,
                'income_transfer', profiles.income_transfer,
                'income_window_start', profiles.income_window_start,
                'income_window_end', profiles.income_window_end
            )
        ) as income_record,
        [
            json_object(
                'source', 'social_insurance',
                'record_key', households.household_id,
                'as_of', profiles.asof_social_insurance,
                'fields', json_object(
                    'income_pension', profiles.income_pension,
                    'income_transfer', profiles.income_transfer
                )
            ),
            json_object(
                'source', 'housing_fund',
                'record_key', households.household_id,
                'as_of', profiles.asof_housing_fund,
                'fields', json_object()
            )
        ] as income_related

    from households
    inner join income on income.household_id = households.household_id
    inner join profiles on profiles.household_id = households.household_id
    left join programs on programs.household_id = households.household_id
    left join lone_members on lone_members.household_id = households.household_id
    left join rural_by_household on rural_by_household.household_id = households.household_id
    left join parameter_rows as dibao
        on dibao.name = 'dibao_' || households.area and dibao.area = households.area
    left join parameter_rows as tekun on tekun.name = 'tekun_multiplier' and tekun.area = 'all'
    left join parameter_rows as dibao_rural on dibao_rural.name = 'dibao_rural' and dibao_rural.area = 'rural'
    left join parameter_rows as rigid on rigid.name = 'rigid_ratio' and rigid.area = 'all'
    left join parameter_rows as hardship on hardship.name = 'hardship_min_oop' and hardship.area = 'all'
    left join parameter_rows as fin_months on fin_months.name = 'fin_asset_months' and fin_months.area = 'all'
    left join parameter_rows as units on units.name = 'max_residential_units' and units.area = 'all'
    left join parameter_rows as getihu on getihu.name = 'max_getihu_capital' and getihu.area = 'all'

)

select * from final
