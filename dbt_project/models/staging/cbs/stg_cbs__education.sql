-- One row per person per education file year (HOOGSTEOPLTAB, state on 1 October of the year).
with

source as (

    select * from {{ source('cbs', 'hoogsteopltab') }}

),

renamed as (

    select
        -- ids
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,
        _file_year as education_year,
        make_date(_file_year, 10, 1) as reference_date,

        -- categoricals (SOI AGG4 codes; SOI-2016 and SOI-2021 share code points)
        {{ cbs_code('OPLNIVSOI2021AGG4HBMETNIRWO', ['', '----', '9999']) }} as attained_level_code,
        {{ cbs_code('OPLNIVSOI2021AGG4HGMETNIRWO', ['', '----', '9999']) }} as followed_level_code,

        -- numerics
        try_cast(replace(GEWICHTHOOGSTEOPL, ',', '.') as double) as survey_weight,

        _delivery_id as delivery_id
    from source

)

select * from renamed
