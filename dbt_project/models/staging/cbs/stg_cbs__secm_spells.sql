-- One row per person per socio-economic spell (SECMBUS, month resolution, from January 1999).
with

source as (

    select * from {{ source('cbs', 'secmbus') }}

),

renamed as (

    select
        -- ids
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,

        -- categoricals
        {{ cbs_code('SECM') }} as secm_code,
        trim(XKOPPELWERKNSECM) = '1' as has_employee_income,
        trim(XKOPPELWERKLUITKSECM) = '1' as has_unemployment_benefit,
        trim(XKOPPELBIJSTANDSECM) = '1' as has_social_assistance,
        trim(XKOPPELSCHOLSTUDSECM) = '1' as is_enrolled,

        -- dates (inclusive)
        {{ cbs_date('AANVSECM') }} as spell_start_date,
        coalesce({{ cbs_end_date('EINDSECM') }}, make_date(_file_year, 12, 31)) as spell_end_date,

        _delivery_id as delivery_id
    from source

)

select * from renamed
