-- One row per OM-registered criminal case x suspect (INSTROOMOMTAB, registration years 2001-2021).
-- D02: the case's time point is its first offence date, else the registration date.
with

source as (

    select * from {{ source('justice', 'instroomomtab') }}

),

renamed as (

    select
        -- ids
        trim(OMZAAKNUMMER) as case_id,
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,

        -- categoricals
        trim(OMSOORTVERDACHTE) as suspect_type_code,
        {{ cbs_code('OMZWAARSTEFEITSCM') }} as most_serious_offence_code,
        nullif(trim(OMZWAARSTEFEITARTIKEL), '') as most_serious_law_article,
        nullif(trim(OMPARKET), '') as prosecution_office_code,

        -- numerics
        try_cast(OMAANTALFEITEN as integer) as n_offences,

        -- dates
        {{ cbs_date('OMDATUMINSCHRIJVING') }} as registration_date,
        {{ cbs_date('OMDATUMPLEGEN') }} as offence_date,
        _file_year as registration_file_year,

        _delivery_id as delivery_id
    from source

)

select
    *,
    coalesce(offence_date, registration_date) as case_date
from renamed
