-- int.alert__missed_dibao
-- grain: one row per household that seems to miss 低保/特困 on $as_of - rule MISSED_DIBAO (policy.md section 6):
-- a household that
--   * is not an active 低保/特困 family (a 低保边缘 family, an application or a hukou household can fire);
--   * has no open application, and no application of any 类别 or status with 申请日期 in the 90 days up to
--     $as_of (申请日期 > $as_of - 90), naming one of its members (applicant, or a valid jz_application_member
--     row; trustworthy IDs only);
--   * is DIBAO- or TEKUN-eligible (mart.eligibility);
--   * has a vulnerability marker: a member with a severe disability (severe_disability_count > 0), a member
--     aged 70 or more living alone, a 防返贫 row with risk not eliminated belonging to it (the same placement
--     as RURAL_MONITORED_UNCOVERED), or medical_out_of_pocket_12m >= hardship_min_oop.
-- Subject: the household.
-- evidence: source assistance, record_key the household (no coverage, no recent application), as_of the
-- assistance data's date, fields the programs it is eligible for, the markers found, the per capita income
-- and its dibao; related: the household's income and the sources it uses, then the record behind each marker
-- (disability certificates, the hukou data for the lone elder, the 防返贫 rows, the medical sum).

with

facts as (

    select * from int.alert_household_facts
    where not is_dibao_tekun_family
        and (is_dibao_eligible or is_tekun_eligible)

),

members as (

    select * from mart.household_member

),

applications as (

    select * from stg.assistance__application

),

application_members as (

    select * from stg.assistance__application_member
    where not is_deleted
        and member_id_number_status in ('valid', 'legacy15')

),

disabilities as (

    select * from int.person_assets
    where asset_kind = 'disability' and counts

),

named as (

    -- every (application, person) it names: the applicant and the valid member rows
    select
        application_no,
        applicant_id_number as id_number

    from applications
    where applicant_id_number_status in ('valid', 'legacy15')

    union

    select
        application_no,
        member_id_number as id_number

    from application_members

),

blocking_applications as (

    select application_no
    from applications
    where is_open
        or (application_date > cast($as_of as date) - 90 and application_date <= cast($as_of as date))

),

blocked as (

    select distinct members.household_id
    from members
    inner join named on named.id_number = members.id_number
    inner join blocking_applications on blocking_applications.application_no = named.application_no

),

disability_records as (

    select
        members.household_id,
        list(json_object(
            'source', 'disability',
            'record_key', disabilities.asset_key,
            'as_of', facts.asof_disability,
            'fields', json_object('category_grade', disabilities.asset_type, 'status', disabilities.status)
        ) order by disabilities.asset_key) as records

    from members
    inner join disabilities on disabilities.id_number = members.id_number
    inner join facts on facts.household_id = members.household_id
    group by members.household_id

),

candidates as (

    select
        facts.*,
        facts.severe_disability_count > 0 as has_severe_disability,
        len(facts.rural_rows) > 0 as is_rural_monitored,
        facts.medical_out_of_pocket_12m >= facts.hardship_min_oop as has_medical_burden,
        coalesce(disability_records.records, []) as disability_records

    from facts
    left join disability_records on disability_records.household_id = facts.household_id
    where facts.household_id not in (select household_id from blocked)

),

final as (

    select
        'MISSED_DIBAO' as code,
        household_id,
        cast(null as varchar) as id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'assistance',
            'record_key', household_id,
            'as_of', asof_assistance,
            'fields', json_object(
                'household_kind', kind,
                'assistance_category', assistance_category,
                'eligible_programs', list_filter(
                    [case when is_dibao_eligible then 'DIBAO' end, case when is_tekun_eligible then 'TEKUN' end],
                    lambda program: program is not null
                ),
                'markers', list_filter(
                    [
                        case when has_severe_disability then 'severe_disability' end,
                        case when is_elderly_alone then 'elderly_living_alone' end,
                        case when is_rural_monitored then 'rural_monitored' end,
                        case when has_medical_burden then 'medical_out_of_pocket' end
                    ],
                    lambda marker: marker is not null
                ),
                'no_application_since', cast(cast($as_of as date) - 89 as date),
                'monthly_income_per_capita', monthly_income_per_capita,
                'dibao', dibao,
                'parameters', [dibao_json]
            ),
            'related', list_concat(
                [income_record],
                income_related,
                case when has_severe_disability then disability_records else [] end,
                case when is_elderly_alone then [json_object(
                    'source', 'hukou',
                    'record_key', household_id,
                    'as_of', asof_hukou,
                    'fields', json_object('member_count', member_count, 'age', lone_member_age)
                )] else [] end,
                rural_rows,
                case when has_medical_burden then [json_object(
                    'source', 'medical',
                    'record_key', household_id,
                    'as_of', asof_medical,
                    'fields', json_object(
                        'medical_out_of_pocket_12m', medical_out_of_pocket_12m,
                        'hardship_min_oop', hardship_min_oop,
                        'parameters', [hardship_json]
                    )
                )] else [] end
            )
        ) as evidence

    from candidates
    where has_severe_disability or is_elderly_alone or is_rural_monitored or has_medical_burden

)

select * from final
