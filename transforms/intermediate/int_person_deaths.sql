-- int.person_deaths
-- grain: one row per trustworthy normal-form ID number (sources/README.md section 10) that some source
-- reports dead on $as_of. Policy section 2 "death date": the earliest 死亡日期 over the current death
-- certificates (stg.deaths__certificate, 证件类别 居民身份证 only) and the valid cremation registrations
-- (stg.cremation__cremation, 删除标志 '0'); where only hukou knows of the death (人员状态 死亡 in the
-- registration int.hukou_registration chose), its 状态变动日期 serves as the death date (the death happened
-- no later than that). death_sources lists every source reporting the death (deaths, cremation, hukou),
-- also where the date came from another one; the per-source dates are kept for mart.person's conflicts.

with

certificates as (

    select * from stg.deaths__certificate

),

cremations as (

    select * from stg.cremation__cremation

),

hukou as (

    select * from int.hukou_registration

),

certificate_deaths as (

    select
        id_number,
        min(death_date) as certificate_death_date,
        max(death_date) as certificate_death_date_max,
        count(*) as certificate_count

    from certificates
    where has_trusted_id
    group by id_number

),

cremation_deaths as (

    select
        id_number,
        min(death_date) as cremation_death_date,
        max(death_date) as cremation_death_date_max,
        count(*) as cremation_count

    from cremations
    where not is_deleted
        and id_number_status in ('valid', 'legacy15')
    group by id_number

),

hukou_deaths as (

    select
        id_number,
        status_date as hukou_status_date

    from hukou
    where status = '死亡'

),

ids as (

    select id_number from certificate_deaths
    union
    select id_number from cremation_deaths
    union
    select id_number from hukou_deaths

),

final as (

    select
        ids.id_number,
        coalesce(
            least(certificate_deaths.certificate_death_date, cremation_deaths.cremation_death_date),
            hukou_deaths.hukou_status_date
        ) as death_date,
        case
            when certificate_deaths.certificate_death_date is null
                and cremation_deaths.cremation_death_date is null then 'hukou'
            when cremation_deaths.cremation_death_date is null
                or certificate_deaths.certificate_death_date <= cremation_deaths.cremation_death_date
                then 'deaths'
            else 'cremation'
        end as death_date_source,
        list_filter(
            [
                case when certificate_deaths.id_number is not null then 'deaths' end,
                case when cremation_deaths.id_number is not null then 'cremation' end,
                case when hukou_deaths.id_number is not null then 'hukou' end
            ],
            lambda s: s is not null
        ) as death_sources,
        certificate_deaths.certificate_death_date,
        certificate_deaths.certificate_death_date_max,
        coalesce(certificate_deaths.certificate_count, 0) as certificate_count,
        cremation_deaths.cremation_death_date,
        cremation_deaths.cremation_death_date_max,
        coalesce(cremation_deaths.cremation_count, 0) as cremation_count,
        hukou_deaths.hukou_status_date

    from ids
    left join certificate_deaths on certificate_deaths.id_number = ids.id_number
    left join cremation_deaths on cremation_deaths.id_number = ids.id_number
    left join hukou_deaths on hukou_deaths.id_number = ids.id_number

)

select * from final
