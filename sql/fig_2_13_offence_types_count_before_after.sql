-- figure: Figure 2.13
-- title: Number of different offence types (0-7) before and after first trafficking
-- spec: SPEC §5.1 Fig 2.13; C14
-- population: before: OFF not starting with trafficking (555); after: follow-up and not stopped (455)
-- tests: profiles: one-way ANOVA (means), chi-square (>= 3 types); before vs after: paired t-test / McNemar
-- pairwise: all groups differ, before and after (means, fn 36)
-- chart: before_after
-- output: one row per group (INC, EPK, LPK, CON, OFF) x measure x period (before/after first trafficking):
--   for shares n = persons with the flag, for means n is empty; n_den = persons in the period's population;
--   p_profiles = difference between the 4 profiles in that period (chi-square for shares, one-way ANOVA for means);
--   p_before_after = paired comparison within the group on persons in both populations (McNemar for shares,
--   paired t-test for means) [IMPL, SPEC §4.3]. pairwise_profiles (rows of the mean, n_types) = Welch t-tests
--   on every pair of profiles in that period, Bonferroni-adjusted, phrased like the study.
with
pop as (
    select p.person_id, p.study_group, coalesce(t.trajectory_group, p.study_group) as profile
    from marts.dim_study_population as p
    left join marts.fct_trajectory_membership as t on t.person_id = p.person_id
),
base as (
    select pop.profile, c.*
    from pop
    join marts.fct_offender_careers as c on c.person_id = pop.person_id
    where pop.study_group = 'OFF'
),
wide as (
    select profile, 'n_types' as measure, 'mean' as kind,
        case when not starts_with_trafficking then cast(n_types_before as double) end as b,
        case when has_follow_up and not stopped_offending then cast(n_types_after as double) end as a
    from base
    union all
    select profile, 'three_or_more_types' as measure, 'flag' as kind,
        case when not starts_with_trafficking then cast(cast(n_types_before >= 3 as integer) as double) end as b,
        case when has_follow_up and not stopped_offending then cast(cast(n_types_after >= 3 as integer) as double) end as a
    from base
)
-- counts, means, profile and before-vs-after tests per group and period: the shared table macro
-- marts.before_after_summary (dbt_project/models/marts/figures/before_after_summary.sql)
select * from marts.before_after_summary(wide, pairwise := true)
