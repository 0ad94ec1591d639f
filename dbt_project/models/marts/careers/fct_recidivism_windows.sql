-- One row per sample offender per window (2, 5, 7 years) per detention-correction variant (SPEC R01):
-- reoffending (any case / a trafficking case other than the index case) with first offence date in
-- (t0, window end]. t0 = first trafficking offence date. With detention correction the window end is
-- extended by the detention days inside the window, iterated to the fixed point (so the window holds
-- w years of days at liberty; detention days are counted from t0 + 1). A window counts
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

-- detention spells merged where they overlap or touch (gaps-and-islands), so no day counts twice
detention_islands as (

    select
        person_id,
        detention_start_date,
        detention_end_date,
        sum(starts_new_island) over (
            partition by person_id order by detention_start_date, detention_end_date rows unbounded preceding
        ) as island_number
    from (
        select
            detentions.*,
            case
                when detention_start_date <= max(detention_end_date) over (
                    partition by person_id order by detention_start_date, detention_end_date
                    rows between unbounded preceding and 1 preceding
                ) + 1 then 0
                else 1
            end as starts_new_island
        from detentions
    )

),

detention_periods as (

    select person_id, min(detention_start_date) as period_start_date, max(detention_end_date) as period_end_date
    from detention_islands
    group by person_id, island_number

),

-- detention periods after t0, clipped to start the day after t0 (the window is (t0, t0 + w])
window_detentions as (

    select
        windows.person_id,
        windows.window_years,
        windows.calendar_end_date,
        greatest(detention_periods.period_start_date, windows.index_date + 1) as clipped_start_date,
        datediff('day', greatest(detention_periods.period_start_date, windows.index_date + 1),
                 detention_periods.period_end_date) + 1 as detention_days
    from windows
    inner join detention_periods
        on detention_periods.person_id = windows.person_id
       and detention_periods.period_end_date > windows.index_date

),

-- The corrected end E is the smallest fixed point of E = calendar end + detention days in (t0, E]:
-- taking the periods in time order, a period lies (wholly) inside the window iff it starts on or
-- before the calendar end extended by all earlier periods; once one does not, no later one does.
window_detentions_ranked as (

    select
        *,
        coalesce(sum(detention_days) over (
            partition by person_id, window_years order by clipped_start_date
            rows between unbounded preceding and 1 preceding
        ), 0) as earlier_detention_days
    from window_detentions

),

window_detentions_inside as (

    select
        *,
        bool_and(clipped_start_date <= calendar_end_date + cast(earlier_detention_days as integer)) over (
            partition by person_id, window_years order by clipped_start_date rows unbounded preceding
        ) as is_inside_window
    from window_detentions_ranked

),

detention_extension as (

    select person_id, window_years, sum(detention_days) filter (where is_inside_window) as extension_days
    from window_detentions_inside
    group by person_id, window_years

),

corrected as (

    select
        windows.*,
        windows.calendar_end_date + cast(coalesce(detention_extension.extension_days, 0) as integer)
            as corrected_end_date
    from windows
    left join detention_extension
        on detention_extension.person_id = windows.person_id
       and detention_extension.window_years = windows.window_years

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
