-- int.household_income
-- grain: one row per household of mart.household on $as_of: its members' income over the income window
-- (policy section 3; int.income_window), exactly. Current members' income counts for the whole window, also
-- for months before they joined; former members' income does not (members = mart.household_member).
--   <type>_12m: the window total of income_wage / income_pension / income_property / income_transfer.
--   business_12m_x3: three times the window total of income_business (a quarter's income is spread over
--     its three months, so thirds of a cent occur; tripled, every amount stays an exact decimal).
--   income_12m_x3: three times the window total of all income.
-- Monthly averages are the window totals / 12, so: monthly_income_total = income_12m_x3 / 36 and
-- monthly_income_per_capita = income_12m_x3 / (36 * member_count). Comparisons use these unrounded values,
-- e.g. per capita < X exactly when income_12m_x3 < 36 * member_count * X (member_count > 0);
-- monthly_income_per_capita_unrounded is the same as a DOUBLE, for display. With 0 members it is null.

with

households as (

    select * from mart.household

),

members as (

    select * from mart.household_member

),

income as (

    select * from int.person_income_monthly

),

member_income as (

    select
        members.household_id,
        sum(income.income_wage) as wage_12m,
        sum(income.income_pension) as pension_12m,
        sum(income.income_property) as property_12m,
        sum(income.income_transfer) as transfer_12m,
        sum(income.business_quarter_income) as business_12m_x3

    from members
    inner join income on income.id_number = members.id_number
    group by members.household_id

),

member_counts as (

    select
        household_id,
        count(distinct id_number) as member_count

    from members
    group by household_id

),

totals as (

    select
        households.household_id,
        coalesce(member_counts.member_count, 0) as member_count,
        cast(coalesce(member_income.wage_12m, 0) as decimal(38, 2)) as wage_12m,
        cast(coalesce(member_income.pension_12m, 0) as decimal(38, 2)) as pension_12m,
        cast(coalesce(member_income.property_12m, 0) as decimal(38, 2)) as property_12m,
        cast(coalesce(member_income.transfer_12m, 0) as decimal(38, 2)) as transfer_12m,
        cast(coalesce(member_income.business_12m_x3, 0) as decimal(38, 2)) as business_12m_x3

    from households
    left join member_counts on member_counts.household_id = households.household_id
    left join member_income on member_income.household_id = households.household_id

),

final as (

    select
        household_id,
        cast(member_count as bigint) as member_count,
        wage_12m,
        pension_12m,
        property_12m,
        transfer_12m,
        business_12m_x3,
        cast(3 * (wage_12m + pension_12m + property_12m + transfer_12m) + business_12m_x3 as decimal(38, 2))
            as income_12m_x3,
        case when member_count > 0 then
            cast(3 * (wage_12m + pension_12m + property_12m + transfer_12m) + business_12m_x3 as double)
                / (36 * member_count)
        end as monthly_income_per_capita_unrounded

    from totals

)

select * from final
