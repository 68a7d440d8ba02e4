-- stg.education__aid_payment
-- grain: one row per student aid payment key (身份证号, 资助项目, 学年, 学期) over every ZZ file with business
-- date <= $as_of (sources/education.yaml: ZZ is incremental, the current state is the union of all files,
-- and per key the row from the latest file wins - a corrected payment is re-sent in a later file with the
-- same key, quirk aid_correction). Latest file = the greatest month described (the delivery XJ_<YYYYMM>
-- that carries ZZ_<YYYYMM>), then the highest _R<n>. A re-delivery supersedes its original completely, so
-- only the highest version of each delivery is read. The key uses the number as delivered (id_number_raw).

with

raw_files as (

    select * from raw.pipeline__raw_files
    where source = 'education' and entity = 'aid_payment'

),

source as (

    select * from raw.education__aid_payment

),

in_use as (

    -- the highest version of each logical delivery supersedes the lower ones
    select delivery
    from raw_files
    qualify redelivery = max(redelivery) over (partition by regexp_replace(delivery, '_R[0-9]+$', ''))

),

ranked as (

    select
        *,
        row_number() over (
            partition by id_number_raw, programme, school_year, term
            order by regexp_replace(_delivery, '_R[0-9]+$', '') desc, _business_date desc, _row desc
        ) as version_rank

    from source
    where _delivery in (select delivery from in_use)

),

final as (

    select
        id_number,
        id_number_status,
        id_number_raw,
        name,
        programme,
        amount,
        school_year,
        term,
        paid_date,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from ranked
    where version_rank = 1

)

select * from final
