-- figure: Figure 4.5
-- title: Criminal (ex-)partner
-- spec: SPEC §5.3 Fig 4.5; E02, E03
-- population: all (630 per group) [IMPL]; most-criminal mean: persons with a criminal partner
-- tests: binary share: Pearson chi-square; most-criminal partner mean: ANOVA (profiles), Welch t-test (vs controls)
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
    select profile, study_group, 'criminal_partner' as measure,
        case when has_criminal_partner then 'yes' else 'no' end as category,
        case when has_criminal_partner then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and has_criminal_partner is not null
    union all
    select profile, study_group, 'most_criminal_partner_cases' as measure,
        cast(null as varchar) as category,
        0 as category_order,
        cast(most_criminal_partner_cases as double) as value
    from base
    where (has_criminal_partner) and most_criminal_partner_cases is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
