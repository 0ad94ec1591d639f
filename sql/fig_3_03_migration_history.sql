-- figure: Figure 3.3
-- title: Migration history
-- spec: SPEC §5.2 Fig 3.3; B03
-- population: OFF, CC, NCC with a known migration history
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC)
-- chart: stacked
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
    select pop.profile, pop.study_group, b.* exclude (study_group)
    from pop
    join marts.fct_person_background as b on b.person_id = pop.person_id
),
long as (
    select profile, study_group, 'migration_history' as measure,
        cast(migration_history as varchar) as category,
        case migration_history
    when 'BORN_NL_PARENTS_NL' then 1 when 'BORN_NL_PARENT_ABROAD' then 2 when 'MIGRATED_UNDER_12' then 3
    when 'MIGRATED_12_17' then 4 else 5 end as category_order,
        cast(null as double) as value
    from base
    where (true) and migration_history is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
