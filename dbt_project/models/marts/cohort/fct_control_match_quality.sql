-- One row per control group x matching variable: match rate, and balance of the matched controls
-- against the offenders they were matched to (exact matching makes the difference 0 by construction;
-- the test on this mart guards that invariant). offender_value_all is over the whole sample.
with

population as (

    select * from {{ ref('dim_study_population') }}

),

controls as (

    select * from population where study_group <> 'OFF'

),

offenders as (

    select * from population where study_group = 'OFF'

),

pairs as (

    select
        controls.study_group as control_group,
        variables.matching_variable,
        variables.control_value,
        variables.offender_value
    from controls
    inner join offenders on offenders.person_id = controls.matched_offender_id
    cross join lateral (
        values
            ('share_female', case when controls.sex = 'female' then 1.0 else 0.0 end,
                             case when offenders.sex = 'female' then 1.0 else 0.0 end),
            ('mean_birth_year', cast(controls.birth_year as double), cast(offenders.birth_year as double)),
            ('share_mother_known', case when controls.has_known_mother then 1.0 else 0.0 end,
                                   case when offenders.has_known_mother then 1.0 else 0.0 end),
            ('share_father_known', case when controls.has_known_father then 1.0 else 0.0 end,
                                   case when offenders.has_known_father then 1.0 else 0.0 end)
    ) as variables(matching_variable, control_value, offender_value)

),

sample_size as (

    select count(*) as n_offenders from offenders

),

final as (

    select
        pairs.control_group,
        pairs.matching_variable,
        avg(pairs.offender_value) as offender_value,
        avg(pairs.control_value) as control_value,
        avg(pairs.control_value) - avg(pairs.offender_value) as difference,
        count(*) as n_matched,
        any_value(sample_size.n_offenders) as n_offenders,
        count(*) / any_value(sample_size.n_offenders) as match_rate
    from pairs
    cross join sample_size
    group by pairs.control_group, pairs.matching_variable

)

select * from final
