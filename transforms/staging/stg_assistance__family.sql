-- stg.assistance__family
-- grain: one row per assisted family (家庭编号, family_no) seen in any jz_family extract with business date
-- <= $as_of: its latest version, i.e. the greatest updated_at (更新时间); a tie is the same version re-read
-- in the 48 h overlap and goes to the later extract. Soft-deleted families (删除标志 '1') are kept and
-- flagged is_deleted = true. is_active: policy section 2 "active family" (not deleted, 家庭状态 在保 or 暂停).

with

source as (

    select * from raw.assistance__family

),

ranked as (

    select
        *,
        row_number() over (
            partition by family_no
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        family_no,
        applicant_id_number,
        applicant_id_number_status,
        applicant_id_number_raw,
        applicant_name,
        category,
        covered_count,
        monthly_amount,
        approval_date,
        start_month,
        end_month,
        status,
        town,
        village,
        updated_at,
        deleted_flag,
        coalesce(deleted_flag = '1', false) as is_deleted,
        coalesce(deleted_flag = '0' and status in ('在保', '暂停'), false) as is_active,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from ranked
    where version_rank = 1

)

select * from final
