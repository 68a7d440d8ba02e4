-- stg.education__student
-- grain: one row per student (全国学籍号, student_no) in the latest XJ snapshot with business date <= $as_of:
-- education delivers XJ as a monthly full snapshot (sources/education.yaml) that replaces all earlier ones.
-- Latest = the greatest month described (XJ_<YYYYMM>), then the highest _R<n>. The XJ and ZZ files of one
-- delivery share the delivery name (XJ_<YYYYMM>). Lists 在读 and 休学 students at month end plus those who
-- left (转出) or graduated (毕业) in the current or previous 学年. id_number is the normal form of 身份证号
-- (empty only for temporary 'L…' numbers); is_enrolled: 学籍状态 在读.

with

source as (

    select * from raw.education__student

),

snapshot as (

    -- the snapshot in use: one rule for every snapshot source (warehouse/runner.py, snapshot_in_use)
    select delivery from raw.pipeline__snapshot_in_use
    where source = 'education' and entity = 'student'

),

final as (

    select
        student_no,
        id_number,
        id_number_status,
        id_number_raw,
        name,
        stage,
        school,
        grade,
        status,
        coalesce(status = '在读', false) as is_enrolled,
        _source,
        _delivery,
        _file,
        _row,
        _business_date

    from source
    where _delivery = (select delivery from snapshot)

)

select * from final
