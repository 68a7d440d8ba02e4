-- stg.assistance__application
-- grain: one row per application (申请编号, application_no) seen in any jz_application extract with business
-- date <= $as_of: its latest version by updated_at (更新时间; every status change updates it), a tie
-- (overlap re-read) going to the later extract. No 删除标志: applications end in a status. is_open:
-- policy section 2 "open application" (申请状态 已受理 or 核对中, any 申请类别).

with

source as (

    select * from raw.assistance__application

),

ranked as (

    select
        *,
        row_number() over (
            partition by application_no
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        application_no,
        applicant_id_number,
        applicant_id_number_status,
        applicant_id_number_raw,
        applicant_name,
        application_date,
        category,
        town,
        authorization_signed,
        authorization_date,
        pledge_signed,
        status,
        coalesce(status in ('已受理', '核对中'), false) as is_open,
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
