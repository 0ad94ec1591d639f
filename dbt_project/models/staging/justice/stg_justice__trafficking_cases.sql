-- One row per trafficking case x suspect in the trafficking case register (proposal layout).
with

source as (

    select * from {{ source('justice', 'mensenhandeltab') }}

),

renamed as (

    select
        -- ids
        trim(OMZAAKNUMMER) as case_id,
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,

        -- categoricals
        trim(MHVORM) as trafficking_form_code,
        trim(MHBINNENLANDS) = '1' as is_domestic,
        trim(MHGEDAGVAARD) = '1' as is_summoned,
        nullif(trim(MHVONNIS), '') as verdict_code,

        -- dates
        {{ cbs_date('OMDATUMINSCHRIJVING') }} as registration_date,

        _delivery_id as delivery_id
    from source

)

select * from renamed
