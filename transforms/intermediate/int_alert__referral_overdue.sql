-- int.alert__referral_overdue
-- grain: one row per referral (转办编号) for which rule REFERRAL_OVERDUE (policy.md section 6) fires on
-- $as_of: $as_of > date(派单时间) + 办理时限天数 and the referral has no final 反馈结果 (已办结 or 不符合条件;
-- an interim 办理中 does not close it, a late final result resolves the alert) - stg.assistance__referral.
-- Household subject: the household of the application's applicant (any 申请类别 and 申请状态), i.e. where
-- int.household_assignment places him (also as a non-member, e.g. a dead applicant still in his family).
-- An applicant placed nowhere (dead or moved out of a hukou household) is followed to his 户号 as
-- RURAL_MONITORED_UNCOVERED does for a 户主: the household of that 户号's other 正常 persons (of several,
-- the one holding most of them, then the greatest household_id). A referral whose application is unknown
-- (quirk orphan_rows) or whose applicant leads to no household raises nothing. subject_key = 转办编号.
-- evidence: source assistance, record_key 转办编号, fields 申请编号 / 承办部门 / 转办事项 / 派单时间 / 办理时限天数 /
-- due date / days overdue / 反馈结果 / 反馈时间.

with

referrals as (

    select * from stg.assistance__referral
    where not is_closed
        and cast($as_of as date) > cast(dispatched_at as date) + cast(time_limit_days as integer)

),

applications as (

    select * from stg.assistance__application
    where applicant_id_number_status in ('valid', 'legacy15')

),

assignment as (

    select * from int.household_assignment

),

hukou as (

    select * from int.hukou_registration

),

source_asof as (

    select * from int.source_asof

),

applicants as (

    select distinct applications.applicant_id_number as id_number
    from referrals
    inner join applications on applications.application_no = referrals.application_no

),

fallback as (

    -- an unplaced applicant: the household holding most of his 户号's other 正常 persons
    select
        applicants.id_number,
        assignment.household_id

    from applicants
    inner join hukou as own on own.id_number = applicants.id_number
    inner join hukou as housemate
        on housemate.hukou_no = own.hukou_no
        and housemate.id_number <> own.id_number
        and housemate.status = '正常'
    inner join assignment on assignment.id_number = housemate.id_number
    where applicants.id_number not in (select id_number from assignment)
    group by applicants.id_number, assignment.household_id
    qualify row_number() over (
        partition by applicants.id_number order by count(*) desc, assignment.household_id desc
    ) = 1

),

applicant_household as (

    select
        applicants.id_number,
        coalesce(assignment.household_id, fallback.household_id) as household_id

    from applicants
    left join assignment on assignment.id_number = applicants.id_number
    left join fallback on fallback.id_number = applicants.id_number

),

final as (

    select
        'REFERRAL_OVERDUE' as code,
        applicant_household.household_id,
        cast(null as varchar) as id_number,
        referrals.referral_no as subject_key,
        json_object(
            'source', 'assistance',
            'record_key', referrals.referral_no,
            'as_of', source_asof.data_as_of,
            'fields', json_object(
                'application_no', referrals.application_no,
                'department', referrals.department,
                'matter', referrals.matter,
                'dispatched_at', referrals.dispatched_at,
                'time_limit_days', referrals.time_limit_days,
                'due_date', cast(referrals.dispatched_at as date) + cast(referrals.time_limit_days as integer),
                'days_overdue', cast($as_of as date)
                    - (cast(referrals.dispatched_at as date) + cast(referrals.time_limit_days as integer)),
                'feedback_result', referrals.feedback_result,
                'feedback_at', referrals.feedback_at
            )
        ) as evidence

    from referrals
    inner join applications on applications.application_no = referrals.application_no
    inner join applicant_household on applicant_household.id_number = applications.applicant_id_number
    left join source_asof on source_asof.source = 'assistance'
    where applicant_household.household_id is not null

)

select * from final
