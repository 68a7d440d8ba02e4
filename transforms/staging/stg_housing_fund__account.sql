-- stg.housing_fund__account
-- grain: one row per personal account (个人账号) in the latest GJJ snapshot with business date <= $as_of:
-- housing_fund delivers a monthly full snapshot (sources/housing_fund.yaml), the latest complete file
-- replaces all earlier ones. Latest = the greatest month described (GJJ_<YYYYMM>), then the highest _R<n>
-- re-delivery of it. snapshot_month_end: the snapshot's as-of date (last day of YYYYMM);
-- last_paid_month_start: first day of 最后缴存年月 (null if never paid).

with

source as (

    select * from raw.housing_fund__account

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'housing_fund' and entity = 'account'

),

final as (

    select
        account_no,
        id_number,
        id_number_status,
        id_number_raw,
        name,
        employer,
        contribution_base,
        monthly_contribution,
        status,
        balance,
        last_paid_month,
        cast(strptime(last_paid_month || '01', '%Y%m%d') as date) as last_paid_month_start,
        last_day(cast(strptime(regexp_extract(_delivery, '^GJJ_([0-9]{6})', 1) || '01', '%Y%m%d') as date))
            as snapshot_month_end,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
