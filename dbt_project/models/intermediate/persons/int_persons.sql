-- One row per registered person: the person spine (birth, sex, origin, parents, migration, death).
with

persons as (

    select * from {{ ref('stg_cbs__persons') }}

),

child_parents as (

    select * from {{ ref('stg_cbs__child_parents') }}

),

deaths as (

    select * from {{ ref('stg_cbs__deaths') }}

),

migrations as (

    select * from {{ ref('stg_cbs__migrations') }}

),

countries as (

    select * from {{ ref('countries') }}

),

household_spells as (

    select * from {{ ref('stg_cbs__household_spells') }}

),

migration_events as (

    select
        person_id,
        min(migration_date) filter (where is_arrival) as first_arrival_date,
        min(migration_date) filter (where not is_arrival) as first_departure_date,
        max(migration_date) filter (where is_arrival) as last_arrival_date,
        max(migration_date) filter (where not is_arrival) as last_departure_date
    from migrations
    group by person_id

),

-- SPEC B03 uses the first immigration: the earliest arrival, unless a departure precedes it. Then the
-- person lived here before the first recorded arrival (born here, or arrived before the migration
-- register), that arrival is a return, and the immigration date is unknown.
migration_summary as (

    select
        *,
        case
            when first_departure_date is null or first_arrival_date <= first_departure_date
                then first_arrival_date
        end as first_immigration_date
    from migration_events

),

household_presence as (

    select person_id, min(spell_start_date) as first_household_date, max(spell_end_date) as last_household_date
    from household_spells
    group by person_id

),

final as (

    select
        -- ids
        persons.person_id,
        child_parents.mother_id,
        child_parents.father_id,

        -- birth and sex
        persons.sex,
        persons.birth_date,
        persons.birth_date_precision,
        persons.birth_year,

        -- origin
        persons.birth_country_code,
        birth_country.country_group as birth_country_group,
        persons.mother_birth_country_code,
        persons.father_birth_country_code,
        persons.birth_country_code = '6030' as is_born_in_netherlands,
        persons.migration_generation,

        -- parents known (KINDOUDERTAB row with a non-masked key, SPEC §2.2 [IMPL])
        child_parents.person_id is not null as is_in_child_parent_table,
        child_parents.mother_id is not null as has_known_mother,
        child_parents.father_id is not null as has_known_father,

        -- migration history
        migration_summary.first_arrival_date,
        migration_summary.first_immigration_date,
        migration_summary.last_departure_date,
        coalesce(
            migration_summary.last_departure_date > coalesce(migration_summary.last_arrival_date, date '1900-01-01'),
            false
        ) as has_emigrated_without_return,
        -- age at the first immigration (B03); NULL when that date is unknown
        {{ age_decimal('persons.birth_date', 'migration_summary.first_immigration_date') }} as age_at_first_arrival_years,

        -- death and registration
        deaths.death_date,
        household_presence.first_household_date,
        household_presence.last_household_date,
        household_presence.person_id is not null as is_ever_in_household

    from persons
    left join child_parents on child_parents.person_id = persons.person_id
    left join deaths on deaths.person_id = persons.person_id
    left join migration_summary on migration_summary.person_id = persons.person_id
    left join household_presence on household_presence.person_id = persons.person_id
    left join countries as birth_country on birth_country.code = persons.birth_country_code
    where persons.person_id is not null

)

select * from final
