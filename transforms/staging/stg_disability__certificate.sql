-- stg.disability__certificate
-- grain: one row per data row (certificate) of the latest CJR snapshot with business date <= $as_of:
-- disability delivers a monthly full snapshot (sources/disability.yaml), the latest complete file
-- replacing all earlier ones. Latest = the greatest month (CJR_<YYYYMM>), then the highest _R<n>.
-- stat_date is the snapshot's 统计日期. id_number is the normal form of the ID part of 残疾人证号 (null when
-- lost, e.g. an Excel-damaged number; id_number_status says why). is_severe: policy section 4 - 证件状态
-- 有效 or 过期 (never 注销) and 一级 or 二级 of any kind, or 三级 智力 or 精神.

with

source as (

    select * from raw.disability__certificate

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'disability' and entity = 'certificate'

),

final as (

    select
        cert_no,
        cert_no_raw,
        id_number,
        id_number_status,
        name,
        name_raw,
        sex,
        category,
        grade,
        category_digit,
        grade_digit,
        issue_date,
        status,
        coalesce(
            status in ('有效', '过期')
            and (grade in ('一级', '二级') or (grade = '三级' and category in ('智力', '精神'))),
            false
        ) as is_severe,
        address,
        guardian_name,
        phone,
        living_allowance,
        care_allowance,
        stat_date,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
