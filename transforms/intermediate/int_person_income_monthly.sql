-- int.person_income_monthly
-- grain: one row per (person, month of the income window) with any income fact (policy section 3), for
-- persons with a trustworthy ID number (status valid or legacy15); months of int.income_window only.
--   income_wage: tax 工资、薪金所得 + 劳务报酬所得 of the current (not cancelled) groups, all employers
--     (stg.tax__declaration). Stand-ins only for a person-month without any such current group (a
--     current 0.00 line blocks them; other income items do not): first the largest social insurance
--     缴费基数 of a 110 or 120 contribution with 缴费基数 > 0 and 单位编号 <> 37048199999 (flexible
--     workers never stand in), else the largest housing fund 缴存基数 > 0 of an account in the latest GJJ
--     snapshot, for months up to its 最后缴存年月. wage_source: tax / social_insurance / housing_fund.
--   business_quarter_income: tax 经营所得 per business (扣缴义务人名称): a quarter's income = its cumulative
--     收入额 minus that of the previous declared quarter of the same year (Q1: minus 0; negative -> 0),
--     spread evenly over the quarter's three months. The column holds the quarter's income, so the
--     month's business income is business_quarter_income / 3 (kept exact: DuckDB divides decimals in
--     floating point). Undeclared (or cancelled) quarters count nothing.
--   income_property: tax 财产租赁所得 + 利息、股息、红利所得.
--   income_pension: si_benefit 基本养老金; income_transfer: 失业保险金 + 工伤保险待遇 (by 发放年月).
--     城乡居民基础养老金 never counts; neither do assistance, disability, student, charity or housing aid
--     (no such source is read here).

with

income_window as (

    select * from int.income_window

),

declarations as (

    select * from stg.tax__declaration
    where taxpayer_id_status in ('valid', 'legacy15') and not is_cancelled

),

contributions as (

    select * from stg.social_insurance__contribution
    where id_number_status in ('valid', 'legacy15')

),

benefits as (

    select * from stg.social_insurance__benefit
    where id_number_status in ('valid', 'legacy15')

),

accounts as (

    select * from stg.housing_fund__account
    where id_number_status in ('valid', 'legacy15')

),

tax_wage as (

    select
        taxpayer_id as id_number,
        income_month as month_start,
        sum(income) as tax_wage

    from declarations
    where income_item in ('工资、薪金所得', '劳务报酬所得')
        and income_month in (select month_start from income_window)
    group by taxpayer_id, income_month

),

tax_property as (

    select
        taxpayer_id as id_number,
        income_month as month_start,
        sum(income) as income_property

    from declarations
    where income_item in ('财产租赁所得', '利息、股息、红利所得')
        and income_month in (select month_start from income_window)
    group by taxpayer_id, income_month

),

business_quarters as (

    select
        taxpayer_id as id_number,
        withholding_agent,
        cast(date_trunc('quarter', period_end) as date) as quarter_start,
        income as cumulative_income,
        lag(income) over (
            partition by taxpayer_id, withholding_agent, year(period_end)
            order by period_end
        ) as previous_cumulative_income

    from declarations
    where income_item = '经营所得'

),

business_months as (

    select
        business_quarters.id_number,
        income_window.month_start,
        sum(greatest(business_quarters.cumulative_income
            - coalesce(business_quarters.previous_cumulative_income, 0), 0)) as business_quarter_income

    from business_quarters
    inner join income_window
        on income_window.month_start >= business_quarters.quarter_start
        and income_window.month_start < business_quarters.quarter_start + to_months(3)
    group by business_quarters.id_number, income_window.month_start

),

si_standin as (

    select
        id_number,
        contribution_month_start as month_start,
        max(contribution_base) as si_base

    from contributions
    where insurance_type in ('110', '120')
        and contribution_base > 0
        and employer_no is distinct from '37048199999'
        and contribution_month_start in (select month_start from income_window)
    group by id_number, contribution_month_start

),

gjj_standin as (

    select
        accounts.id_number,
        income_window.month_start,
        max(accounts.contribution_base) as gjj_base

    from accounts
    inner join income_window on income_window.month_start <= accounts.last_paid_month_start
    where accounts.contribution_base > 0
    group by accounts.id_number, income_window.month_start

),

benefit_months as (

    select
        id_number,
        benefit_month_start as month_start,
        sum(amount) filter (where benefit_type = '基本养老金') as income_pension,
        sum(amount) filter (where benefit_type in ('失业保险金', '工伤保险待遇')) as income_transfer

    from benefits
    where benefit_type in ('基本养老金', '失业保险金', '工伤保险待遇')
        and benefit_month_start in (select month_start from income_window)
    group by id_number, benefit_month_start

),

person_months as (

    select id_number, month_start from tax_wage
    union
    select id_number, month_start from tax_property
    union
    select id_number, month_start from business_months
    union
    select id_number, month_start from si_standin
    union
    select id_number, month_start from gjj_standin
    union
    select id_number, month_start from benefit_months

),

joined as (

    select
        person_months.id_number,
        person_months.month_start,
        tax_wage.tax_wage,
        si_standin.si_base,
        gjj_standin.gjj_base,
        case
            when tax_wage.id_number is not null then 'tax'
            when si_standin.si_base is not null then 'social_insurance'
            when gjj_standin.gjj_base is not null then 'housing_fund'
        end as wage_source,
        business_months.business_quarter_income,
        tax_property.income_property,
        benefit_months.income_pension,
        benefit_months.income_transfer

    from person_months
    left join tax_wage using (id_number, month_start)
    left join si_standin using (id_number, month_start)
    left join gjj_standin using (id_number, month_start)
    left join business_months using (id_number, month_start)
    left join tax_property using (id_number, month_start)
    left join benefit_months using (id_number, month_start)

),

final as (

    select
        joined.id_number,
        joined.month_start,
        income_window.yyyymm,
        joined.wage_source,
        cast(case joined.wage_source
            when 'tax' then joined.tax_wage
            when 'social_insurance' then joined.si_base
            when 'housing_fund' then joined.gjj_base
            else 0
        end as decimal(18, 2)) as income_wage,
        cast(joined.tax_wage as decimal(18, 2)) as tax_wage,
        cast(joined.si_base as decimal(18, 2)) as si_standin_base,
        cast(joined.gjj_base as decimal(18, 2)) as gjj_standin_base,
        cast(coalesce(joined.business_quarter_income, 0) as decimal(18, 2)) as business_quarter_income,
        cast(coalesce(joined.income_property, 0) as decimal(18, 2)) as income_property,
        cast(coalesce(joined.income_pension, 0) as decimal(18, 2)) as income_pension,
        cast(coalesce(joined.income_transfer, 0) as decimal(18, 2)) as income_transfer

    from joined
    inner join income_window on income_window.month_start = joined.month_start

)

select * from final
