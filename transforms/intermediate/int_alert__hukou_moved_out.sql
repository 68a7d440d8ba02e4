-- int.alert__hukou_moved_out
-- grain: one row per (active family, 是 member) for which rule HUKOU_MOVED_OUT (policy.md section 6) fires on
-- $as_of: the hukou 人员状态 of the member's registration (int.hukou_registration, via
-- int.family_covered_members) is 迁出 or 注销 (死亡 is not: the death rules cover it). The alert lands in the
-- family (household_id = 家庭编号), person subject the member.
-- evidence: source hukou, record_key 户号 (the registration's key without the ID part, which is the alert's
-- person), fields 人员状态 and 状态变动日期; related: the family's jz_member row.

with

covered as (

    select * from int.family_covered_members
    where hukou_status in ('迁出', '注销')

),

source_asof as (

    select * from int.source_asof

),

final as (

    select
        'HUKOU_MOVED_OUT' as code,
        covered.family_no as household_id,
        covered.id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'hukou',
            'record_key', covered.hukou_no,
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'status', covered.hukou_status,
                'status_date', covered.hukou_status_date
            ),
            'related', [covered.family_record]
        ) as evidence

    from covered
    left join source_asof on source_asof.source = 'hukou'

)

select * from final
