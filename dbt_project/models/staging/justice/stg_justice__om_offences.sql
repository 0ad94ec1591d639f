-- One row per offence of an OM-registered case (INSTROOMOMFEITTAB, proposal layout).
with

source as (

    select * from {{ source('justice', 'instroomomfeittab') }}

),

renamed as (

    select
        trim(OMZAAKNUMMER) as case_id,
        try_cast(OMFEITVOLGNR as integer) as offence_seq,
        {{ cbs_code('OMFEITSCM') }} as offence_code,
        nullif(trim(OMFEITARTIKEL), '') as law_article,
        try_cast(replace(OMFEITMAXSTRAFJAREN, ',', '.') as double) as stat_max_prison_years,
        _delivery_id as delivery_id
    from source

)

select * from renamed
