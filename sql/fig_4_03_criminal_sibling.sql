-- figure: Figure 4.3
-- title: Criminal (half-)sibling
-- spec: SPEC §5.3 Fig 4.3; E02, E03
-- population: both parents known (455 per group); most-criminal mean: persons with a criminal sibling
-- tests: binary share: Pearson chi-square; most-criminal sibling mean: ANOVA (profiles), Welch t-test (vs controls)
-- pairwise: most criminal sibling: INC differs from EPK and CON (p<0.01); OFF differs from both control groups (fn 38)
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
    select profile, study_group, 'criminal_sibling' as measure,
        case when has_criminal_sibling then 'yes' else 'no' end as category,
        case when has_criminal_sibling then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known) and has_criminal_sibling is not null
    union all
    select profile, study_group, 'most_criminal_sibling_cases' as measure,
        cast(null as varchar) as category,
        0 as category_order,
        cast(most_criminal_sibling_cases as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and most_criminal_sibling_cases is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long, pairwise := true)
