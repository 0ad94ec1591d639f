-- One row per insured person per year (ZVWZORGKOSTENTAB); negative corrections are clipped to 0.
-- Mental-health (GGZ) cost = the sum of the GGZ columns of the year's period (cbs-layouts.md §8).
with

source as (

    select * from {{ source('cbs', 'zvwzorgkostentab') }}

),

amounts as (

    select
        {{ person_key('RINPERSOONS', 'RINPERSOON') }} as person_id,
        _file_year as cost_year,
        greatest(coalesce(try_cast(replace(ZVWKEERSTELIJNSPSYCHO, ',', '.') as double), 0), 0) as first_line_psychology_eur,
        greatest(coalesce(try_cast(replace(ZVWKGGZ, ',', '.') as double), 0), 0) as mental_health_second_line_eur,
        greatest(coalesce(try_cast(replace(ZVWKGENBASGGZ, ',', '.') as double), 0), 0) as mental_health_basic_eur,
        greatest(coalesce(try_cast(replace(ZVWKSPECGGZ, ',', '.') as double), 0), 0) as mental_health_specialist_eur,
        greatest(coalesce(try_cast(replace(ZVWKHUISARTS, ',', '.') as double), 0), 0) as general_practitioner_eur,
        try_cast(replace(ZVWKTOTAAL, ',', '.') as double) as total_delivered_eur,
        _delivery_id as delivery_id
    from source

),

final as (

    select
        *,
        case
            when cost_year <= 2013 then first_line_psychology_eur + mental_health_second_line_eur
            else mental_health_basic_eur + mental_health_specialist_eur
        end as mental_health_eur
    from amounts

)

select * from final
