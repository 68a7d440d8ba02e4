-- stg.policy__alert_rules
-- grain: one row per early-warning rule (policy.md section 6) of the reviewed catalog
-- transforms/parameters/alert_rules.csv: its severity, subject, the sources it uses (the staleness check
-- skips it when one is stale), its version and the monitors' Chinese title. position = the policy's order.

with

source as (

    select * from raw.policy__alert_rules

),

final as (

    select
        code,
        severity,
        subject,
        sources,
        rule_version,
        title_zh,
        position,
        _version

    from source

)

select * from final
