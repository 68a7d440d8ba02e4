-- int.alert_candidates
-- grain: one row per alert subject that a rule of policy.md section 6 fires on $as_of (before the
-- staleness check: int.alert_rule_status says which rules count tonight). alert_id is the stable hash
-- of code and subject (household, person, and the record the subject names: VIN, 统一社会信用代码,
-- 残疾人证号 or 转办编号), so the same subject keeps its alert_id night after night.
-- Each rule is one model, int.alert__<code> (columns code, household_id, id_number, subject_key, evidence).

with

deceased_still_paid as (

    select code, household_id, id_number, subject_key, evidence from int.alert__deceased_still_paid

),

deceased_member_active as (

    select code, household_id, id_number, subject_key, evidence from int.alert__deceased_member_active

),

duplicate_assistance as (

    select code, household_id, id_number, subject_key, evidence from int.alert__duplicate_assistance

),

vehicle_owned as (

    select code, household_id, id_number, subject_key, evidence from int.alert__vehicle_owned

),

property_over_limit as (

    select code, household_id, id_number, subject_key, evidence from int.alert__property_over_limit

),

business_role as (

    select code, household_id, id_number, subject_key, evidence from int.alert__business_role

),

income_over_standard as (

    select code, household_id, id_number, subject_key, evidence from int.alert__income_over_standard

),

financial_assets_over_limit as (

    select code, household_id, id_number, subject_key, evidence from int.alert__financial_assets_over_limit

),

public_payroll_member as (

    select code, household_id, id_number, subject_key, evidence from int.alert__public_payroll_member

),

hukou_moved_out as (

    select code, household_id, id_number, subject_key, evidence from int.alert__hukou_moved_out

),

missed_dibao as (

    select code, household_id, id_number, subject_key, evidence from int.alert__missed_dibao

),

medical_hardship as (

    select code, household_id, id_number, subject_key, evidence from int.alert__medical_hardship

),

new_severe_disability as (

    select code, household_id, id_number, subject_key, evidence from int.alert__new_severe_disability

),

rural_monitored_uncovered as (

    select code, household_id, id_number, subject_key, evidence from int.alert__rural_monitored_uncovered

),

student_aid_missing as (

    select code, household_id, id_number, subject_key, evidence from int.alert__student_aid_missing

),

medical_subsidy_missing as (

    select code, household_id, id_number, subject_key, evidence from int.alert__medical_subsidy_missing

),

referral_overdue as (

    select code, household_id, id_number, subject_key, evidence from int.alert__referral_overdue

),

unioned as (

    select * from deceased_still_paid
    union all
    select * from deceased_member_active
    union all
    select * from duplicate_assistance
    union all
    select * from vehicle_owned
    union all
    select * from property_over_limit
    union all
    select * from business_role
    union all
    select * from income_over_standard
    union all
    select * from financial_assets_over_limit
    union all
    select * from public_payroll_member
    union all
    select * from hukou_moved_out
    union all
    select * from missed_dibao
    union all
    select * from medical_hardship
    union all
    select * from new_severe_disability
    union all
    select * from rural_monitored_uncovered
    union all
    select * from student_aid_missing
    union all
    select * from medical_subsidy_missing
    union all
    select * from referral_overdue

),

final as (

    select
        substr(sha256(concat_ws('|', code, household_id, coalesce(id_number, ''), coalesce(subject_key, ''))),
            1, 16) as alert_id,
        code,
        household_id,
        id_number,
        subject_key,
        evidence

    from unioned

)

select * from final
