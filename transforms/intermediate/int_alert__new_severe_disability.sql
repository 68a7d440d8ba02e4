-- int.alert__new_severe_disability
-- grain: one row per (member, new severe-disability certificate) on $as_of - rule NEW_SEVERE_DISABILITY
-- (policy.md section 6): a certificate of the disability snapshot in use (stg.disability__certificate) that
-- is severe (policy section 4: 有效/过期, 一级/二级, or 三级 智力/精神) with 发证日期 >= the snapshot's 统计日期
-- - 30 days, held by a member (trustworthy ID) of a household that is not an active family and whose per
-- capita income < 2 x its dibao (2 is the rule's fixed factor; compared exactly: income_12m_x3 < 36 x
-- member_count x 2 x dibao; households with no member never fire). Subject: the household, the person and the
-- 残疾人证号. evidence: source disability, record_key the 残疾人证号, as_of the snapshot's date (int.source_asof),
-- fields the certificate's kind, grade, status, 发证日期 and 统计日期; related: the household's income with the threshold and its
-- parameter row, and the sources it uses.

with

facts as (

    select
        *,
        2 * dibao as income_limit

    from int.alert_household_facts
    where not is_active_family
        and member_count > 0

),

members as (

    select * from mart.household_member

),

certificates as (

    select * from stg.disability__certificate
    where is_severe
        and cert_no is not null
        and id_number_status in ('valid', 'legacy15')

),

snapshot as (

    select data_as_of from int.source_asof
    where source = 'disability'

),

dated_certificates as (

    -- stat_date is typed VARCHAR while no snapshot exists yet (a derived column of an empty entity)
    select
        *,
        coalesce(cast(stat_date as date), (select data_as_of from snapshot)) as snapshot_date

    from certificates

),

new_certificates as (

    select * from dated_certificates
    where issue_date >= snapshot_date - 30

),

final as (

    select
        'NEW_SEVERE_DISABILITY' as code,
        members.household_id,
        members.id_number,
        new_certificates.cert_no as subject_key,
        json_object(
            'source', 'disability',
            'record_key', new_certificates.cert_no,
            'as_of', coalesce(facts.asof_disability, new_certificates.snapshot_date),
            'fields', json_object(
                'category', new_certificates.category,
                'grade', new_certificates.grade,
                'status', new_certificates.status,
                'issue_date', new_certificates.issue_date,
                'stat_date', new_certificates.snapshot_date,
                'issued_on_or_after', cast(new_certificates.snapshot_date - 30 as date)
            ),
            'related', list_concat(
                [json_merge_patch(facts.income_record, json_object('fields', json_object(
                    'income_limit', facts.income_limit,
                    'income_limit_factor', 2,
                    'parameters', [facts.dibao_json]
                )))],
                facts.income_related
            )
        ) as evidence

    from new_certificates
    inner join members on members.id_number = new_certificates.id_number
    inner join facts on facts.household_id = members.household_id
    where facts.income_12m_x3 < 36 * facts.member_count * facts.income_limit

)

select * from final
