-- figure: Figure 5.5
-- title: Partners per adult life year (since Oct 1994) and ever cohabited
-- spec: SPEC §5.4 Fig 5.5; W04
-- population: OFF, CC, NCC with adult years since Oct 1994 > 0
-- tests: ever partner: Pearson chi-square; partners per adult year: ANOVA (profiles), Welch t-test (vs controls)
-- pairwise: INC differs from EPK and LPK (p<0.001); OFF differs from both control groups (fn 29)
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
    select pop.profile, pop.study_group, e.* exclude (study_group)
    from pop
    join marts.fct_life_events as e on e.person_id = pop.person_id
),
long as (
    select profile, study_group, 'partners_per_adult_year' as measure,
        cast(null as varchar) as category,
        0 as category_order,
        cast(partners_per_adult_year as double) as value
    from base
    where (true) and partners_per_adult_year is not null
    union all
    select profile, study_group, 'ever_partner' as measure,
        case when ever_partner then 'yes' else 'no' end as category,
        case when ever_partner then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ever_partner is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long, pairwise := true)
