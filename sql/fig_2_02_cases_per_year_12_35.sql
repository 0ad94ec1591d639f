-- figure: Figure 2.2
-- title: Mean number of cases per year between 12 and 35, by profile
-- spec: SPEC §5.1 Fig 2.2; C08
-- population: all OFF (630); per-person cases / observed years 12-35
-- tests: means: one-way ANOVA (4 profiles)
-- pairwise: all groups differ except EPK vs LPK (means, fn 5)
-- chart: mean
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
    select pop.profile, pop.study_group, c.*
    from pop
    join marts.fct_offender_careers as c on c.person_id = pop.person_id
),
long as (
    select profile, study_group, 'cases_per_year_12_35' as measure,
        cast(null as varchar) as category,
        0 as category_order,
        cast(cases_per_year_12_35 as double) as value
    from base
    where (true) and cases_per_year_12_35 is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long, pairwise := true)
