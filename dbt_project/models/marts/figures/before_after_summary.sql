-- DuckDB table macro marts.before_after_summary(wide_rows, pairwise := false), called by the before/after
-- figure queries of sql/ (Fig 2.12-2.15) as `select * from marts.before_after_summary(wide)`.
-- Input: the name of the caller's relation (a CTE) with one row per offender x measure: profile, measure,
-- kind ('mean': b/a are values; 'flag': b/a are 0/1), b = value before first trafficking, a = value after
-- (NULL: not in that period's population).
-- Output: one row per group (INC, EPK, LPK, CON, OFF) x measure x period (before/after), groups with persons
-- in the period only; unrounded counts. pairwise: add pairwise_profiles (Welch t-tests on every pair of
-- profiles in that period, Bonferroni-adjusted, pairwise_means UDF) on the rows of 'mean' measures.
-- Calls the python_udfs statistics UDFs: the caller's connection must have them registered.
{{ config(parameters=["wide_rows", "pairwise := false"]) }}
with
figure_rows as (
    select * from query_table(wide_rows)
),
grouped as (
    select profile as grp, * from figure_rows where profile <> 'OFF'
    union all
    select 'OFF' as grp, * from figure_rows
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
        end as p_profiles_after,
        -- pairwise follow-ups of the means among the 4 profiles (only with pairwise := true)
        case when pairwise and kind = 'mean'
            then (pairwise_means(list(b), list(profile), 'welch', 'bonferroni')).phrase
        end as pw_profiles_before,
        case when pairwise and kind = 'mean'
            then (pairwise_means(list(a), list(profile), 'welch', 'bonferroni')).phrase
        end as pw_profiles_after
    from figure_rows
    group by measure, kind
),
results as (
    select p.grp, p.measure, 'before' as period, 1 as period_order,
           case when p.kind = 'flag' then p.n_before end as n, p.n_den_before as n_den,
           case when p.kind = 'mean' then p.mean_before end as mean,
           case when p.kind = 'mean' then p.sd_before end as sd,
           t.p_profiles_before as p_profiles, p.p_before_after,
           t.pw_profiles_before as pairwise_profiles
    from paired as p join profile_tests as t on t.measure = p.measure
    union all
    select p.grp, p.measure, 'after', 2,
           case when p.kind = 'flag' then p.n_after end, p.n_den_after,
           case when p.kind = 'mean' then p.mean_after end,
           case when p.kind = 'mean' then p.sd_after end,
           t.p_profiles_after, p.p_before_after,
           t.pw_profiles_after
    from paired as p join profile_tests as t on t.measure = p.measure
)
-- the pairwise_profiles column only when asked for
select columns(lambda column_name: pairwise or column_name <> 'pairwise_profiles')
from results
where n_den > 0
order by measure, period_order, case grp when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4
             when 'OFF' then 5 when 'CC' then 6 when 'NCC' then 7 else 8 end
