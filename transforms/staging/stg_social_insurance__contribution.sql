-- stg.social_insurance__contribution
-- grain: one row per contribution (个人编号, 险种类型, 缴费年月) seen in any si_contribution extract with
-- business date <= $as_of: its latest version (rows are updated in place, never deleted): the greatest
-- updated_at (更新时间); a tie is the same version re-read in the 48 h overlap and goes to the later
-- extract. A 退费 keeps its row with contribution_base and personal_amount 0.00. Rows purged by the
-- front database's 36-month retention stay here (a purge is not a business deletion).
-- is_flexible_worker: 110 under the pseudo-unit 37048199999 (灵活就业); contribution_month_start is the
-- first day of 缴费年月 (for 170, the year's January).

with

source as (

    select * from raw.social_insurance__contribution

),

ranked as (

    select
        *,
        row_number() over (
            partition by person_no, insurance_type, contribution_month
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        person_no,
        id_number,
        id_number_status,
        id_number_raw,
        name,
        insurance_type,
        employer_no,
        employer_name,
        contribution_month,
        cast(strptime(contribution_month || '01', '%Y%m%d') as date) as contribution_month_start,
        contribution_base,
        personal_amount,
        coalesce(employer_no = '37048199999', false) as is_flexible_worker,
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
