-- stg.social_insurance__benefit
-- grain: one row per benefit payment (身份证号码, 待遇类型, 发放年月) seen in any si_benefit extract with
-- business date <= $as_of: its latest version by updated_at (更新时间; a recalculated month is updated in
-- place, 发放金额 = the month's total), a tie (overlap re-read) going to the later extract. The key's ID
-- number is taken in normal form (the delivered text when it has none). benefit_month_start is the first
-- day of 发放年月.

with

source as (

    select * from raw.social_insurance__benefit

),

ranked as (

    select
        *,
        row_number() over (
            partition by coalesce(id_number, id_number_raw), benefit_type, benefit_month
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        id_number,
        id_number_status,
        id_number_raw,
        benefit_type,
        benefit_month,
        cast(strptime(benefit_month || '01', '%Y%m%d') as date) as benefit_month_start,
        amount,
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
