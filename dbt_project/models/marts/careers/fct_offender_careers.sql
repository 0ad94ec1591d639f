-- One row per sample offender: the criminal-career measures C02-C17 of SPEC §3.1, from the
-- complete registered career (OBJD). Cases are timed by their first offence date (D02).
with

cohort as (

    select * from {{ ref('dim_study_cohort') }}

),

career_cases as (

    select * from {{ ref('int_cases') }} where case_source = 'objd'

),

case_offences as (

    select * from {{ ref('int_case_offences') }} where case_source = 'objd'

),

offending_by_age as (

    select * from {{ ref('fct_offending_by_age') }}

),

observed_cases as (

    select career_cases.*
    from career_cases
    inner join cohort on cohort.person_id = career_cases.person_id
    where career_cases.case_date >= {{ add_years("cohort.birth_date", var('career_start_age')) }}
      and career_cases.case_date <= cohort.observation_end_date

),

first_trafficking_case as (

    select person_id, case_id as first_trafficking_case_id, case_date as first_trafficking_date
    from (
        select *, row_number() over (partition by person_id order by case_date, case_id) as case_rank
        from observed_cases
        where has_trafficking
    )
    where case_rank = 1

),

first_offence as (

    select person_id, min(case_date) as first_offence_date
    from observed_cases
    group by person_id

),

-- C05: pool the offences of all cases on the earliest date, then apply the precedence rule (D05)
first_offence_type as (

    select
        observed_cases.person_id,
        (['TRAFFICKING', 'SEXUAL', 'VIOLENCE', 'PROPERTY', 'DRUGS', 'VANDALISM_PUBLIC_ORDER', 'TRAFFIC', 'OTHER'])[
            min(
                case case_offences.category8
                    when 'TRAFFICKING' then 1 when 'SEXUAL' then 2 when 'VIOLENCE' then 3 when 'PROPERTY' then 4
                    when 'DRUGS' then 5 when 'VANDALISM_PUBLIC_ORDER' then 6 when 'TRAFFIC' then 7 when 'OTHER' then 8
                end
            )
        ] as first_offence_type,
        count(distinct case_offences.category8) as n_types_in_first_cases
    from observed_cases
    inner join first_offence
        on first_offence.person_id = observed_cases.person_id
       and first_offence.first_offence_date = observed_cases.case_date
    inner join case_offences on case_offences.case_id = observed_cases.case_id
    group by observed_cases.person_id

),

-- cases relative to the first trafficking case (C10, C11, C14): the first trafficking case itself is excluded;
-- a different case on the same date counts as 'after' (configurable tie rule, SPEC C10)
periods as (

    select
        observed_cases.*,
        case
            when observed_cases.case_id = first_trafficking_case.first_trafficking_case_id then 'first_trafficking'
            when observed_cases.case_date < first_trafficking_case.first_trafficking_date then 'before'
            else 'after'
        end as period
    from observed_cases
    inner join first_trafficking_case on first_trafficking_case.person_id = observed_cases.person_id

),

period_summary as (

    select
        person_id,
        count(*) filter (where period = 'before') as n_cases_before,
        count(*) filter (where period = 'after') as n_cases_after,
        count(*) filter (where period = 'after' and has_trafficking) as n_trafficking_cases_after,
        {% for category in ['PROPERTY', 'VIOLENCE', 'SEXUAL', 'DRUGS', 'VANDALISM_PUBLIC_ORDER', 'TRAFFIC', 'OTHER'] %}
        bool_or(list_contains(categories, '{{ category }}')) filter (where period = 'before') as any_{{ category | lower }}_before,
        bool_or(list_contains(categories, '{{ category }}')) filter (where period = 'after') as any_{{ category | lower }}_after,
        {% endfor %}
        bool_or(has_criminal_org) filter (where period = 'before') as any_criminal_org_before,
        bool_or(has_criminal_org) filter (where period = 'after') as any_criminal_org_after,
        {% for severity in ['LIGHT', 'MEDIUM', 'HEAVY'] %}
        bool_or(severity_class = '{{ severity }}') filter (where period = 'before') as any_{{ severity | lower }}_before,
        bool_or(severity_class = '{{ severity }}') filter (where period = 'after') as any_{{ severity | lower }}_after,
        {% endfor %}
    from periods
    group by person_id

),

versatility as (

    select
        person_id,
        count(distinct category) filter (where period = 'before') as n_types_before,
        count(distinct category) filter (where period = 'after') as n_types_after
    from (
        select person_id, period, unnest(categories) as category
        from periods
    )
    where category <> 'TRAFFICKING'
    group by person_id

),

age_window as (

    select
        person_id,
        sum(n_cases) as n_cases_12_35,
        sum(n_trafficking_cases) as n_trafficking_cases_12_35,
        sum(exposure_years) as observed_years_12_35
    from offending_by_age
    group by person_id

),

total_trafficking as (

    select person_id, count(*) filter (where has_trafficking) as n_trafficking_cases_ever
    from observed_cases
    group by person_id

),

