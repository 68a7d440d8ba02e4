-- mart.profile_lookup (look-up relation of warehouse.lookup.profile, `safetynet profile` / `verify`)
-- grain: one row per household of mart.household, as of $as_of; keyed by household_id (ART-indexed,
-- warehouse.query.LOOKUP_INDEXES), so a window look-up is two point queries (member -> household, then
-- this doc) instead of one per mart table (each DuckDB statement costs ~1 ms, mostly planning). One doc per
-- household, not per member: the docs are ~3 KB and would be repeated for every member.
-- The eligibility `reasons` are left out: they made the docs ~11 KB (78% of the text), and at that size
-- DuckDB's point read of one doc took ~3 ms instead of ~0.4 ms at full-city scale (benchmarks/README.md);
-- only the verification report shows them, and it reads them from mart.eligibility by household_id.
--   doc: the household's per-household profile parts as one JSON object:
--     household   - the mart.household row;
--     members     - per member, the mart.household_member values with the member's mart.person values
--                   (null without a person row), in the key order profile() shows; by ID number (profile()
--                   orders them for display: 本人 first, then birth date, ID number);
--     profile     - the mart.household_profile row, or null;
--     eligibility - the household's mart.eligibility rows without `reasons`, in the policy's program order
--                   ([] without any);
--     alerts      - its mart.alert rows whose status is new or open (warehouse.lookup.ACTIVE_STATUSES),
--                   by alert_id, with the columns profile() shows ([] without any; profile() orders them).
--   every list is in a fixed order (members and alerts by key, eligibility by program), so the content hash
--   does not depend on parallel execution.
--   Values keep their exact text: DECIMALs as DuckDB writes them (with their scale), DATEs as ISO strings,
--   JSON columns (evidence) as strings holding their stored text; profile() reads DECIMALs back
--   as Decimals and the DATE columns of the source tables as dates.

with

households as (

    select * from mart.household

),

members as (

    select * from mart.household_member

),

persons as (

    select * from mart.person

),

profiles as (

    select * from mart.household_profile

),

eligibility as (

    select * exclude (reasons) from mart.eligibility

),

eligibility_rows as (

    select
        household_id,
        case eligibility.program
            when 'DIBAO' then 1 when 'TEKUN' then 2 when 'DIBAO_EDGE' then 3 when 'RIGID_EXPENDITURE' then 4
            else 5
        end as program_order,
        eligibility as row

    from eligibility

),

alerts as (

    select * from mart.alert
    where status in ('new', 'open')

),

member_lists as (

    select
        members.household_id,
        list({
            'id_number': members.id_number,
            'name': persons.name,
            'sex': persons.sex,
            'birth_date': persons.birth_date,
            'is_alive': persons.is_alive,
            'death_date': persons.death_date,
            'relation_to_head': members.relation_to_head,
            'is_covered': members.is_covered,
            'hukou_status': persons.hukou_status,
            'town': persons.town,
            'sources': persons.sources
        } order by members.id_number) as members

    from members
    left join persons on persons.id_number = members.id_number
    group by members.household_id

),

profile_rows as (

    select
        household_id,
        profiles as profile

    from profiles

),

eligibility_lists as (

    select
        household_id,
        list(row order by program_order, row.program) as eligibility

    from eligibility_rows
    group by household_id

),

alert_lists as (

    select
        household_id,
        list({
            'alert_id': alert_id,
            'code': code,
            'title_zh': title_zh,
            'severity': severity,
            'status': status,
            'id_number': id_number,
            'first_seen': first_seen,
            'last_seen': last_seen,
            'evidence': cast(evidence as varchar),
            'disposition': disposition
        } order by alert_id) as alerts

    from alerts
    group by household_id

),

household_docs as (

    select
        households.household_id,
        -- One to_json over native values: a JSON value passed on to json_object is re-parsed, and its
        -- DECIMALs come back as doubles without their scale (472.50 -> 472.5).
        to_json({
            'household': households,
            'members': coalesce(member_lists.members, []),
            'profile': profile_rows.profile,
            'eligibility': coalesce(eligibility_lists.eligibility, []),
            'alerts': coalesce(alert_lists.alerts, [])
        }) as doc

    from households
    left join member_lists on member_lists.household_id = households.household_id
    left join profile_rows on profile_rows.household_id = households.household_id
    left join eligibility_lists on eligibility_lists.household_id = households.household_id
    left join alert_lists on alert_lists.household_id = households.household_id

),

final as (

    select
        household_id,
        doc

    from household_docs

)

select * from final
