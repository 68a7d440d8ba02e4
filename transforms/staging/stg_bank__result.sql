-- stg.bank__result
-- grain: one row per 结果 element of the response in use for each batch (批次号) answered with business
-- date <= $as_of: a re-delivered response HDR_<批次号>_R<n> supersedes the earlier ones completely
-- (sources/bank.yaml), so only each batch's highest version is read. Every response answers a request of
-- ours (connectors/bank.py rejects the others) and rows naming an unrequested person were quarantined
-- and never reach the raw store. application_no and authorization_date are the 申请编号 and
-- 授权书签署日期 the request named for the person (the 授权书 that covered the query); whether it is
-- signed is checked where the results are used (int.person_assets). balance is set on 成功 rows only.

with

raw_files as (

    select * from raw.pipeline__raw_files
    where source = 'bank' and entity = 'result'

),

source as (

    select * from raw.bank__result

),

in_use as (

    select
        delivery,
        redelivery

    from raw_files
    qualify row_number() over (
        partition by regexp_replace(delivery, '_R[0-9]+$', '')
        order by redelivery desc, business_date desc
    ) = 1

),

final as (

    select
        source.batch_no,
        source.returned_at,
        source.id_number,
        source.id_number_status,
        source.id_number_raw,
        source.name,
        source.requested_name,
        source.institution,
        source.account_type,
        source.balance,
        source.query_status,
        source.application_no,
        source.authorization_date,
        in_use.redelivery as response_version,
        source._source,
        source._delivery,
        source._file,
        source._row,
        source._business_date

    from source
    inner join in_use on in_use.delivery = source._delivery

)

select * from final
