-- mart.person (interfaces.md section 3)
-- grain: one row per natural person with a trustworthy normal-form ID number (sources/README.md section 10:
-- status valid or legacy15) in any staged source on $as_of: the latest hukou snapshot, the current death
-- certificates (证件类别 居民身份证), the valid cremation registrations, and every assistance family,
-- member, application and application member row (金民工程 numbers are verified, deleted rows included).
-- sex and birth_date come from the ID number itself (digit 17 odd = 男; digits 7-14). death_date per policy
-- section 2 (int.person_deaths); is_alive = no death known. hukou_status, hukou_no and town from the
-- registration rule 3 counts (int.hukou_registration); town falls back to the town of the household the
-- person is placed in. name: hukou, else assistance, else death certificate, else cremation.
-- conflicts (JSON list, [] when none) records disagreements between sources without resolving them:
-- dead_but_hukou_normal (a certificate or cremation says dead, hukou says 正常),
-- hukou_death_registered_before_death (hukou's 状态变动日期 precedes the recorded death), death_date_differs
-- (certificates and cremations disagree), name_differs, birth_date_differs and sex_differs (a source's
-- value differs from another source's or from what the ID number says), two_hukou_registrations.

with

hukou as (

    select * from int.hukou_registration

),

hukou_rows as (

    select * from stg.hukou__person

),

deaths as (

    select * from int.person_deaths

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

families as (

    select * from stg.assistance__family

),

family_members as (

    select * from stg.assistance__member

),

applications as (

    select * from stg.assistance__application

),

application_members as (

    select * from stg.assistance__application_member

),

assignment as (

    select * from int.household_assignment

),

households as (

    select * from mart.household

),

-- what each source says about a person: one row per (source, record); name_rank orders the name sources

facts as (

    select id_number, 'hukou' as source, 1 as name_rank, name, sex, birth_date
    from hukou

    union all

    select member_id_number, 'assistance', 2, member_name, null, null
    from family_members
    where member_id_number_status in ('valid', 'legacy15')

    union all

    select applicant_id_number, 'assistance', 3, applicant_name, null, null
    from families
    where applicant_id_number_status in ('valid', 'legacy15')

    union all

    select member_id_number, 'assistance', 4, member_name, null, null
    from application_members
    where member_id_number_status in ('valid', 'legacy15')

    union all

    select applicant_id_number, 'assistance', 5, applicant_name, null, null
    from applications
    where applicant_id_number_status in ('valid', 'legacy15')

    union all

    select id_number, 'deaths', 6, name, sex, birth_date
    from certificates

    union all

    select id_number, 'cremation', 7, name, null, null
    from cremations

),

facts_with_id as (

    select
        facts.*,
        cast(strptime(substr(id_number, 7, 8), '%Y%m%d') as date) as id_birth_date,
        case when cast(substr(id_number, 17, 1) as integer) % 2 = 1 then '男' else '女' end as id_sex

    from facts
    where id_number is not null

),

by_source as (

    select
        id_number,
        source,
        list(distinct name order by name) as names,
        list(distinct birth_date order by birth_date) filter (where birth_date <> id_birth_date)
            as wrong_birth_dates,
        list(distinct sex order by sex) filter (where sex <> id_sex) as wrong_sexes

    from facts_with_id
    group by id_number, source

),

persons as (

    select
        id_number,
        arg_min(name, name_rank) as name,
        count(distinct name) as name_variants,
        any_value(id_birth_date) as birth_date,
        any_value(id_sex) as sex,
        list(distinct source order by source) as sources

    from facts_with_id
    group by id_number

),

source_disagreements as (

    select
        id_number,
        list({'source': source, 'names': names} order by source) as names_by_source,
        list({'source': source, 'birth_dates': wrong_birth_dates} order by source)
            filter (where wrong_birth_dates is not null) as wrong_birth_dates,
        list({'source': source, 'sexes': wrong_sexes} order by source)
            filter (where wrong_sexes is not null) as wrong_sexes

    from by_source
    group by id_number

),

hukou_registrations as (

    select
        id_number,
        list(distinct hukou_no order by hukou_no) as hukou_nos

    from hukou_rows
    group by id_number
    having count(distinct hukou_no) > 1

),

conflicts as (

    select
        persons.id_number,
        to_json(list_filter([
            case when hukou.status = '正常' and (deaths.certificate_count > 0 or deaths.cremation_count > 0)
                then json_object(
                    'kind', 'dead_but_hukou_normal',
                    'death_date', deaths.death_date,
                    'death_sources', deaths.death_sources
                )
            end,
            case when hukou.status = '死亡'
                    and hukou.status_date < least(deaths.certificate_death_date, deaths.cremation_death_date)
                then json_object(
                    'kind', 'hukou_death_registered_before_death',
                    'hukou_status_date', hukou.status_date,
                    'death_date', deaths.death_date
                )
            end,
            case when least(deaths.certificate_death_date, deaths.cremation_death_date)
                    <> greatest(deaths.certificate_death_date_max, deaths.cremation_death_date_max)
                then json_object(
                    'kind', 'death_date_differs',
                    'deaths', [deaths.certificate_death_date, deaths.certificate_death_date_max],
                    'cremation', [deaths.cremation_death_date, deaths.cremation_death_date_max]
                )
            end,
            case when persons.name_variants > 1
                then json_object('kind', 'name_differs', 'names', source_disagreements.names_by_source)
            end,
            case when source_disagreements.wrong_birth_dates is not null
                then json_object(
                    'kind', 'birth_date_differs',
                    'id_birth_date', persons.birth_date,
                    'declared', source_disagreements.wrong_birth_dates
                )
            end,
            case when source_disagreements.wrong_sexes is not null
                then json_object(
                    'kind', 'sex_differs',
                    'id_sex', persons.sex,
                    'declared', source_disagreements.wrong_sexes
                )
            end,
            case when hukou_registrations.id_number is not null
                then json_object(
                    'kind', 'two_hukou_registrations',
                    'hukou_nos', hukou_registrations.hukou_nos,
                    'counted', hukou.hukou_no
                )
            end
        ], lambda c: c is not null)) as conflicts

    from persons
    left join hukou on hukou.id_number = persons.id_number
    left join deaths on deaths.id_number = persons.id_number
    left join source_disagreements on source_disagreements.id_number = persons.id_number
    left join hukou_registrations on hukou_registrations.id_number = persons.id_number

),

final as (

    select
        persons.id_number,
        persons.name,
        persons.sex,
        persons.birth_date,
        deaths.death_date is null as is_alive,
        deaths.death_date,
        coalesce(deaths.death_sources, []) as death_sources,
        hukou.status as hukou_status,
        hukou.hukou_no,
        coalesce(hukou.town, households.town) as town,
        assignment.household_id,
        coalesce(assignment.is_member, false) as is_household_member,
        persons.sources,
        conflicts.conflicts

    from persons
    left join hukou on hukou.id_number = persons.id_number
    left join deaths on deaths.id_number = persons.id_number
    left join assignment on assignment.id_number = persons.id_number
    left join households on households.household_id = assignment.household_id
    left join conflicts on conflicts.id_number = persons.id_number

)

select * from final
