-- stg.medical__enrollment
-- grain: one row per (person, 参保年度) - the key of yb_enrollment (身份证号码, 参保年度) - seen in any extract
-- with business date <= $as_of: its latest version by updated_at (更新时间; a switch of scheme or status
-- updates the row in place), a tie (overlap re-read) going to the later extract. No 删除标志; rows purged by
-- the front database's retention (参保年度 older than two years) stay here (a purge is not a business
-- deletion). The key uses the number as delivered (id_number_raw). year is the text 'YYYY'.
-- is_insured: 参保状态 参保缴费 or 暂停 (policy section 6, MEDICAL_SUBSIDY_MISSING).

with

source as (

    select * from raw.medical__enrollment

),

ranked as (

    select
        *,
        row_number() over (
            partition by id_number_raw, year
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        id_number,
        id_number_status,
        id_number_raw,
        name,
        scheme,
        status,
        year,
        subsidy_category,
        coalesce(status in ('参保缴费', '暂停'), false) as is_insured,
        updated_at,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from ranked
    where version_rank = 1

)

select * from final
