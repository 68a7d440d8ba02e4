-- int.family_monthly_payments
-- grain: one row per (家庭编号, 发放年月, 资金类别) of the four monthly assistance funds (低保金, 特困供养金,
-- 分类施保金, 护理补贴) paid to a family with a dead 是 member (int.family_covered_members): the net amount
-- of its jz_payment rows, reversals included (policy.md section 6, DECEASED_STILL_PAID), with their 发放编号s.
-- Shared by DECEASED_STILL_PAID (net > 0 after the death month) and DECEASED_MEMBER_ACTIVE (its evidence:
-- the family's latest month paid).

with

covered as (

    select distinct family_no
    from int.family_covered_members
    where death_date is not null

),

payments as (

    select * from stg.assistance__payment
    where fund_type in ('低保金', '特困供养金', '分类施保金', '护理补贴')
        and family_no in (select family_no from covered)

),

final as (

    select
        family_no,
        pay_month,
        fund_type,
        sum(amount) as net_amount,
        list(payment_no order by payment_no) as payment_nos

    from payments
    group by family_no, pay_month, fund_type

)

select * from final
