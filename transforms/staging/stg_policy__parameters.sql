-- stg.policy__parameters
-- grain: one row per parameter row of the reviewed file transforms/parameters/policy_parameters.csv
-- (policy.md section 1): a (name, area, validity interval) with its value. effective_to is inclusive and
-- null when open-ended; area is all, urban or rural. is_in_effect: the row applies on $as_of (the rows in
-- effect on the as-of date apply). parameter_id names the row for results that record the parameters
-- they used; _version is the file's SHA-256 prefix (transforms/parameters/loader.py). parameter_json: the
-- row as a result records it (name, id, value, effective_from, version) - in eligibility reasons and alert
-- evidence alike.

with

source as (

    select * from raw.policy__parameters

),

final as (

    select
        name || '/' || area || '/' || strftime(effective_from, '%Y-%m-%d') as parameter_id,
        name,
        area,
        effective_from,
        effective_to,
        value,
        unit,
        source_doc,
        effective_from <= cast($as_of as date)
            and (effective_to is null or effective_to >= cast($as_of as date)) as is_in_effect,
        _source,
        _file,
        _row,
        _version,
        json_object(
            'name', name,
            'id', name || '/' || area || '/' || strftime(effective_from, '%Y-%m-%d'),
            'value', value,
            'effective_from', effective_from,
            'version', _version
        ) as parameter_json

    from source

)

select * from final
