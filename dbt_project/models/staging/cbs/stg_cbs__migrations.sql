-- One row per person per foreign-migration spell (GBAMIGRATIEBUS, proposal layout).
with

source as (

    select * from {{ source('cbs', 'gbamigratiebus') }}

),

renamed as (

    select
        -- ids
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,

        -- categoricals
        trim(GBAMIGRATIESOORT) as migration_type_code,
        case trim(GBAMIGRATIESOORT)
            when 'I' then 'immigration'
            when 'E' then 'emigration'
            when 'O' then 'administrative_addition'
            when 'A' then 'administrative_removal'
        end as migration_type,
        trim(GBAMIGRATIESOORT) in ('I', 'O') as is_arrival,
        {{ cbs_code('GBALANDHERKOMSTBESTEMMING', ['', '----', '0000']) }} as country_code,

        -- dates
        {{ cbs_date('GBADATUMAANVANGMIGRATIE') }} as migration_date,
        coalesce({{ cbs_end_date('GBADATUMEINDEMIGRATIE') }}, make_date(_file_year, 12, 31)) as spell_end_date,

        _delivery_id as delivery_id
    from source

)

select * from renamed
