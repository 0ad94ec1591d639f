-- One row per sample offender per age-year 12..35 (SPEC C06): number of registered cases and of
-- trafficking cases whose first offence date falls in the age-year, and the exposure (share of the
-- age-year observed before the end of observation). Age-years not reached are missing (NULL counts).
with

cohort as (

    select * from {{ ref('dim_study_cohort') }}

),

career_cases as (

    select * from {{ ref('int_cases') }} where case_source = 'objd'

),

ages as (

    select unnest(range({{ var('career_start_age') }}, {{ var('career_end_age') }} + 1)) as age

),

person_ages as (

    select
        cohort.person_id,
        ages.age,
        {{ add_years("cohort.birth_date", "ages.age") }} as age_start_date,
        {{ add_years("cohort.birth_date", "ages.age + 1") }} as age_end_date,
        cohort.observation_end_date
    from cohort
    cross join ages
    where cohort.birth_date is not null

),

case_ages as (

    select
        career_cases.person_id,
        {{ age_years('cohort.birth_date', 'career_cases.case_date') }} as age,
        count(*) as n_cases,
        count(*) filter (where career_cases.has_trafficking) as n_trafficking_cases
    from career_cases
    inner join cohort on cohort.person_id = career_cases.person_id
    where career_cases.case_date <= cohort.observation_end_date
    group by all

),

final as (

    select
        person_ages.person_id,
        cast(person_ages.age as integer) as age,
        person_ages.age_start_date <= person_ages.observation_end_date as is_observed,
        case
            when person_ages.age_start_date > person_ages.observation_end_date then 0.0
            else least(
                datediff('day', person_ages.age_start_date, least(person_ages.age_end_date, person_ages.observation_end_date + 1))
                / datediff('day', person_ages.age_start_date, person_ages.age_end_date),
                1.0
            )
        end as exposure_years,
        case when person_ages.age_start_date <= person_ages.observation_end_date then coalesce(case_ages.n_cases, 0) end
            as n_cases,
        case when person_ages.age_start_date <= person_ages.observation_end_date then coalesce(case_ages.n_trafficking_cases, 0) end
            as n_trafficking_cases
    from person_ages
    left join case_ages
        on case_ages.person_id = person_ages.person_id
       and case_ages.age = person_ages.age

)

select * from final
