-- int.alert__medical_subsidy_missing
-- grain: one row per (active 低保/特困 family, 是 member) for which rule MEDICAL_SUBSIDY_MISSING (policy.md
-- section 6) fires on $as_of: the member (dead or alive, int.family_covered_members) has no yb_enrollment row
-- for the as-of year with 参保状态 参保缴费 or 暂停, or has a 居民医保 row with 资助参保类别 无. A 职工医保 row
-- for the year never fires (whatever its 参保状态). The alert lands in the family (household_id = 家庭编号),
-- person subject the member. One row per person and year (stg.medical__enrollment); should two delivered
-- numbers normalise to one person, the latest version (更新时间) stands.
-- evidence: source medical, record_key the 参保年度 (the row's key without the ID part, which is the alert's
-- person; also when the row is missing), fields enrolled (a row exists) and its 参保类型 / 参保状态 /
-- 资助参保类别; related: the family's jz_member row.

with

covered as (

    select * from int.family_covered_members
    where is_dibao_tekun

),

enrollments as (

    select * from stg.medical__enrollment
    where year = strftime(cast($as_of as date), '%Y')
        and id_number_status in ('valid', 'legacy15')
    qualify row_number() over (partition by id_number order by updated_at desc, _business_date desc, _row desc) = 1

),

source_asof as (

    select * from int.source_asof

),

final as (

    select
        'MEDICAL_SUBSIDY_MISSING' as code,
        covered.family_no as household_id,
        covered.id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'medical',
            'record_key', strftime(cast($as_of as date), '%Y'),
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'year', strftime(cast($as_of as date), '%Y'),
                'enrolled', enrollments.id_number is not null,
                'scheme', enrollments.scheme,
                'status', enrollments.status,
                'subsidy_category', enrollments.subsidy_category
            ),
            'related', [covered.family_record]
        ) as evidence

    from covered
    left join enrollments on enrollments.id_number = covered.id_number
    left join source_asof on source_asof.source = 'medical'
    where enrollments.id_number is null
        or (enrollments.scheme <> '职工医保'
            and (not enrollments.is_insured or enrollments.subsidy_category = '无'))

)

select * from final
