-- figure: Figure 2.15
-- title: Severity of cases before vs after first trafficking
-- spec: SPEC §5.1 Fig 2.15; C15, D06
-- population: before: OFF not starting with trafficking (555); after: follow-up and not stopped (455)
-- tests: profiles: chi-square; before vs after: McNemar
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
    select profile, 'light' as measure, 'flag' as kind,
        case when not starts_with_trafficking then cast(cast(any_light_before as integer) as double) end as b,
        case when has_follow_up and not stopped_offending then cast(cast(any_light_after as integer) as double) end as a
    from base
    union all
    select profile, 'medium' as measure, 'flag' as kind,
        case when not starts_with_trafficking then cast(cast(any_medium_before as integer) as double) end as b,
        case when has_follow_up and not stopped_offending then cast(cast(any_medium_after as integer) as double) end as a
    from base
    union all
    select profile, 'heavy' as measure, 'flag' as kind,
        case when not starts_with_trafficking then cast(cast(any_heavy_before as integer) as double) end as b,
        case when has_follow_up and not stopped_offending then cast(cast(any_heavy_after as integer) as double) end as a
    from base
)
-- counts, means, profile and before-vs-after tests per group and period: the shared table macro
-- marts.before_after_summary (dbt_project/models/marts/figures/before_after_summary.sql)
select * from marts.before_after_summary(wide)
