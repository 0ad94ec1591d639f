-- One row per person per socio-economic spell, mapped to the study's four categories (SPEC W01).
with

secm_spells as (

    select * from {{ ref('stg_cbs__secm_spells') }}

),

secm_codes as (

    select * from {{ ref('secm_codes') }}

),

final as (

    select
        secm_spells.person_id,
        secm_spells.spell_start_date,
        secm_spells.spell_end_date,
        secm_spells.secm_code,
        secm_codes.secm_category
    from secm_spells
    left join secm_codes on secm_codes.code = secm_spells.secm_code
    where secm_spells.person_id is not null

)

select * from final
