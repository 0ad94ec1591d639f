-- One row per offender of domestic sexual exploitation in the study sample (SPEC §2.1): a
-- trafficking case with (at least) sexual exploitation, all victims domestic, summoned, registered
-- at the OM in 2008-2017. Index dates: the sample case, the first offence and first trafficking (OBJD).
with

trafficking_cases as (

    select * from {{ ref('stg_justice__trafficking_cases') }}

),

trafficking_forms as (

    select * from {{ ref('trafficking_forms') }}

),

persons as (

    select * from {{ ref('int_persons') }}

),

career_cases as (

    select * from {{ ref('int_cases') }} where case_source = 'objd'

),

sample_cases as (

    select
        trafficking_cases.person_id,
        trafficking_cases.case_id,
        trafficking_cases.registration_date,
        row_number() over (
            partition by trafficking_cases.person_id
            order by trafficking_cases.registration_date, trafficking_cases.case_id
        ) as case_rank
    from trafficking_cases
    inner join trafficking_forms on trafficking_forms.code = trafficking_cases.trafficking_form_code
    where trafficking_forms.is_sexual_exploitation
      and trafficking_cases.is_domestic
      and trafficking_cases.is_summoned
      and year(trafficking_cases.registration_date)
          between {{ var('sample_registration_year_start') }} and {{ var('sample_registration_year_end') }}
      and trafficking_cases.person_id is not null

),

career_dates as (

    select
        person_id,
        min(case_date) as first_offence_date,
        min(case_date) filter (where has_trafficking) as first_trafficking_date,
        count(*) as n_career_cases
    from career_cases
    group by person_id

),

final as (

    select
        sample_cases.person_id,
        sample_cases.case_id as index_case_id,
        sample_cases.registration_date as index_case_registration_date,
        persons.sex,
        persons.birth_date,
        persons.birth_year,
        persons.has_known_mother,
        persons.has_known_father,
        persons.is_ever_in_household,
        persons.death_date,
        least(coalesce(persons.death_date, date '{{ var("reference_date") }}'), date '{{ var("reference_date") }}')
            as observation_end_date,
        career_dates.first_offence_date,
        career_dates.first_trafficking_date,
        coalesce(career_dates.n_career_cases, 0) as n_career_cases
    from sample_cases
    inner join persons on persons.person_id = sample_cases.person_id
    left join career_dates on career_dates.person_id = sample_cases.person_id
    where sample_cases.case_rank = 1

)

select * from final
