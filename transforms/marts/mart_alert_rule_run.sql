-- mart.alert_rule_run
-- grain: one row per early-warning rule on $as_of: evaluated or skipped (with the reason, in Chinese for
-- the report), how many of its alerts are new, open and resolved tonight, and the monitors' verdicts over
-- all its alerts ever reviewed: confirmed, false positives and the false-positive rate (false positives /
-- reviewed; null before the first review).

with

rule_status as (

    select * from int.alert_rule_status

),

alerts as (

    select * from mart.alert

),

counts as (

    select
        code,
        count(*) filter (where status = 'new') as new_count,
        count(*) filter (where status = 'open') as open_count,
        count(*) filter (where status = 'resolved' and resolved_on = cast($as_of as date)) as resolved_count,
        count(*) filter (where status in ('new', 'open')) as active_count,
        count(*) filter (where disposition is not null) as reviewed_count,
        count(*) filter (where disposition = 'confirmed') as confirmed_count,
        count(*) filter (where disposition = 'false_positive') as false_positive_count

    from alerts
    group by code

),

final as (

    select
        rule_status.code,
        rule_status.title_zh,
        rule_status.severity,
        rule_status.rule_version,
        rule_status.position,
        rule_status.as_of,
        rule_status.evaluated,
        rule_status.skip_reason,
        rule_status.skip_detail_zh,
        rule_status.stale_sources,
        coalesce(counts.new_count, 0) as new_count,
        coalesce(counts.open_count, 0) as open_count,
        coalesce(counts.resolved_count, 0) as resolved_count,
        coalesce(counts.active_count, 0) as active_count,
        coalesce(counts.reviewed_count, 0) as reviewed_count,
        coalesce(counts.confirmed_count, 0) as confirmed_count,
        coalesce(counts.false_positive_count, 0) as false_positive_count,
        round(counts.false_positive_count / nullif(counts.reviewed_count, 0), 4) as false_positive_rate

    from rule_status
    left join counts on counts.code = rule_status.code

)

select * from final
