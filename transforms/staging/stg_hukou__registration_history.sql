-- stg.hukou__registration_history
-- grain: one row per (person, 户号) registration (id_number, hukou_no) of a person listed in more than one
-- 户号 in the latest snapshot (quirk duplicate_household), over every hukou snapshot with business date
-- <= $as_of: the first and last business dates the pair occurs on. Policy section 2 rule 3 needs it: such
-- a person belongs to the 户号 that appeared later in the snapshot history. Only those persons (~0.05%)
-- are kept because the raw store holds one full snapshot per day: aggregating every pair of every day
-- would cost minutes per year of history, a semi-join on a few hundred IDs costs seconds.
-- Of one business date only the snapshot that supersedes the others counts (highest _R<n> re-delivery,
-- README section 4), so a row a re-delivery corrected away never counts. The history starts with the
-- first snapshot in the raw store: registrations already present then share that first date (a tie).

with

raw_files as (

    select * from raw.pipeline__raw_files

),

source as (

    select * from raw.hukou__person

),

current_deliveries as (

    select
        delivery,
        business_date,
        redelivery

    from raw_files
    where source = 'hukou' and entity = 'person'
    qualify row_number() over (
        partition by business_date order by redelivery desc, delivery desc
    ) = 1

),

latest_delivery as (

    -- the same snapshot stg.hukou__person reads
    select delivery
    from current_deliveries
    order by business_date desc, redelivery desc, delivery desc
    limit 1

),

listed_twice as (

    select id_number
    from source
    where _delivery = (select delivery from latest_delivery)
        and id_number is not null
    group by id_number
    having count(distinct hukou_no) > 1

),

final as (

    select
        id_number,
        hukou_no,
        min(_business_date) as first_seen_date,
        max(_business_date) as last_seen_date

    from source
    where _delivery in (select delivery from current_deliveries)
        and id_number in (select id_number from listed_twice)
    group by id_number, hukou_no

)

select * from final
