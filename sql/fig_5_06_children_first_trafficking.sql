-- figure: Figure 5.6
-- title: Biological and/or resident children at first trafficking (and at first offence)
-- spec: SPEC §5.4 Fig 5.6, §5.4.1; W05
-- population: OFF; biological: all, resident: household position known, either: union [IMPL]
-- tests: binary shares: Pearson chi-square (4 profiles)
-- chart: flags
-- output: one row per group (INC, EPK, LPK, CON, OFF, CC, NCC where present) x measure x category
--   (category 'mean' = the mean/sd/median row); n = persons in the category (unrounded),
--   n_den = persons in the group with the measure known (unrounded); p_* = p-values (chi-square for
--   categories; one-way ANOVA over profiles / Welch unpaired t-test vs controls for means).
--   Disclosure control (rounding to 5, minimum cells) is applied by the report, not here.
with
pop as (
    -- study population with the trajectory group of each offender (controls: their study group)
    select p.person_id, p.study_group, coalesce(t.trajectory_group, p.study_group) as profile
    from marts.dim_study_population as p
    left join marts.fct_trajectory_membership as t on t.person_id = p.person_id
),
base as (
    select pop.profile, pop.study_group, e.* exclude (study_group)
    from pop
    join marts.fct_life_events as e on e.person_id = pop.person_id
    where pop.study_group = 'OFF'
),
long as (
    select profile, study_group, 'bio_child_at_first_trafficking' as measure,
        case when coalesce(bio_child_at_first_trafficking, false) then 'yes' else 'no' end as category,
        case when coalesce(bio_child_at_first_trafficking, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and coalesce(bio_child_at_first_trafficking, false) is not null
    union all
    select profile, study_group, 'resident_child_at_first_trafficking' as measure,
        case when resident_child_at_first_trafficking then 'yes' else 'no' end as category,
        case when resident_child_at_first_trafficking then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and resident_child_at_first_trafficking is not null
    union all
    select profile, study_group, 'bio_or_resident_child_at_first_trafficking' as measure,
        case when (coalesce(bio_child_at_first_trafficking, false) or coalesce(resident_child_at_first_trafficking, false)) then 'yes' else 'no' end as category,
        case when (coalesce(bio_child_at_first_trafficking, false) or coalesce(resident_child_at_first_trafficking, false)) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and (coalesce(bio_child_at_first_trafficking, false) or coalesce(resident_child_at_first_trafficking, false)) is not null
    union all
    select profile, study_group, 'bio_or_resident_child_at_first_offence' as measure,
        case when (coalesce(bio_child_at_first_offence, false) or coalesce(resident_child_at_first_offence, false)) then 'yes' else 'no' end as category,
        case when (coalesce(bio_child_at_first_offence, false) or coalesce(resident_child_at_first_offence, false)) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and (coalesce(bio_child_at_first_offence, false) or coalesce(resident_child_at_first_offence, false)) is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
