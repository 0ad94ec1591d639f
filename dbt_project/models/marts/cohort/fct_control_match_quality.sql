-- One row per control group x matching variable: match rate and balance (share / mean) against the sample.
with

population as (

    select * from {{ ref('dim_study_population') }}

),

cohort_size as (

    select count(*) as n_offenders from population where study_group = 'OFF'

),

by_group as (

    select
        study_group,
        count(*) as n_persons,
        avg(case when sex = 'female' then 1.0 else 0.0 end) as share_female,
        avg(birth_year) as mean_birth_year,
        avg(case when has_known_mother then 1.0 else 0.0 end) as share_mother_known,
        avg(case when has_known_father then 1.0 else 0.0 end) as share_father_known
    from population
    group by study_group

),

unpivoted as (

    unpivot by_group
    on share_female, mean_birth_year, share_mother_known, share_father_known
    into name matching_variable value group_value

),

final as (

    select
        controls.study_group as control_group,
        controls.matching_variable,
        offenders.group_value as offender_value,
        controls.group_value as control_value,
        controls.group_value - offenders.group_value as difference,
        control_sizes.n_persons as n_matched,
        cohort_size.n_offenders,
        control_sizes.n_persons / cohort_size.n_offenders as match_rate
    from unpivoted as controls
    inner join unpivoted as offenders
        on offenders.matching_variable = controls.matching_variable
       and offenders.study_group = 'OFF'
    inner join by_group as control_sizes on control_sizes.study_group = controls.study_group
    cross join cohort_size
    where controls.study_group <> 'OFF'

)

select * from final
