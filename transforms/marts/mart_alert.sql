-- mart.alert
-- grain: one row per alert (code + subject, policy.md section 6) ever raised up to $as_of, with its
-- lifecycle state on $as_of. It continues the previous published night (stg.pipeline__alert_state):
--   * fires tonight (its rule evaluated):   new if it was unknown or resolved (a resolved alert that fires
--     again keeps its alert_id and first_seen), else open; last_seen = $as_of;
--   * does not fire, rule evaluated:        resolved; resolved_on = the first night it no longer fired;
--   * rule skipped (int.alert_rule_status): status, last_seen and evidence as they were.
-- Resolved alerts are kept. town is the household's current town (else the one last known). The monitors'
-- latest disposition (kept outside the warehouse, stg.pipeline__alert_disposition) is joined in.
-- evidence (JSON): source, record_key, as_of (the data's date), fields (the triggering values), and for
-- rules over several sources, related: a list of the same for the other records.

with

candidates as (

    select * from int.alert_candidates

),

rule_status as (

    select * from int.alert_rule_status

),

previous as (

    select * from stg.pipeline__alert_state

),

households as (

    select * from mart.household

),

dispositions as (

    select * from stg.pipeline__alert_disposition

),

fired as (

    select candidates.*
    from candidates
    inner join rule_status on rule_status.code = candidates.code
    where rule_status.evaluated

),

merged as (

    select
        coalesce(fired.alert_id, previous.alert_id) as alert_id,
        coalesce(fired.code, previous.code) as code,
        coalesce(fired.household_id, previous.household_id) as household_id,
        coalesce(fired.id_number, previous.id_number) as id_number,
        coalesce(fired.subject_key, previous.subject_key) as subject_key,
        previous.town as previous_town,
        coalesce(previous.first_seen, cast($as_of as date)) as first_seen,
        case when fired.alert_id is not null then cast($as_of as date) else previous.last_seen end as last_seen,
        case
            when fired.alert_id is not null and (previous.alert_id is null or previous.status = 'resolved')
                then 'new'
            when fired.alert_id is not null then 'open'
            when not rule_status.evaluated then previous.status
            else 'resolved'
        end as status,
        case
            when fired.alert_id is not null then null
            when not rule_status.evaluated then previous.resolved_on
            when previous.status = 'resolved' then previous.resolved_on
            else cast($as_of as date)
        end as resolved_on,
        coalesce(fired.evidence, previous.evidence) as evidence

    from fired
    full outer join previous on previous.alert_id = fired.alert_id
    left join rule_status on rule_status.code = coalesce(fired.code, previous.code)

),

final as (

    select
        merged.alert_id,
        merged.code,
        rule_status.severity,
        rule_status.title_zh,
        merged.household_id,
        merged.id_number,
        merged.subject_key,
        coalesce(households.town, merged.previous_town) as town,
        merged.first_seen,
        merged.last_seen,
        merged.status,
        merged.resolved_on,
        merged.evidence,
        rule_status.rule_version,
        dispositions.verdict as disposition,
        dispositions.reviewer as disposition_reviewer,
        dispositions.note as disposition_note,
        dispositions.recorded_at as disposition_at,
        cast($as_of as date) as as_of

    from merged
    left join rule_status on rule_status.code = merged.code
    left join households on households.household_id = merged.household_id
    left join dispositions on dispositions.alert_id = merged.alert_id

)

select * from final
