-- One row per person per detention spell; running spells end at the reference date.
with

detentions as (

    select * from {{ ref('stg_justice__detentions') }}

),

final as (

    select
        person_id,
        detention_start_date,
        coalesce(detention_end_date, date '{{ var("reference_date") }}') as detention_end_date,
        detention_end_date is null as is_running,
        detention_title_code
    from detentions
    where person_id is not null

)

select * from final
