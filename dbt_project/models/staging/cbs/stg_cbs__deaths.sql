-- One row per deceased person (GBAOVERLIJDENTAB), with the date of death.
with

source as (

    select * from {{ source('cbs', 'gbaoverlijdentab') }}

),

renamed as (

    select
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,
        {{ cbs_date('GBADATUMOVERLIJDEN') }} as death_date,
        _delivery_id as delivery_id
    from source

)

select * from renamed
