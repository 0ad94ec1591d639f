-- One row per sample offender per window (2, 5, 7 years) per detention-correction variant (SPEC R01):
-- reoffending (any case / a trafficking case other than the index case) with first offence date in
-- (t0, window end]. t0 = first trafficking offence date. With detention correction the window end is
-- extended by the detention days inside the window (two fixed-point iterations). A window counts
-- (is_window_observed) only if it ends on or before the end of observation (reference date or death).
with

careers as (

    select * from {{ ref('fct_offender_careers') }} where first_trafficking_date is not null

),

cases as (

    select * from {{ ref('int_cases') }} where case_source = 'objd'

),

detentions as (

    select * from {{ ref('int_detention_spells') }}

),

index_cases as (

    select
        careers.person_id,
        careers.first_trafficking_date as index_date,
        careers.observation_end_date,
        min(cases.case_id) filter (where cases.has_trafficking and cases.case_date = careers.first_trafficking_date)
            as index_case_id
    from careers
    left join cases on cases.person_id = careers.person_id
    group by all

),

windows as (

    select
        index_cases.*,
        window_years,
        {{ add_years("index_cases.index_date", "window_years") }} as calendar_end_date
    from index_cases
    cross join (select unnest({{ var('recidivism_windows_years') }}) as window_years)

),

detention_days as (

    select
        windows.*,
        windows.calendar_end_date + cast(coalesce((
            select sum(greatest(datediff('day', greatest(detentions.detention_start_date, windows.index_date),
                                                least(detentions.detention_end_date, windows.calendar_end_date)) + 1, 0))
            from detentions
            where detentions.person_id = windows.person_id
        ), 0) as integer) as corrected_end_1
    from windows

),

corrected as (

    select
        detention_days.*,
        detention_days.calendar_end_date + cast(coalesce((
            select sum(greatest(datediff('day', greatest(detentions.detention_start_date, detention_days.index_date),
                                                least(detentions.detention_end_date, detention_days.corrected_end_1)) + 1, 0))
            from detentions
            where detentions.person_id = detention_days.person_id
        ), 0) as integer) as corrected_end_date
    from detention_days

),

variants as (

    select person_id, index_date, index_case_id, observation_end_date, window_years,
           false as is_detention_corrected, calendar_end_date as window_end_date
    from corrected
    union all
    select person_id, index_date, index_case_id, observation_end_date, window_years,
           true as is_detention_corrected, corrected_end_date as window_end_date
    from corrected

),

final as (

    select
        variants.person_id,
        cast(variants.window_years as integer) as window_years,
        variants.is_detention_corrected,
        variants.index_date,
        variants.window_end_date,
        variants.window_end_date <= variants.observation_end_date as is_window_observed,
        coalesce(bool_or(cases.case_id is not null), false) as reoffended_any,
        coalesce(bool_or(cases.has_trafficking), false) as reoffended_trafficking
    from variants
    left join cases
        on cases.person_id = variants.person_id
       and cases.case_id is distinct from variants.index_case_id
       and cases.case_date > variants.index_date
       and cases.case_date <= least(variants.window_end_date, variants.observation_end_date)
    group by all

)

select * from final
