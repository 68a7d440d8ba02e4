-- stg.deaths__certificate
-- grain: one row per death certificate (死亡证编号, certificate_no) in the SWZM files with business date
-- <= $as_of, in its current state (sources/deaths.yaml): the row with the latest issue_date (签发日期); on
-- an equal issue_date the row of the later file (business date) wins. deaths is incremental, so every
-- business date counts, but of one business date only the highest _R<n> re-delivery (it replaces the
-- original completely, README section 4). death_date is the calendar day of death_time (死亡日期).
-- has_trusted_id: 证件类别 居民身份证 and a trustworthy normal-form number (README section 10); a passport
-- number is never linked, even if it happened to look like an ID number.

with

raw_files as (

    select * from raw.pipeline__raw_files

),

source as (

    select * from raw.deaths__certificate

),

current_deliveries as (

    -- per business date the delivery version that supersedes the others (original < _R1 < _R2 ...)
    select delivery
    from raw_files
    where source = 'deaths' and entity = 'certificate'
    qualify row_number() over (
        partition by business_date order by redelivery desc, delivery desc
    ) = 1

),

ranked as (

    select
        source.*,
        row_number() over (
            partition by source.certificate_no
            order by source.issue_date desc, source._business_date desc, source._delivery desc,
                source._row desc
        ) as version_rank

    from source
    where source._delivery in (select delivery from current_deliveries)

),

final as (

    select
        certificate_no,
        name,
        id_type,
        id_number,
        id_number_status,
        id_number_raw,
        coalesce(
            id_type = '居民身份证' and id_number_status in ('valid', 'legacy15'), false
        ) as has_trusted_id,
        sex,
        birth_date,
        death_time,
        cast(death_time as date) as death_date,
        death_place_type,
        residence_address,
        issue_date,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from ranked
    where version_rank = 1

)

select * from final
