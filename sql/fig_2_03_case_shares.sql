-- figure: Figure 2.3
-- title: Offenders by profile (2.3b) and total cases at ages 12-35 by profile (2.3a)
-- spec: SPEC §5.1 Fig 2.3a, 2.3b; §2.3; C07
-- population: all OFF (630); for cases: all registered cases with first offence date at ages 12-35 (published 7,196 cases; 630 offenders);
--   n = cases (or offenders) in the profile, n_den = all cases (or offenders) of OFF; mean = cases per person
-- tests: differences in per-person case counts between the 4 profiles: one-way ANOVA [IMPL, SPEC Fig 2.3a fn 7]
-- pairwise: all groups differ (cases per person, fn 7)
-- chart: share
with
pop as (
    select p.person_id, p.study_group, coalesce(t.trajectory_group, p.study_group) as profile
    from marts.dim_study_population as p
    left join marts.fct_trajectory_membership as t on t.person_id = p.person_id
),
base as (
    select pop.profile, cast(c.n_cases_12_35 as double) as cases
    from pop
    join marts.fct_offender_careers as c on c.person_id = pop.person_id
    where pop.study_group = 'OFF'
),
tests as (
    select
        case when count(distinct profile) >= 2 and count(cases) > count(distinct profile)
             then (anova_oneway(list(cases), list(profile))).p_value end as p_cases,
        -- offenders by profile: no test (the profile sizes are the GBTM result)
        cast(null as double) as p_offenders,
        -- pairwise follow-up of the per-person counts: Welch t-tests, Bonferroni-adjusted (pairwise_means UDF)
        (pairwise_means(list(cases), list(profile), 'welch', 'bonferroni')).phrase as pw_cases
    from base
),
results as (
    select profile as grp, 'offenders' as measure, count(*) as n,
           (select count(*) from base) as n_den,
           cast(null as double) as mean, cast(null as double) as sd,
           (select p_offenders from tests) as p_profiles,
           cast(null as varchar) as pairwise_profiles
    from base group by profile
    union all
    select 'OFF', 'offenders', count(*), count(*), null, null, null, null from base
    union all
    select profile as grp, 'cases' as measure, cast(sum(cases) as bigint) as n,
           (select cast(sum(cases) as bigint) from base) as n_den,
           avg(cases) as mean, stddev_samp(cases) as sd,
           (select p_cases from tests) as p_profiles,
           (select pw_cases from tests) as pairwise_profiles
    from base group by profile
    union all
    select 'OFF', 'cases', cast(sum(cases) as bigint), cast(sum(cases) as bigint), avg(cases), stddev_samp(cases),
           (select p_cases from tests), (select pw_cases from tests)
    from base
)
select * from results
order by measure, case grp when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4
             when 'OFF' then 5 when 'CC' then 6 when 'NCC' then 7 else 8 end
