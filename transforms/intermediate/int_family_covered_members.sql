-- int.family_covered_members
-- grain: one row per (active family, 是 member) on $as_of - policy section 6 "a family's 是 members": its
-- valid jz_member rows (删除标志 '0') with 是否保障对象 是, dead or alive, of an active family (not deleted,
-- 家庭状态 在保 or 暂停), for members with a trustworthy ID number. A person who is a 是 member of two active
-- families has one row per family. The facts the family+person rules of section 6 read:
--   is_dibao_tekun: 救助类别 城市/农村低保 or 城市/农村特困 (not 低保边缘);
--   death_date (policy section 2, int.person_deaths; null when alive) and death_evidence: the death records
--     as alert evidence (a JSON list of {source, record_key, as_of, fields}): the earliest death certificate
--     (死亡证编号), the earliest valid cremation registration (登记编号), the hukou registration (户号) when
--     its 人员状态 is 死亡;
--   hukou_no, hukou_status, hukou_status_date: the registration that counts for him (int.hukou_registration);
--   family_record: the jz_member row as alert evidence ({source 'assistance', record_key 家庭编号, as_of,
--     fields}; the key's ID part is the alert's person).

with

families as (

    select * from stg.assistance__family
    where is_active

),

members as (

    select * from stg.assistance__member
    where not is_deleted
        and is_covered = '是'
        and member_id_number_status in ('valid', 'legacy15')

),

deaths as (

    select * from int.person_deaths

),

hukou as (

    select * from int.hukou_registration

),

certificates as (

    select * from stg.deaths__certificate
    where has_trusted_id

),

cremations as (

    select * from stg.cremation__cremation
    where not is_deleted
        and id_number_status in ('valid', 'legacy15')

),

source_asof as (

    select * from int.source_asof

),

covered as (

    select
        families.family_no,
        families.category,
        families.status as family_status,
        families.approval_date,
        families.category in ('城市低保', '农村低保', '城市特困', '农村特困') as is_dibao_tekun,
        members.member_id_number as id_number,
        members.relation_to_applicant

    from members
    inner join families on families.family_no = members.family_no

),

first_certificate as (

    select
        id_number,
        certificate_no,
        death_date,
        issue_date

    from certificates
    where id_number in (select id_number from covered)
    qualify row_number() over (partition by id_number order by death_date, issue_date, certificate_no) = 1

),

first_cremation as (

    select
        id_number,
        registration_no,
        death_date,
        cremation_date

    from cremations
    where id_number in (select id_number from covered)
    qualify row_number() over (partition by id_number order by death_date, registration_no) = 1

),

death_records as (

    select
        first_certificate.id_number,
        0 as position,
        json_object(
            'source', 'deaths',
            'record_key', first_certificate.certificate_no,
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'death_date', first_certificate.death_date,
                'issue_date', first_certificate.issue_date
            )
        ) as record

    from first_certificate
    left join source_asof on source_asof.source = 'deaths'

    union all

    select
        first_cremation.id_number,
        1 as position,
        json_object(
            'source', 'cremation',
            'record_key', first_cremation.registration_no,
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'death_date', first_cremation.death_date,
                'cremation_date', first_cremation.cremation_date
            )
        ) as record

    from first_cremation
    left join source_asof on source_asof.source = 'cremation'

    union all

    select
        hukou.id_number,
        2 as position,
        json_object(
            'source', 'hukou',
            'record_key', hukou.hukou_no,
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'status', hukou.status,
                'status_date', hukou.status_date
            )
        ) as record

    from hukou
    left join source_asof on source_asof.source = 'hukou'
    where hukou.status = '死亡'
        and hukou.id_number in (select id_number from covered)

),

death_evidence as (

    select
        id_number,
        list(record order by position) as death_evidence

    from death_records
    group by id_number

),

final as (

    select
        covered.family_no,
        covered.category,
        covered.family_status,
        covered.approval_date,
        covered.is_dibao_tekun,
        covered.id_number,
        covered.relation_to_applicant,
        json_object(
            'source', 'assistance',
            'record_key', covered.family_no,
            'as_of', assistance_asof.data_as_of,
            'fields', json_object(
                'category', covered.category,
                'family_status', covered.family_status,
                'approval_date', covered.approval_date,
                'is_covered', '是',
                'relation_to_applicant', covered.relation_to_applicant
            )
        ) as family_record,
        deaths.death_date,
        deaths.death_date_source,
        deaths.death_sources,
        case when deaths.id_number is not null then death_evidence.death_evidence end as death_evidence,
        hukou.hukou_no,
        hukou.status as hukou_status,
        hukou.status_date as hukou_status_date

    from covered
    left join deaths on deaths.id_number = covered.id_number
    left join death_evidence on death_evidence.id_number = covered.id_number
    left join hukou on hukou.id_number = covered.id_number
    left join source_asof as assistance_asof on assistance_asof.source = 'assistance'

)

select * from final
