-- stg.assistance__referral
-- grain: one row per referral (转办编号, referral_no) seen in any jz_referral extract with business date
-- <= $as_of: its latest version by updated_at (更新时间; dispatch or feedback), a tie (overlap re-read) going
-- to the later extract. No 删除标志. due_at = 派单时间 + 办理时限天数 calendar days; is_closed: a final
-- feedback (已办结 or 不符合条件; an interim 办理中 does not close it).

with

source as (

    select * from raw.assistance__referral

),

ranked as (

    select
        *,
        row_number() over (
            partition by referral_no
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        referral_no,
        application_no,
        department,
        matter,
        dispatched_at,
        time_limit_days,
        dispatched_at + to_days(cast(time_limit_days as integer)) as due_at,
        feedback_at,
        feedback_result,
        coalesce(feedback_result in ('已办结', '不符合条件'), false) as is_closed,
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
