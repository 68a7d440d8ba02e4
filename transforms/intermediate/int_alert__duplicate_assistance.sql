-- int.alert__duplicate_assistance
-- grain: one row per (active family, person) for which rule DUPLICATE_ASSISTANCE (policy.md section 6) fires
-- on $as_of: the person is a 是 member (valid jz_member row, 是否保障对象 是) of two or more active families,
-- whatever their 救助类别 (int.family_covered_members). One alert per family involved: each lands in its
-- family (household_id = 家庭编号), person subject the shared member.
-- evidence: source assistance, record_key this family's 家庭编号, fields its 救助类别 / 家庭状态 / 审批日期;
-- related: the other families' jz_member rows of the person (record_key 家庭编号).

with

covered as (

    select * from int.family_covered_members

),

shared as (

    select *
    from covered
    qualify count(*) over (partition by id_number) > 1

),

final as (

    select
        'DUPLICATE_ASSISTANCE' as code,
        shared.family_no as household_id,
        shared.id_number,
        cast(null as varchar) as subject_key,
        json_merge_patch(
            shared.family_record,
            json_object(
                'related', (
                    select list(other.family_record order by other.family_no)
                    from shared as other
                    where other.id_number = shared.id_number
                        and other.family_no <> shared.family_no
                )
            )
        ) as evidence

    from shared

)

select * from final
