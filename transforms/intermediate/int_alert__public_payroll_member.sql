-- int.alert__public_payroll_member
-- grain: one row per (active family, member) for which rule PUBLIC_PAYROLL_MEMBER (policy.md section 6) fires
-- on $as_of: one of all members of an active family (policy section 2 members, int.household_assignment:
-- placed in the family and counted as a member; 是 and 否 alike) has a 120 (机关事业单位基本养老保险)
-- contribution with 缴费年月 in the income window (int.income_window). A 退费 row (缴费基数 and 个人缴费金额
-- 0.00: the contribution was cancelled) does not count. Contributions under every 个人编号 of the person
-- count (quirk two_person_numbers). The alert lands in the family (household_id = 家庭编号), person subject
-- the member.
-- evidence: source social_insurance, record_key the latest such contribution's key '个人编号|120|缴费年月',
-- fields its 单位编号 / 单位名称 / 缴费基数 and the first and last 缴费年月 and month count in the window;
-- related: the family (record_key 家庭编号, fields 救助类别, 与申请人关系, 是否保障对象).

with

assignment as (

    select * from int.household_assignment
    where kind = 'family' and is_member

),

families as (

    select * from stg.assistance__family
    where is_active

),

income_window as (

    select * from int.income_window

),

contributions as (

    select * from stg.social_insurance__contribution
    where insurance_type = '120'
        and id_number_status in ('valid', 'legacy15')
        and not (coalesce(contribution_base, 0) = 0 and coalesce(personal_amount, 0) = 0)
        and contribution_month in (select yyyymm from income_window)

),

source_asof as (

    select * from int.source_asof

),

per_person as (

    select
        id_number,
        min(contribution_month) as first_month,
        max(contribution_month) as last_month,
        count(distinct contribution_month) as months,
        arg_max(person_no || '|120|' || contribution_month, contribution_month || person_no) as latest_key,
        arg_max(employer_no, contribution_month || person_no) as employer_no,
        arg_max(employer_name, contribution_month || person_no) as employer_name,
        arg_max(contribution_base, contribution_month || person_no) as contribution_base

    from contributions
    group by id_number

),

final as (

    select
        'PUBLIC_PAYROLL_MEMBER' as code,
        assignment.household_id,
        assignment.id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'social_insurance',
            'record_key', per_person.latest_key,
            'as_of', si_asof.data_as_of,
            'fields', json_object(
                'insurance_type', '120',
                'employer_no', per_person.employer_no,
                'employer_name', per_person.employer_name,
                'contribution_base', per_person.contribution_base,
                'first_month', per_person.first_month,
                'last_month', per_person.last_month,
                'months_in_window', per_person.months
            ),
            'related', [
                json_object(
                    'source', 'assistance',
                    'record_key', families.family_no,
                    'as_of', assistance_asof.data_as_of,
                    'fields', json_object(
                        'category', families.category,
                        'family_status', families.status,
                        'relation_to_applicant', assignment.relation_to_head,
                        'is_covered', case when assignment.is_covered then '是' else '否' end
                    )
                )
            ]
        ) as evidence

    from assignment
    inner join families on families.family_no = assignment.household_id
    inner join per_person on per_person.id_number = assignment.id_number
    left join source_asof as si_asof on si_asof.source = 'social_insurance'
    left join source_asof as assistance_asof on assistance_asof.source = 'assistance'

)

select * from final
