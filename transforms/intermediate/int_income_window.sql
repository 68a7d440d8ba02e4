-- int.income_window
-- grain: one row per month of the income window on $as_of (policy section 3): the 12 calendar months ending
-- with the latest tax period M whose GS_M delivery (or a re-delivery of it) has a business date <= $as_of
-- (as-of 2025-03-05 -> 2024-02 ... 2025-01; as-of 2025-03-20 -> 2024-03 ... 2025-02). Every "12 months" of
-- policy sections 3 and 4 uses this window. Without any tax delivery in the store the window falls back to
-- the delivery calendar (GS_M normally arrives on the 20th of M+1): window_basis says which.
-- month_no runs 1 (oldest) .. 12 (= M).

with

raw_files as (

    select * from stg.pipeline__raw_files
    where source = 'tax' and entity = 'declaration_line'

),

latest_tax as (

    select
        regexp_extract(delivery, '^GS_([0-9]{6})', 1) as tax_period,
        delivery as tax_delivery,
        business_date as tax_business_date

    from raw_files
    where regexp_matches(delivery, '^GS_[0-9]{6}(_R[0-9]+)?$')
    order by tax_period desc, redelivery desc, business_date desc
    limit 1

),

window_end as (

    select
        coalesce(
            cast(strptime(latest_tax.tax_period || '01', '%Y%m%d') as date),
            cast(date_trunc('month', cast($as_of as date))
                - to_months(case when day(cast($as_of as date)) >= 20 then 1 else 2 end) as date)
        ) as last_month_start,
        latest_tax.tax_delivery,
        latest_tax.tax_business_date,
        case when latest_tax.tax_period is null then 'calendar_fallback' else 'tax_delivery' end as window_basis

    from (select 1 as one) as one_row
    left join latest_tax on true

),

months as (

    select
        cast(window_end.last_month_start - to_months(12 - offsets.month_no) as date) as month_start,
        offsets.month_no,
        window_end.last_month_start,
        window_end.tax_delivery,
        window_end.tax_business_date,
        window_end.window_basis

    from window_end
    cross join range(1, 13) as offsets(month_no)

),

final as (

    select
        month_start,
        strftime(month_start, '%Y%m') as yyyymm,
        cast(month_no as integer) as month_no,
        cast(last_month_start - to_months(11) as date) as window_start,
        last_day(last_month_start) as window_end,
        strftime(last_month_start, '%Y%m') as latest_tax_period,
        tax_delivery,
        tax_business_date,
        window_basis

    from months

)

select * from final
