-- int.alert_rule_status
-- grain: one row per early-warning rule (stg.policy__alert_rules) on $as_of: whether it is evaluated
-- tonight or skipped, and why. Skipped (policy.md section 6):
--   * stale: a source the rule uses (its catalog row) is stale in mart.source_freshness; stale_sources
--     lists them with the business date of their latest data;
--   * out of season: STUDENT_AID_MISSING runs only from the business date of the current 学年's
--     December ZZ file (delivery XJ/ZZ_<Y>12, Y = the 学年's first year) to 31 August of Y + 1.
-- Alerts of a skipped rule keep their status and last_seen (mart.alert).

with

rules as (

    select * from stg.policy__alert_rules

),

freshness as (

    select * from mart.source_freshness

),

raw_files as (

    select * from stg.pipeline__raw_files

),

rule_sources as (

    select
        code,
        unnest(sources) as source

    from rules

),

stale as (

    select
        rule_sources.code,
        list(rule_sources.source order by rule_sources.source) as stale_sources,
        string_agg(
            rule_sources.source || '（最新数据 '
                || coalesce(strftime(freshness.latest_business_date, '%Y-%m-%d'), '无') || '）',
            '、' order by rule_sources.source
        ) as stale_detail

    from rule_sources
    inner join freshness on freshness.source = rule_sources.source
    where freshness.is_stale
    group by rule_sources.code

),

school_year as (

    select
        case when month(cast($as_of as date)) >= 9 then year(cast($as_of as date))
            else year(cast($as_of as date)) - 1 end as start_year

),

december_aid_file as (

    select
        min(raw_files.business_date) as business_date

    from raw_files
    cross join school_year
    where raw_files.source = 'education'
        and raw_files.entity = 'aid_payment'
        and regexp_extract(raw_files.delivery, '_([0-9]{6})(_R[0-9]+)?$', 1)
            = cast(school_year.start_year as varchar) || '12'

),

student_aid_season as (

    select
        december_aid_file.business_date is not null
            and cast($as_of as date) <= make_date(school_year.start_year + 1, 8, 31) as in_season,
        school_year.start_year,
        december_aid_file.business_date as season_start

    from school_year
    cross join december_aid_file

),

final as (

    select
        rules.code,
        rules.severity,
        rules.title_zh,
        rules.rule_version,
        rules.position,
        cast($as_of as date) as as_of,
        stale.code is null
            and (rules.code <> 'STUDENT_AID_MISSING' or student_aid_season.in_season) as evaluated,
        case
            when stale.code is not null then 'stale_source'
            when rules.code = 'STUDENT_AID_MISSING' and not student_aid_season.in_season then 'out_of_season'
        end as skip_reason,
        case
            when stale.code is not null
                then '数据源未按时更新：' || stale.stale_detail
            when rules.code = 'STUDENT_AID_MISSING' and not student_aid_season.in_season
                then '不在评估期：' || cast(student_aid_season.start_year as varchar) || '学年12月学生资助文件'
                    || coalesce('（业务日期 ' || strftime(student_aid_season.season_start, '%Y-%m-%d') || '）', '尚未到达')
                    || '起至次年8月31日评估'
        end as skip_detail_zh,
        coalesce(stale.stale_sources, []) as stale_sources

    from rules
    cross join student_aid_season
    left join stale on stale.code = rules.code

)

select * from final
