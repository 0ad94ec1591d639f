-- One row per person ever registered in the GBA/BRP (GBAPERSOONTAB), English names, typed.
with

source as (

    select * from {{ source('cbs', 'gbapersoontab') }}

),

renamed as (

    select
        -- ids
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,

        -- categoricals
        case trim(GBAGESLACHT) when '1' then 'male' when '2' then 'female' end as sex,
        {{ cbs_code('GBAGEBOORTELAND', ['', '----', '0000']) }} as birth_country_code,
        {{ cbs_code('GBAGEBOORTELANDMOEDER', ['', '----', '0000']) }} as mother_birth_country_code,
        {{ cbs_code('GBAGEBOORTELANDVADER', ['', '----', '0000']) }} as father_birth_country_code,
        {{ cbs_code('GBAHERKOMSTGROEPERING', ['', '----', '0000']) }} as origin_country_code,
        try_cast({{ cbs_code('GBAGENERATIE') }} as integer) as migration_generation,
        try_cast({{ cbs_code('GBAAANTALOUDERSBUITENLAND') }} as integer) as n_parents_born_abroad,

        -- birth date parts (unknown parts are NULL; D01: unknown day -> 15th, unknown month -> 1 July)
        try_cast({{ cbs_code('GBAGEBOORTEJAAR') }} as integer) as birth_year,
        try_cast({{ cbs_code('GBAGEBOORTEMAAND') }} as integer) as birth_month,
        try_cast({{ cbs_code('GBAGEBOORTEDAG') }} as integer) as birth_day,

        -- lineage
        _delivery_id as delivery_id

    from source

),

dated as (

    select
        *,
        case
            when birth_year is null then null
            when birth_month is null then make_date(birth_year, 7, 1)
            when birth_day is null then make_date(birth_year, birth_month, 15)
            else make_date(birth_year, birth_month, birth_day)
        end as birth_date,
        case
            when birth_year is null then 'unknown'
            when birth_month is null then 'year'
            when birth_day is null then 'month'
            else 'day'
        end as birth_date_precision
    from renamed

)

select * from dated
