-- One row per detention spell (GEDETINEERDENTAB, proposal layout); running spells end at the version end.
with

source as (

    select * from {{ source('justice', 'gedetineerdentab') }}

),

renamed as (

    select
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,
        nullif(trim(DETTITEL), '') as detention_title_code,
        nullif(trim(DETINRICHTINGTYPE), '') as institution_type_code,
        {{ cbs_date('DETDATUMINSTROOM') }} as detention_start_date,
        {{ cbs_end_date('DETDATUMUITSTROOM') }} as detention_end_date,
        _delivery_id as delivery_id
    from source

)

select * from renamed
