-- int.alert__deceased_member_active
-- grain: one row per (active family, dead 是 member) for which rule DECEASED_MEMBER_ACTIVE (policy.md
-- section 6) fires on $as_of: the member is dead (policy section 2 death date, int.family_covered_members)
-- and no later payment of rule DECEASED_STILL_PAID exists - exactly the dead 是 members that
-- int.alert__deceased_still_paid does not report (payments after the death that reversals net to 0, a
-- 暂停 or 低保边缘 family that is not paid, or nothing paid after the death month). The alert lands in
-- the family (household_id = 家庭编号), person subject the dead member.
-- evidence: source assistance, record_key 家庭编号; fields: the death date and month, and the family's
-- latest 发放年月 with a net amount > 0 of the four monthly 资金类别 (null if none); related: the death records.

with

covered as (

    select * from int.family_covered_members
    where death_date is not null

),

still_paid as (

    select * from int.alert__deceased_still_paid

),

monthly as (

    select * from int.family_monthly_payments

),

source_asof as (

    select * from int.source_asof

),

last_paid as (

    -- the latest month with a net amount > 0 (per 发放年月 and 资金类别, reversals included)
    select
        family_no,
        max(pay_month) as last_paid_month

    from monthly
    where net_amount > 0
    group by family_no

),

final as (

    select
        'DECEASED_MEMBER_ACTIVE' as code,
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
                'last_paid_month', last_paid.last_paid_month
            ),
            'related', coalesce(covered.death_evidence, [])
        ) as evidence

    from covered
    left join last_paid on last_paid.family_no = covered.family_no
    left join source_asof on source_asof.source = 'assistance'
    where not exists (
        select 1 from still_paid
        where still_paid.household_id = covered.family_no
            and still_paid.id_number = covered.id_number
    )

)

select * from final
