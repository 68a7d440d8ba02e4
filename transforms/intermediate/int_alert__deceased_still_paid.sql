-- int.alert__deceased_still_paid
-- grain: one row per (active family, dead 是 member) for which rule DECEASED_STILL_PAID (policy.md section 6)
-- fires on $as_of: the member is dead (policy section 2 death date, int.family_covered_members) and the
-- family has a net amount > 0 - its jz_payment rows, reversals included, summed per 发放年月 and 资金类别 -
-- of 低保金, 特困供养金, 分类施保金 or 护理补贴 for a 发放年月 after the death month. The alert lands in the
-- family (household_id = 家庭编号), person subject the dead member.
-- evidence: source assistance, record_key 家庭编号; fields: the death date and month and each
-- (发放年月, 资金类别) paid after it with its net amount and 发放编号s; related: the death records.

with

covered as (

    select * from int.family_covered_members
    where death_date is not null

),

source_asof as (

    select * from int.source_asof

),

monthly as (

    select * from int.family_monthly_payments

),

paid_after_death as (

    select
        covered.family_no,
        covered.id_number,
        sum(monthly.net_amount) as net_amount_after_death,
        list(
            json_object(
                'pay_month', monthly.pay_month,
                'fund_type', monthly.fund_type,
                'net_amount', monthly.net_amount,
                'payment_nos', monthly.payment_nos
            )
            order by monthly.pay_month, monthly.fund_type
        ) as paid_months

    from covered
    inner join monthly
        on monthly.family_no = covered.family_no
        and monthly.pay_month > strftime(covered.death_date, '%Y%m')
    where monthly.net_amount > 0
    group by covered.family_no, covered.id_number

),

final as (

    select
        'DECEASED_STILL_PAID' as code,
        covered.family_no as household_id,
        covered.id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'assistance',
            'record_key', covered.family_no,
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'category', covered.category,
                'family_status', covered.family_status,
                'death_date', covered.death_date,
                'death_month', strftime(covered.death_date, '%Y%m'),
                'death_date_source', covered.death_date_source,
                'net_amount_after_death', paid_after_death.net_amount_after_death,
                'paid_months', paid_after_death.paid_months
            ),
            'related', coalesce(covered.death_evidence, [])
        ) as evidence

    from covered
    inner join paid_after_death
        on paid_after_death.family_no = covered.family_no
        and paid_after_death.id_number = covered.id_number
    left join source_asof on source_asof.source = 'assistance'

)

select * from final
