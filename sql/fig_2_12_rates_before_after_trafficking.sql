-- figure: Figure 2.12
-- title: Mean number of cases per year before and after first trafficking, by profile
-- spec: SPEC §5.1 Fig 2.12; C11, C12, C13
-- population: before: all OFF (630); after: >= 5 years follow-up after first trafficking (600); stopped: share of the 600
-- tests: profiles: one-way ANOVA (rates), chi-square (stopped); before vs after: paired t-test
-- chart: before_after
-- output: one row per group (INC, EPK, LPK, CON, OFF) x measure x period (before/after first trafficking):
--   for shares n = persons with the flag, for means n is empty; n_den = persons in the period's population;
--   p_profiles = difference between the 4 profiles in that period (chi-square for shares, one-way ANOVA for means);
--   p_before_after = paired comparison within the group on persons in both populations (McNemar for shares,
--   paired t-test for means) [IMPL, SPEC §4.3].
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
    select profile, 'cases_per_year' as measure, 'mean' as kind,
        case when true then cast(cases_per_year_before_trafficking as double) end as b,
        case when has_follow_up then cast(cases_per_year_after_trafficking as double) end as a
    from base
    union all
    select profile, 'stopped_offending' as measure, 'flag' as kind,
        case when false then cast(cast(null as integer) as double) end as b,
        case when has_follow_up then cast(cast(stopped_offending as integer) as double) end as a
    from base
)
-- counts, means, profile and before-vs-after tests per group and period: the shared table macro
-- marts.before_after_summary (dbt_project/models/marts/figures/before_after_summary.sql)
select * from marts.before_after_summary(wide)
