-- int.alert__student_aid_missing
-- grain: one row per (active 低保/特困 family, 是 member) for which rule STUDENT_AID_MISSING (policy.md section
-- 6) fires on $as_of: the member (int.family_covered_members) is an 在读 student of the latest XJ snapshot
-- (stg.education__student) and no ZZ row (stg.education__aid_payment, any 资助项目 or 学期) names him for the
-- current 学年 - the one containing $as_of, September to August ('YYYY-YYYY'). When the rule is evaluated
-- (from the business date of that 学年's December ZZ file to 31 August) is int.alert_rule_status's concern:
-- this model fires whenever the facts hold. The alert lands in the family (household_id = 家庭编号), person
-- subject the student.
-- evidence: source education, record_key the XJ row as '<delivery>#<row>' (全国学籍号 is 'G' + the ID number,
-- which no screen would recognise and mask as one; the alert's person names the student), fields 学段 /
-- 学校名称 / 年级 / 学籍状态, the 学年 and the number of its aid rows (0); related: the family's jz_member row.

with

covered as (

    select * from int.family_covered_members
    where is_dibao_tekun

),

students as (

    select * from stg.education__student
    where is_enrolled
        and id_number_status in ('valid', 'legacy15')

),

aid as (

    select * from stg.education__aid_payment
    where id_number_status in ('valid', 'legacy15')

),

source_asof as (

    select * from int.source_asof

),

school_year as (

    select
        case when month(cast($as_of as date)) >= 9 then year(cast($as_of as date))
            else year(cast($as_of as date)) - 1 end as start_year,
        cast(start_year as varchar) || '-' || cast(start_year + 1 as varchar) as school_year

),

final as (

    select
        'STUDENT_AID_MISSING' as code,
        covered.family_no as household_id,
        covered.id_number,
        cast(null as varchar) as subject_key,
        json_object(
            'source', 'education',
            'record_key', students._delivery || '#' || cast(students._row as varchar),
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'stage', students.stage,
                'school', students.school,
                'grade', students.grade,
                'status', students.status,
                'school_year', school_year.school_year,
                'aid_rows', 0
            ),
            'related', [covered.family_record]
        ) as evidence

    from covered
    inner join students on students.id_number = covered.id_number
    cross join school_year
    left join source_asof on source_asof.source = 'education'
    where not exists (
        select 1 from aid
        where aid.id_number = covered.id_number
            and aid.school_year = school_year.school_year
    )
    qualify row_number() over (
        partition by covered.family_no, covered.id_number order by students.student_no
    ) = 1

)

select * from final
