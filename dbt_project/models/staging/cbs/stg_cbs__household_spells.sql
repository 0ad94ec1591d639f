-- One row per person per household spell (GBAHUISHOUDENSBUS). Spells running at the end of the
-- version's coverage (DATUMEINDEHH = YYYY1231 of the version) are flagged as running; spells that
-- started before the register are left-censored at 1994-10-01.
with

source as (

    select * from {{ source('cbs', 'gbahuishoudensbus') }}

),

renamed as (

    select
        -- ids
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,
        trim(HUISHOUDNR) || '@' || trim(DATUMAANVANGHH) as household_spell_id,
        trim(HUISHOUDNR) as household_number,

        -- categoricals
        try_cast({{ cbs_code('TYPHH') }} as integer) as household_type_code,
        try_cast({{ cbs_code('PLHH') }} as integer) as household_position_code,
        trim(REFPERSOONHH) = '1' as is_reference_person,
        nullif(trim(IMPUTATIECODEHH), '') is not null as is_imputed,

        -- numerics
        try_cast(AANTALPERSHH as integer) as n_persons,
        try_cast(AANTALKINDHH as integer) as n_children,
        try_cast(AANTALOVHH as integer) as n_other_members,

        -- dates (inclusive)
        {{ cbs_date('DATUMAANVANGHH') }} as spell_start_date,
        coalesce({{ cbs_date('DATUMEINDEHH') }}, make_date(_file_year, 12, 31)) as spell_end_date,
        {{ cbs_date('DATUMAANVANGHH') }} <= date '{{ var("register_start_date") }}' as is_left_censored,
        {{ cbs_end_date('DATUMEINDEHH', 'make_date(_file_year, 12, 31)') }} is null as is_running,

        _delivery_id as delivery_id
    from source

)

select * from renamed
