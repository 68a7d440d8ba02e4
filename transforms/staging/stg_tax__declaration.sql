-- stg.tax__declaration
-- grain: one row per declaration group of sources/tax.yaml - (纳税人识别号, 扣缴义务人名称, 所得项目,
-- 所得期间起, 所得期间止); an empty 扣缴义务人名称 is a group value of its own - over every GS delivery with
-- business date <= $as_of, carrying the group's current line: the one with the highest 申报序号.
-- Current-state rule of the contract: a line with 收入额 >= 0 replaces the group's value (更正申报), a
-- 冲正 line (收入额 < 0) cancels it, so the group stands at its highest line when that is >= 0 and is
-- cancelled (is_cancelled, income null, contributing nothing) when it is a 冲正. Exact resends (same
-- 纳税人识别号 and 申报序号 = the same line) count once. A re-delivery GS_<M>_R<n> supersedes the earlier
-- versions of that delivery completely, so only each delivery's highest version is read. line_count:
-- distinct lines of the group (corrections and reversals included); income_month: first day of the
-- 所得期间起 month.

with

raw_files as (

    select * from raw.pipeline__raw_files
    where source = 'tax' and entity = 'declaration_line'

),

source as (

    select * from raw.tax__declaration_line

),

in_use as (

    -- the highest version of each logical delivery supersedes the lower ones
    select delivery
    from raw_files
    qualify redelivery = max(redelivery) over (partition by regexp_replace(delivery, '_R[0-9]+$', ''))

),

lines as (

    -- one row per line: a resend is the same (纳税人识别号, 申报序号); keep its first delivery for lineage
    select *
    from source
    where _delivery in (select delivery from in_use)
    qualify row_number() over (
        partition by taxpayer_id_raw, serial_no
        order by _business_date, _delivery, _row
    ) = 1

),

grouped as (

    select
        *,
        row_number() over (
            partition by taxpayer_id_raw, withholding_agent, income_item, period_start, period_end
            order by serial_no desc
        ) as line_rank,
        count(*) over (
            partition by taxpayer_id_raw, withholding_agent, income_item, period_start, period_end
        ) as line_count

    from lines

),

final as (

    select
        taxpayer_id,
        taxpayer_id_status,
        taxpayer_id_raw,
        taxpayer_name,
        withholding_agent,
        income_item,
        period_start,
        period_end,
        cast(date_trunc('month', period_start) as date) as income_month,
        income < 0 as is_cancelled,
        case when income >= 0 then income end as income,
        tax_due,
        tax_paid,
        declared_date,
        serial_no,
        line_count,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from grouped
    where line_rank = 1

)

select * from final
