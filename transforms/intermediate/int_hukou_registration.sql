-- int.hukou_registration
-- grain: one row per person (trustworthy id_number) in the latest hukou snapshot (stg.hukou__person) with
-- business date <= $as_of: the one registration (户号) that counts for him. A person listed in two 户号
-- (quirk duplicate_household) keeps the registration that appeared later in the snapshot history, i.e.
-- whose (ID, 户号) pair has the greater first business date in stg.hukou__registration_history (which
-- holds only such persons); on a tie the greater 户号 (policy section 2 rule 3). is_collective: the
-- 户籍地址 ends with 集体户 (a 集体户 person forms a one-person household). registration_count > 1 marks
-- the persons the rule had to choose for.

with

persons as (

    select * from stg.hukou__person

),

history as (

    select * from stg.hukou__registration_history

),

registrations as (

    select
        persons.*,
        history.first_seen_date,
        count(*) over (partition by persons.id_number) as registration_count,
        row_number() over (
            partition by persons.id_number
            order by history.first_seen_date desc nulls last, persons.hukou_no desc, persons._row desc
        ) as registration_rank

    from persons
    left join history
        on history.id_number = persons.id_number
        and history.hukou_no = persons.hukou_no
    where persons.id_number_status in ('valid', 'legacy15')

),

final as (

    select
        id_number,
        hukou_no,
        name,
        sex,
        ethnicity,
        birth_date,
        relation_to_head,
        address,
        town,
        village,
        status,
        status_date,
        marital_status,
        education,
        coalesce(address like '%集体户', false) as is_collective,
        first_seen_date,
        registration_count,
        _delivery,
        _row,
        _business_date

    from registrations
    where registration_rank = 1

)

select * from final
