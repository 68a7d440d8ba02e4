-- stg.cremation__cremation
-- grain: one row per cremation registration (登记编号, registration_no) seen in any t_hhdj extract with
-- business date <= $as_of: its latest version, i.e. the greatest updated_at (更新时间); a tie is the same
-- version re-read in the 48 h overlap and goes to the later extract. Soft-deleted registrations
-- (删除标志 '1') are kept and flagged is_deleted = true: consumers drop them, lineage stays traceable.

with

source as (

    select * from raw.cremation__cremation

),

ranked as (

    select
        *,
        row_number() over (
            partition by registration_no
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        registration_no,
        name,
        id_number,
        id_number_status,
        id_number_raw,
        death_date,
        cremation_date,
        funeral_home,
        updated_at,
        deleted_flag,
        coalesce(deleted_flag = '1', false) as is_deleted,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from ranked
    where version_rank = 1

)

select * from final
