-- stg.assistance__member
-- grain: one row per (family, member) pair (家庭编号 + 成员身份证号) seen in any jz_member extract with
-- business date <= $as_of: its latest version by updated_at (更新时间), a tie (overlap re-read) going to the
-- later extract. The key uses the number as delivered (member_id_number_raw): 金民工程 numbers are canonical
-- by contract, and a violation must not merge two rows. Soft-deleted rows (删除标志 '1': death, marriage,
-- moved away, error) are kept and flagged is_deleted = true; a returning member's row is '0' again.

with

source as (

    select * from raw.assistance__member

),

ranked as (

    select
        *,
        row_number() over (
            partition by family_no, member_id_number_raw
            order by updated_at desc, _business_date desc, _delivery desc, _row desc
        ) as version_rank

    from source

),

final as (

    select
        family_no,
        member_id_number,
        member_id_number_status,
        member_id_number_raw,
        member_name,
        relation_to_applicant,
        is_covered,
        health,
        work_capacity,
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
