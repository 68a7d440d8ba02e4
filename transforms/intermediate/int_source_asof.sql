-- int.source_asof
-- grain: one row per source that has at least one raw file with business date <= $as_of: the date its data
-- in use is as of (sources/README.md section 5, each contract's delivery.as_of), from the raw store's
-- inventory. Snapshot sources: the snapshot in use (greatest delivery key, then highest _R<n>) - vehicles
-- and business the snapshot's business date (the Sunday / Tuesday); housing_fund, disability, education,
-- public_housing and rural_monitoring the last day of the month the file describes (GJJ_/CJR_/XJ_/GZF_/FFP_
-- <YYYYMM>). tax: the latest GS delivery's business date
-- minus one day (as of 24:00 of the day before the delivery day). Every other source (daily files,
-- change logs, SQL extracts, bank, charity): the latest business date. Bank balances are as of the day
-- before each response's 返回时间; mart.household_profile reports them per household.

with

raw_files as (

    select * from stg.pipeline__raw_files

),

deliveries as (

    select
        source,
        delivery,
        regexp_replace(delivery, '_R[0-9]+$', '') as delivery_key,
        redelivery,
        business_date

    from raw_files
    group by all

),

latest as (

    select *
    from deliveries
    qualify row_number() over (
        partition by source
        order by
            case when source in ('vehicles', 'business', 'housing_fund', 'disability', 'education', 'public_housing',
                    'rural_monitoring')
                then delivery_key end desc nulls last,
            business_date desc,
            redelivery desc,
            delivery desc
    ) = 1

),

final as (

    select
        source,
        delivery as latest_delivery,
        business_date as latest_business_date,
        case
            when source in ('housing_fund', 'disability', 'education', 'public_housing', 'rural_monitoring')
                then last_day(cast(strptime(regexp_extract(delivery_key, '_([0-9]{6})$', 1) || '01', '%Y%m%d')
                    as date))
            when source = 'tax' then cast(business_date - 1 as date)
            else business_date
        end as data_as_of

    from latest

)

select * from final
