-- stg.property__holding
-- grain: one row per (不动产单元号 unit_no, holder) currently held on $as_of, by the replay rule of
-- sources/property.yaml over the initial full file (BDC_FULL, entity current_holder) and every daily
-- change log (BDC, entity registration) with business date <= $as_of: per unit, the registration
-- (业务编号) with the latest 登记时间 wins (equal 登记时间: the greater 业务编号); if it is a 注销登记 the
-- unit has no current holder, otherwise its rows for that unit are the current holders. Identical resends
-- and re-applied registrations (the day-1 log after the FULL file) change nothing; a re-delivery
-- BDC_<D>_R<n> supersedes the earlier versions of that day completely. Late entries are replayed by
-- 登记时间, whatever file brought them. Organisation and unknown holders are kept (holder_kind).

with

raw_files as (

    select * from raw.pipeline__raw_files
    where source = 'property' and entity in ('registration', 'current_holder')

),

full_file as (

    select * from raw.property__current_holder

),

daily_log as (

    select * from raw.property__registration

),

in_use as (

    select delivery
    from raw_files
    qualify redelivery = max(redelivery) over (partition by regexp_replace(delivery, '_R[0-9]+$', ''))

),

events as (

    select * from full_file
    where _delivery in (select delivery from in_use)
    union all by name
    select * from daily_log
    where _delivery in (select delivery from in_use)

),

holder_rows as (

    -- one row per (registration, unit, holder): resends and re-applied registrations collapse
    select *
    from events
    qualify row_number() over (
        partition by business_no, unit_no, coalesce(holder_id, holder_id_raw)
        order by _business_date, _delivery, _row
    ) = 1

),

winning as (

    select
        unit_no,
        business_no,
        registration_type

    from holder_rows
    qualify row_number() over (
        partition by unit_no
        order by registered_at desc, business_no desc
    ) = 1

),

final as (

    select
        holder_rows.unit_no,
        holder_rows.holder_id,
        holder_rows.holder_id_status,
        holder_rows.holder_id_raw,
        holder_rows.holder_id_type,
        holder_rows.holder_kind,
        holder_rows.holder_name,
        holder_rows.ownership_type,
        holder_rows.share,
        holder_rows.use,
        holder_rows.floor_area,
        holder_rows.location,
        holder_rows.certificate_no,
        holder_rows.business_no,
        holder_rows.registration_type,
        holder_rows.registered_at,
        holder_rows._source,
        holder_rows._delivery,
        holder_rows._file,
        holder_rows._row,
        holder_rows._business_date

    from holder_rows
    inner join winning
        on winning.unit_no = holder_rows.unit_no
        and winning.business_no = holder_rows.business_no
    where winning.registration_type <> '注销登记'

)

select * from final
