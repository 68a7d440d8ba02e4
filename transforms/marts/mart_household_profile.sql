-- mart.household_profile (interfaces.md section 3)
-- grain: one row per household of mart.household, as of $as_of (一户一档): members, income (policy section
-- 3, monthly averages over the income window), assets and expenditure (section 4) and current assistance.
--   member_count: the household's members (mart.household_member); with 0 members the per-capita income is
--     null. Income columns: window totals / 12, monthly_income_per_capita = total / member_count; computed
--     exactly (int.household_income) and stored rounded half-up to 0.01 (comparisons belong on the
--     unrounded values of int.household_income).
--   financial_assets_total: sum over members of their latest authorized bank response's 成功 balances
--     (int.person_assets); null when no member has a response in the 12 months before $as_of.
--   property: units counted once per household however many members hold them; residential area = the
--     sum of those units' 建筑面积. vehicle / business / disability counts: int.person_assets.
--   medical_out_of_pocket_12m: net 个人自付 (refunds netted) of members' settlements with 结算日期 in the
--     income window. elderly_count: members aged 60 or more on $as_of; minor_count: under 18 (age from the
--     ID number's birth date). assistance_category: the active family's 救助类别 (family households only),
--     assistance_monthly_amount its 月保障金额 (0.00 for 低保边缘), both null otherwise.
--   asof_<source>: the date each source's data is as of (int.source_asof); asof_bank: the day before the
--     oldest 返回时间 among the responses used (null without one).

with

households as (

    select * from mart.household

),

members as (

    select * from mart.household_member

),

income as (

    select * from int.household_income

),

income_window as (

    select * from int.income_window

),

assets as (

    select * from int.person_assets

),

settlements as (

    select * from stg.medical__settlement
    where not is_orphan_refund and id_number_status in ('valid', 'legacy15')

),

families as (

    select * from stg.assistance__family

),

source_asof as (

    select * from int.source_asof

),

income_measures as (

    -- tripled window totals (exact decimals) and the divisor that turns each into a monthly average
    select
        household_id,
        measure,
        cast(tripled * 100 as hugeint) as tripled_cents,
        case when measure = 'monthly_income_per_capita' then 36 * member_count else 36 end as divisor

    from (
        select
            household_id,
            member_count,
            3 * wage_12m as income_wage,
            3 * pension_12m as income_pension,
            business_12m_x3 as income_business,
            3 * property_12m as income_property,
            3 * transfer_12m as income_transfer,
            income_12m_x3 as monthly_income_total,
            income_12m_x3 as monthly_income_per_capita

        from income
    ) unpivot (tripled for measure in (
        income_wage, income_pension, income_business, income_property, income_transfer,
        monthly_income_total, monthly_income_per_capita
    ))

),

income_rounded as (

    -- half-up to 0.01 in integer arithmetic: round(c / d) = sign(c) * floor((2|c| + d) / 2d)
    select
        household_id,
        any_value(amount) filter (where measure = 'income_wage') as income_wage,
        any_value(amount) filter (where measure = 'income_pension') as income_pension,
        any_value(amount) filter (where measure = 'income_business') as income_business,
        any_value(amount) filter (where measure = 'income_property') as income_property,
        any_value(amount) filter (where measure = 'income_transfer') as income_transfer,
        any_value(amount) filter (where measure = 'monthly_income_total') as monthly_income_total,
        any_value(amount) filter (where measure = 'monthly_income_per_capita') as monthly_income_per_capita

    from (
        select
            household_id,
            measure,
            case when divisor > 0 then
                cast(cast(sign(tripled_cents) * ((2 * abs(tripled_cents) + divisor) // (2 * divisor))
                    as decimal(38, 0)) * 0.01 as decimal(18, 2))
            end as amount

        from income_measures
    )
    group by household_id

),

member_assets as (

    select
        members.household_id,
        assets.*

    from members
    inner join assets on assets.id_number = members.id_number

),

units as (

    -- a unit held by several members counts once, with its full area
    select
        household_id,
        asset_key,
        any_value(property_class) as property_class,
        any_value(floor_area) as floor_area

    from member_assets
    where asset_kind = 'property_unit'
    group by household_id, asset_key

),

unit_totals as (

    select
        household_id,
        count(*) filter (where property_class = 'residential') as residential_property_count,
        coalesce(sum(floor_area) filter (where property_class = 'residential'), 0) as residential_property_area,
        count(*) filter (where property_class = 'nonresidential') as nonresidential_property_count

    from units
    group by household_id

),

other_asset_totals as (

    select
        household_id,
        count(distinct asset_key) filter (where asset_kind = 'vehicle' and counts) as vehicle_count,
        count(distinct asset_key) filter (where asset_kind = 'vehicle' and is_nonexempt) as nonexempt_vehicle_count,
        count(distinct asset_key) filter (where asset_kind = 'business' and counts) as active_business_count,
        count(distinct id_number) filter (where asset_kind = 'disability' and counts) as severe_disability_count,
        sum(amount) filter (where asset_kind = 'bank_response') as financial_assets_total,
        min(observed_on) filter (where asset_kind = 'bank_response') as asof_bank

    from member_assets
    group by household_id

),

medical as (

    select
        members.household_id,
        sum(settlements.net_self_pay) as medical_out_of_pocket_12m

    from members
    inner join settlements on settlements.id_number = members.id_number
    where settlements.settlement_date between (select min(window_start) from income_window)
        and (select max(window_end) from income_window)
    group by members.household_id

),

ages as (

    select
        household_id,
        count(*) filter (where birth_date + to_years(60) <= cast($as_of as date)) as elderly_count,
        count(*) filter (where birth_date + to_years(18) > cast($as_of as date)) as minor_count

    from (
        select
            household_id,
            cast(strptime(substr(id_number, 7, 8), '%Y%m%d') as date) as birth_date

        from members
    )
    group by household_id

),

source_dates as (

    select
        max(data_as_of) filter (where source = 'hukou') as asof_hukou,
        max(data_as_of) filter (where source = 'deaths') as asof_deaths,
        max(data_as_of) filter (where source = 'cremation') as asof_cremation,
        max(data_as_of) filter (where source = 'assistance') as asof_assistance,
        max(data_as_of) filter (where source = 'tax') as asof_tax,
        max(data_as_of) filter (where source = 'social_insurance') as asof_social_insurance,
        max(data_as_of) filter (where source = 'housing_fund') as asof_housing_fund,
        max(data_as_of) filter (where source = 'property') as asof_property,
        max(data_as_of) filter (where source = 'vehicles') as asof_vehicles,
        max(data_as_of) filter (where source = 'business') as asof_business,
        max(data_as_of) filter (where source = 'medical') as asof_medical,
        max(data_as_of) filter (where source = 'disability') as asof_disability

    from source_asof

),

window_bounds as (

    select
        min(window_start) as income_window_start,
        max(window_end) as income_window_end

    from income_window

),

final as (

    select
        households.household_id,
        cast($as_of as date) as as_of,
        households.kind,
        households.town,
        households.area,
        income.member_count,
        income_rounded.monthly_income_per_capita,
        income_rounded.monthly_income_total,
        income_rounded.income_wage,
        income_rounded.income_pension,
        income_rounded.income_business,
        income_rounded.income_property,
        income_rounded.income_transfer,
        cast(other_asset_totals.financial_assets_total as decimal(18, 2)) as financial_assets_total,
        cast(coalesce(unit_totals.residential_property_count, 0) as bigint) as residential_property_count,
        cast(coalesce(unit_totals.residential_property_area, 0) as decimal(18, 2)) as residential_property_area,
        cast(coalesce(unit_totals.nonresidential_property_count, 0) as bigint) as nonresidential_property_count,
        cast(coalesce(other_asset_totals.vehicle_count, 0) as bigint) as vehicle_count,
        cast(coalesce(other_asset_totals.nonexempt_vehicle_count, 0) as bigint) as nonexempt_vehicle_count,
        cast(coalesce(other_asset_totals.active_business_count, 0) as bigint) as active_business_count,
        cast(coalesce(medical.medical_out_of_pocket_12m, 0) as decimal(18, 2)) as medical_out_of_pocket_12m,
        cast(coalesce(other_asset_totals.severe_disability_count, 0) as bigint) as severe_disability_count,
        cast(coalesce(ages.elderly_count, 0) as bigint) as elderly_count,
        cast(coalesce(ages.minor_count, 0) as bigint) as minor_count,
        case when households.kind = 'family' then families.category end as assistance_category,
        cast(case
            when households.kind <> 'family' or families.family_no is null then null
            when families.category = '低保边缘' then 0
            else families.monthly_amount
        end as decimal(18, 2)) as assistance_monthly_amount,
        window_bounds.income_window_start,
        window_bounds.income_window_end,
        source_dates.asof_hukou,
        source_dates.asof_deaths,
        source_dates.asof_cremation,
        source_dates.asof_assistance,
        source_dates.asof_tax,
        source_dates.asof_social_insurance,
        source_dates.asof_housing_fund,
        source_dates.asof_property,
        source_dates.asof_vehicles,
        source_dates.asof_business,
        other_asset_totals.asof_bank,
        source_dates.asof_medical,
        source_dates.asof_disability

    from households
    inner join income on income.household_id = households.household_id
    left join income_rounded on income_rounded.household_id = households.household_id
    left join unit_totals on unit_totals.household_id = households.household_id
    left join other_asset_totals on other_asset_totals.household_id = households.household_id
    left join medical on medical.household_id = households.household_id
    left join ages on ages.household_id = households.household_id
    left join families on families.family_no = households.family_no and households.kind = 'family'
    cross join source_dates
    cross join window_bounds

)

select * from final
