-- One row per study group per day-since-index with at least one event: the Kaplan-Meier estimate
-- of remaining free of any new registered case after the first trafficking offence (OFF only),
-- censored at the end of observation. S(t) = prod over event times <= t of (1 - d_i / n_i).
with

careers as (

    select * from {{ ref('fct_offender_careers') }} where first_trafficking_date is not null

),

cases as (

    select * from {{ ref('int_cases') }} where case_source = 'objd'

),

durations as (

    select
        careers.person_id,
        'OFF' as study_group,
        coalesce(
            datediff('day', careers.first_trafficking_date, min(cases.case_date)),
            datediff('day', careers.first_trafficking_date, careers.observation_end_date)
        ) as days,
        min(cases.case_date) is not null as is_event
    from careers
    left join cases
        on cases.person_id = careers.person_id
       and cases.case_date > careers.first_trafficking_date
       and cases.case_date <= careers.observation_end_date
    group by careers.person_id, careers.first_trafficking_date, careers.observation_end_date

),

by_day as (

    select
        study_group,
        days,
        count(*) filter (where is_event) as n_events,
        count(*) as n_leaving
    from durations
    group by study_group, days

),

at_risk as (

    select
        *,
        sum(n_leaving) over (partition by study_group order by days desc rows unbounded preceding) as n_at_risk
    from by_day

),

final as (

    select
        study_group,
        days,
        n_at_risk,
        n_events,
        product(1 - n_events / n_at_risk) over (
            partition by study_group order by days rows unbounded preceding
        ) as survival
    from at_risk
    where n_events > 0

)

select * from final
