-- One row per case x offence of the study sample's complete registered careers (OBJD extract).
with

source as (

    select * from {{ source('justice', 'objdtab') }}

),

renamed as (

    select
        -- ids
        trim(OMZAAKNUMMER) as case_id,
        try_cast(OMFEITVOLGNR as integer) as offence_seq,
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,

        -- categoricals
        {{ cbs_code('OMFEITSCM') }} as offence_code,
        nullif(trim(OMFEITARTIKEL), '') as law_article,
        nullif(trim(OMAFDOENING), '') as decision_code,

        -- numerics
        try_cast(replace(OMFEITMAXSTRAFJAREN, ',', '.') as double) as stat_max_prison_years,

        -- dates
        {{ cbs_date('OMDATUMINSCHRIJVING') }} as registration_date,
        {{ cbs_date('OMDATUMPLEGEN') }} as offence_date,

        _delivery_id as delivery_id
    from source

)

select * from renamed
