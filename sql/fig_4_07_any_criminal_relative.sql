-- figure: Figure 4.7
-- title: Any criminal parent, (half-)sibling and/or (ex-)partner
-- spec: SPEC §5.3 Fig 4.7; E02
-- population: both parents known (455 per group)
-- tests: binary share: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC)
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
    select pop.profile, pop.study_group, k.* exclude (study_group)
    from pop
    join marts.fct_criminal_network as k on k.person_id = pop.person_id
),
long as (
    select profile, study_group, 'criminal_relative' as measure,
        case when has_criminal_relative then 'yes' else 'no' end as category,
        case when has_criminal_relative then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known) and has_criminal_relative is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
