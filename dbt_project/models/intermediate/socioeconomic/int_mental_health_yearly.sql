-- One row per insured person per calendar year: present in the Zvw file and whether GGZ costs > 0.
with

health_costs as (

    select * from {{ ref('stg_cbs__health_costs') }}

),

final as (

    select
        person_id,
        cost_year,
        mental_health_eur,
        mental_health_eur > 0 as received_mental_health_care
    from health_costs
    where person_id is not null

)

select * from final