final as (

    select
        cohort.person_id,
        cohort.sex,
        cohort.birth_date,
        cohort.observation_end_date,

        -- first offence (C02, C05)
        first_offence.first_offence_date,
        {{ age_decimal('cohort.birth_date', 'first_offence.first_offence_date') }} as age_first_offence,
        {{ age_years('cohort.birth_date', 'first_offence.first_offence_date') }} < 18 as is_minor_at_first_offence,
        first_offence_type.first_offence_type,
        first_offence_type.n_types_in_first_cases > 1 as has_multiple_types_in_first_case,

        -- first trafficking (C03, C04)
        first_trafficking_case.first_trafficking_date,
        {{ age_decimal('cohort.birth_date', 'first_trafficking_case.first_trafficking_date') }} as age_first_trafficking,
        case
            when first_trafficking_case.first_trafficking_date is null then null
            when {{ age_years('cohort.birth_date', 'first_trafficking_case.first_trafficking_date') }} < 18 then '<18'
            when {{ age_years('cohort.birth_date', 'first_trafficking_case.first_trafficking_date') }} < 25 then '18-24'
            when {{ age_years('cohort.birth_date', 'first_trafficking_case.first_trafficking_date') }} < 40 then '25-39'
            else '40+'
        end as age_first_trafficking_class,
        datediff('day', first_offence.first_offence_date, first_trafficking_case.first_trafficking_date) / 365.25
            as years_first_offence_to_trafficking,

        -- ages 12-35 (C06-C09, C16a)
        coalesce(age_window.n_cases_12_35, 0) as n_cases_12_35,
        age_window.observed_years_12_35,
        coalesce(age_window.n_cases_12_35, 0) / nullif(age_window.observed_years_12_35, 0) as cases_per_year_12_35,
        coalesce(age_window.n_trafficking_cases_12_35, 0) as n_trafficking_cases_12_35,
        coalesce(age_window.n_trafficking_cases_12_35, 0) >= 2 as is_trafficking_recidivist_12_35,
        coalesce(total_trafficking.n_trafficking_cases_ever, 0) >= 2 as is_trafficking_recidivist_ever,

        -- before / after first trafficking (C10-C13); NULL for a person without a trafficking case
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.n_cases_before, 0) end as n_cases_before_trafficking,
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.n_cases_before, 0) = 0 end as starts_with_trafficking,
        datediff('day', {{ add_years("cohort.birth_date", var('career_start_age')) }}, first_trafficking_case.first_trafficking_date) / 365.25
            as years_before_trafficking,
        coalesce(period_summary.n_cases_before, 0)
            / nullif(datediff('day', {{ add_years("cohort.birth_date", var('career_start_age')) }}, first_trafficking_case.first_trafficking_date) / 365.25, 0)
            as cases_per_year_before_trafficking,
        first_trafficking_case.first_trafficking_date
            <= {{ add_years("date '" ~ var('reference_date') ~ "'", -var('follow_up_years')) }}
            and cohort.observation_end_date >= {{ add_years("first_trafficking_case.first_trafficking_date", var('follow_up_years')) }}
            as has_follow_up,
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.n_cases_after, 0) end as n_cases_after_trafficking,
        datediff('day', first_trafficking_case.first_trafficking_date, cohort.observation_end_date) / 365.25 as years_after_trafficking,
        coalesce(period_summary.n_cases_after, 0)
            / nullif(datediff('day', first_trafficking_case.first_trafficking_date, cohort.observation_end_date) / 365.25, 0)
            as cases_per_year_after_trafficking,
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.n_trafficking_cases_after, 0) > 0 end as any_trafficking_after,

        -- offence types and severity before / after (C14, C15)
        case when first_trafficking_case.person_id is not null then coalesce(versatility.n_types_before, 0) end as n_types_before,
        case when first_trafficking_case.person_id is not null then coalesce(versatility.n_types_after, 0) end as n_types_after,
        {% for category in ['property', 'violence', 'sexual', 'drugs', 'vandalism_public_order', 'traffic', 'other', 'criminal_org'] %}
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.any_{{ category }}_before, false) end as any_{{ category }}_before,
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.any_{{ category }}_after, false) end as any_{{ category }}_after,
        {% endfor %}
        {% for severity in ['light', 'medium', 'heavy'] %}
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.any_{{ severity }}_before, false) end as any_{{ severity }}_before,
        case when first_trafficking_case.person_id is not null then coalesce(period_summary.any_{{ severity }}_after, false) end as any_{{ severity }}_after,
        {% endfor %}

        -- age on the reference date (C17)
        {{ age_decimal('cohort.birth_date', "date '" ~ var('reference_date') ~ "'") }} as age_at_reference_date

    from cohort
    left join first_offence on first_offence.person_id = cohort.person_id
    left join first_offence_type on first_offence_type.person_id = cohort.person_id
    left join first_trafficking_case on first_trafficking_case.person_id = cohort.person_id
    left join period_summary on period_summary.person_id = cohort.person_id
    left join versatility on versatility.person_id = cohort.person_id
    left join age_window on age_window.person_id = cohort.person_id
    left join total_trafficking on total_trafficking.person_id = cohort.person_id

)

select
    *,
    has_follow_up and n_cases_after_trafficking = 0 as stopped_offending
from final
