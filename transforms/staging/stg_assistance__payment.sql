-- stg.assistance__payment
-- grain: one row per payment or reversal row (发放编号, payment_no) seen in any jz_payment extract with
-- business date <= $as_of, in its latest version by updated_at (更新时间; rows are rarely updated, e.g. a
-- corrected account number); a tie (overlap re-read) goes to the later extract. jz_payment is a ledger:
-- every row counts (no 删除标志); the amount for (家庭编号, 发放年月, 资金类别) is the sum of its rows,
-- reversals (negative amounts) included.

with

source as (

    select * from raw.assistance__payment

),

ranked as (

    select
        *,
        row_number() over (
            partition by payment_no
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        payment_no,
        family_no,
        pay_month,
        fund_type,
        amount,
        pay_date,
        bank_account,
        updated_at,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from ranked
    where version_rank = 1

)

select * from final
