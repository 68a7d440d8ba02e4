-- stg.medical__settlement
-- grain: one row per settlement (结算流水号, settlement_no) that is not itself a refund, seen in any
-- yb_settlement extract with business date <= $as_of, with the refunds netted into it (sources/medical.yaml:
-- the net amounts of a 结算流水号 are its own plus those of the refund rows whose 原结算流水号 points to it;
-- a full refund nets to zero). Plus one row per refund whose original is unknown (quirk refund_of_unknown:
-- older than the retention window or not pushed), is_orphan_refund = true, with its own (negative)
-- amounts: it has nothing to net into. Rows are insert-only; a row re-read in the 48 h overlap is taken
-- once (latest extract). net_* are the amounts that count; refund_count says how many refunds were netted.

with

source as (

    select * from raw.medical__settlement

),

rows_latest as (

    select *
    from source
    qualify row_number() over (
        partition by settlement_no
        order by updated_at desc, _business_date desc, _delivery desc, _row desc
    ) = 1

),

refunds as (

    select
        original_settlement_no,
        count(*) as refund_count,
        sum(total_cost) as total_cost,
        sum(fund_pay) as fund_pay,
        sum(critical_illness_pay) as critical_illness_pay,
        sum(assistance_pay) as assistance_pay,
        sum(self_pay) as self_pay

    from rows_latest
    where refund_flag = '1'
    group by original_settlement_no

),

originals as (

    select
        rows_latest.*,
        false as is_orphan_refund,
        coalesce(refunds.refund_count, 0) as refund_count,
        rows_latest.total_cost + coalesce(refunds.total_cost, 0) as net_total_cost,
        rows_latest.fund_pay + coalesce(refunds.fund_pay, 0) as net_fund_pay,
        rows_latest.critical_illness_pay + coalesce(refunds.critical_illness_pay, 0) as net_critical_illness_pay,
        rows_latest.assistance_pay + coalesce(refunds.assistance_pay, 0) as net_assistance_pay,
        rows_latest.self_pay + coalesce(refunds.self_pay, 0) as net_self_pay

    from rows_latest
    left join refunds on refunds.original_settlement_no = rows_latest.settlement_no
    where rows_latest.refund_flag <> '1'

),

orphan_refunds as (

    select
        rows_latest.*,
        true as is_orphan_refund,
        0 as refund_count,
        rows_latest.total_cost as net_total_cost,
        rows_latest.fund_pay as net_fund_pay,
        rows_latest.critical_illness_pay as net_critical_illness_pay,
        rows_latest.assistance_pay as net_assistance_pay,
        rows_latest.self_pay as net_self_pay

    from rows_latest
    where rows_latest.refund_flag = '1'
        and not exists (
            select 1 from rows_latest as original
            where original.settlement_no = rows_latest.original_settlement_no
                and original.refund_flag <> '1'
        )

),

settlements as (

    select * from originals
    union all by name
    select * from orphan_refunds

),

final as (

    select
        settlement_no,
        id_number,
        id_number_status,
        id_number_raw,
        visit_type,
        provider,
        admission_date,
        settlement_date,
        total_cost,
        fund_pay,
        critical_illness_pay,
        assistance_pay,
        self_pay,
        refund_flag,
        original_settlement_no,
        is_orphan_refund,
        cast(refund_count as bigint) as refund_count,
        net_total_cost,
        net_fund_pay,
        net_critical_illness_pay,
        net_assistance_pay,
        net_self_pay,
        updated_at,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from settlements

)

select * from final
