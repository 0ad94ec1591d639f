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
),
grouped as (
    select profile as grp, * from wide where profile <> 'OFF'
    union all
    select 'OFF' as grp, * from wide
),
paired as (
    select
        grp, measure, kind,
        count(b) as n_den_before, cast(sum(b) as bigint) as n_before, avg(b) as mean_before, stddev_samp(b) as sd_before,
        count(a) as n_den_after, cast(sum(a) as bigint) as n_after, avg(a) as mean_after, stddev_samp(a) as sd_after,
        case
            when kind = 'mean' and count(a - b) >= 2 and coalesce(stddev_samp(a - b), 0) > 0
                then (t_test_paired(list(b), list(a))).p_value
            when kind = 'flag' and count(a - b) >= 1
                then (mcnemar_test(list(b = 1), list(a = 1))).p_value
        end as p_before_after
    from grouped
    group by grp, measure, kind
),
profile_tests as (
    select
        measure,
        case
            when kind = 'mean' and count(distinct profile) filter (where b is not null) >= 2
                 and count(b) > count(distinct profile) filter (where b is not null)
                then (anova_oneway(list(b), list(profile))).p_value
            when kind = 'flag' and count(distinct profile) filter (where b is not null) >= 2
                 and count(distinct b) >= 2
                then (chi_square_test(list(profile) filter (where b is not null),
                                      list(cast(b as varchar)) filter (where b is not null))).p_value
        end as p_profiles_before,
        case
            when kind = 'mean' and count(distinct profile) filter (where a is not null) >= 2
                 and count(a) > count(distinct profile) filter (where a is not null)
                then (anova_oneway(list(a), list(profile))).p_value
            when kind = 'flag' and count(distinct profile) filter (where a is not null) >= 2
                 and count(distinct a) >= 2
                then (chi_square_test(list(profile) filter (where a is not null),
                                      list(cast(a as varchar)) filter (where a is not null))).p_value
        end as p_profiles_after
    from wide
    group by measure, kind
),
results as (
    select p.grp, p.measure, 'before' as period, 1 as period_order,
           case when p.kind = 'flag' then p.n_before end as n, p.n_den_before as n_den,
           case when p.kind = 'mean' then p.mean_before end as mean,
           case when p.kind = 'mean' then p.sd_before end as sd,
           t.p_profiles_before as p_profiles, p.p_before_after
    from paired as p join profile_tests as t on t.measure = p.measure
    union all
    select p.grp, p.measure, 'after', 2,
           case when p.kind = 'flag' then p.n_after end, p.n_den_after,
           case when p.kind = 'mean' then p.mean_after end,
           case when p.kind = 'mean' then p.sd_after end,
           t.p_profiles_after, p.p_before_after
    from paired as p join profile_tests as t on t.measure = p.measure
)
select * from results
where n_den > 0
order by measure, period_order, case grp when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4
             when 'OFF' then 5 when 'CC' then 6 when 'NCC' then 7 else 8 end
