-- One row per person in the study population: the offender sample (OFF) and both matched control
-- groups (CC, NCC), with the matching variables and the end of observation.
with

cohort as (

    select * from {{ ref('dim_study_cohort') }}

),

controls as (

    select * from {{ ref('dim_control_persons') }}

),

persons as (

    select * from {{ ref('int_persons') }}

),

unioned as (

    select person_id, 'OFF' as study_group, person_id as matched_offender_id
    from cohort
    union all
    select person_id, control_group as study_group, matched_offender_id
    from controls

),

final as (

    select
        unioned.person_id,
        unioned.study_group,
        unioned.matched_offender_id,
        persons.sex,
        persons.birth_date,
        persons.birth_year,
        persons.has_known_mother,
        persons.has_known_father,
        persons.mother_id,
        persons.father_id,
        persons.death_date,
        least(coalesce(persons.death_date, date '{{ var("reference_date") }}'), date '{{ var("reference_date") }}')
            as observation_end_date
    from unioned
    inner join persons on persons.person_id = unioned.person_id

)

select * from final
