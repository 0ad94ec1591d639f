-- One row per child with the legal mother and father (KINDOUDERTAB); masked parents are NULL.
with

source as (

    select * from {{ source('cbs', 'kindoudertab') }}

),

renamed as (

    select
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,
        case when trim(RINPERSOONSMA) = 'R' then {{ person_key('RINPERSOONSMA', 'RINPERSOONMA') }} end as mother_id,
        case when trim(RINPERSOONSPA) = 'R' then {{ person_key('RINPERSOONSPA', 'RINPERSOONPA') }} end as father_id,
        _delivery_id as delivery_id
    from source

)

select * from renamed
