-- DuckDB table macro marts.group_summary(long_rows, mean_test := 'welch', pairwise := false), called by the
-- figure queries of sql/ as `select * from marts.group_summary(long)`.
-- Input: the name of the caller's relation (a CTE) with one row per person x measure: profile, study_group,
-- measure, category, category_order (one order per category), value (category NULL: no category; value NULL:
-- no mean).
-- Output: one row per group (INC, EPK, LPK, CON, OFF, CC, NCC where present) x measure x category, plus a
-- category 'mean' row (category_order 999) per group x measure with the mean/sd/median; unrounded counts.
-- mean_test: OFF vs a control group on the means by 'welch' (unpaired Welch t-test) or 'mann_whitney';
-- pairwise: add pairwise_profiles and pairwise_groups (pairwise_means with mean_test, Bonferroni).
-- Calls the python_udfs statistics UDFs: the caller's connection must have them registered.
{{ config(parameters=["long_rows", "mean_test := 'welch'", "pairwise := false"]) }}
with
figure_rows as (
    select * from query_table(long_rows)
),
grouped as (
    -- every person in his profile (OFF only) and in his study group (OFF total, CC, NCC)
    select profile as grp, * from figure_rows where study_group = 'OFF' and profile <> 'OFF'
    union all
    select study_group as grp, * from figure_rows
),
grid as (
    select g.grp, c.measure, c.category, c.category_order
    from (select distinct grp, measure from grouped) as g
    join (select distinct measure, category, category_order
          from figure_rows where category is not null) as c
      on c.measure = g.measure
),
cells as (
    select grp, measure, category, count(*) as n
    from grouped where category is not null
    group by grp, measure, category
),
dens as (
    select grp, measure, count(category) as n_den, count(value) as n_value,
           avg(value) as mean, stddev_samp(value) as sd, median(value) as median
    from grouped
    group by grp, measure
),
tests as (
    select
        measure,
        -- categories: Pearson chi-square, 4 profiles x k, and OFF vs CC / OFF vs NCC (2 x k)
        case when count(distinct profile) filter (where study_group = 'OFF' and category is not null) >= 2
              and count(distinct category) filter (where study_group = 'OFF') >= 2
             then (chi_square_test(list(profile) filter (where study_group = 'OFF' and category is not null),
                                   list(category) filter (where study_group = 'OFF' and category is not null))).p_value
        end as p_cat_profiles,
        case when count(distinct study_group) filter (where study_group in ('OFF', 'CC') and category is not null) = 2
              and count(distinct category) filter (where study_group in ('OFF', 'CC')) >= 2
             then (chi_square_test(list(study_group) filter (where study_group in ('OFF', 'CC') and category is not null),
                                   list(category) filter (where study_group in ('OFF', 'CC') and category is not null))).p_value
        end as p_cat_vs_cc,
        case when count(distinct study_group) filter (where study_group in ('OFF', 'NCC') and category is not null) = 2
              and count(distinct category) filter (where study_group in ('OFF', 'NCC')) >= 2
             then (chi_square_test(list(study_group) filter (where study_group in ('OFF', 'NCC') and category is not null),
                                   list(category) filter (where study_group in ('OFF', 'NCC') and category is not null))).p_value
        end as p_cat_vs_ncc,
        -- means: one-way ANOVA over the 4 profiles; OFF vs a control group: Welch unpaired t-test or Mann-Whitney U
        case when count(distinct profile) filter (where study_group = 'OFF' and value is not null) >= 2
              and count(value) filter (where study_group = 'OFF')
                  > count(distinct profile) filter (where study_group = 'OFF' and value is not null)
             then (anova_oneway(list(value) filter (where study_group = 'OFF'),
                                list(profile) filter (where study_group = 'OFF'))).p_value
        end as p_mean_profiles,
        case when count(value) filter (where study_group = 'OFF') >= 2 and count(value) filter (where study_group = 'CC') >= 2
              and coalesce(stddev_samp(value) filter (where study_group = 'OFF'), 0)
                  + coalesce(stddev_samp(value) filter (where study_group = 'CC'), 0) > 0
             then case mean_test
                 when 'welch' then (t_test_ind(list(value) filter (where study_group = 'OFF'),
                                               list(value) filter (where study_group = 'CC'), false)).p_value
                 when 'mann_whitney' then (mann_whitney_u(list(value) filter (where study_group = 'OFF'),
                                                          list(value) filter (where study_group = 'CC'))).p_value
                 else error('group_summary: mean_test must be ''welch'' or ''mann_whitney''')
             end
        end as p_mean_vs_cc,
        case when count(value) filter (where study_group = 'OFF') >= 2 and count(value) filter (where study_group = 'NCC') >= 2
              and coalesce(stddev_samp(value) filter (where study_group = 'OFF'), 0)
                  + coalesce(stddev_samp(value) filter (where study_group = 'NCC'), 0) > 0
             then case mean_test
                 when 'welch' then (t_test_ind(list(value) filter (where study_group = 'OFF'),
                                               list(value) filter (where study_group = 'NCC'), false)).p_value
                 when 'mann_whitney' then (mann_whitney_u(list(value) filter (where study_group = 'OFF'),
                                                          list(value) filter (where study_group = 'NCC'))).p_value
                 else error('group_summary: mean_test must be ''welch'' or ''mann_whitney''')
             end
        end as p_mean_vs_ncc,
        -- pairwise follow-ups of the means (only with pairwise := true): mean_test on every pair,
        -- Bonferroni-adjusted, phrased like the study (pairwise_means UDF); among the 4 profiles and among OFF, CC, NCC
        case when pairwise
             then (pairwise_means(list(value) filter (where study_group = 'OFF' and profile <> 'OFF'),
                                  list(profile) filter (where study_group = 'OFF' and profile <> 'OFF'),
                                  mean_test, 'bonferroni')).phrase
        end as pw_mean_profiles,
        case when pairwise
             then (pairwise_means(list(value), list(study_group), mean_test, 'bonferroni')).phrase
        end as pw_mean_groups
    from figure_rows
    group by measure
),
results as (
select
    grid.grp, grid.measure, grid.category, grid.category_order,
    coalesce(cells.n, 0) as n, dens.n_den,
    cast(null as double) as mean, cast(null as double) as sd, cast(null as double) as median,
    tests.p_cat_profiles as p_profiles, tests.p_cat_vs_cc as p_vs_cc, tests.p_cat_vs_ncc as p_vs_ncc,
    cast(null as varchar) as pairwise_profiles, cast(null as varchar) as pairwise_groups
from grid
join dens on dens.grp = grid.grp and dens.measure = grid.measure
left join cells on cells.grp = grid.grp and cells.measure = grid.measure and cells.category = grid.category
join tests on tests.measure = grid.measure
union all
select
    dens.grp, dens.measure, 'mean' as category, 999 as category_order,
    null as n, dens.n_value as n_den, dens.mean, dens.sd, dens.median,
    tests.p_mean_profiles, tests.p_mean_vs_cc, tests.p_mean_vs_ncc, tests.pw_mean_profiles, tests.pw_mean_groups
from dens
join tests on tests.measure = dens.measure
where dens.n_value > 0
)
-- the pairwise_* columns only when asked for
select columns(lambda column_name: pairwise or column_name not in ('pairwise_profiles', 'pairwise_groups'))
from results
order by measure, category_order, category,
    case grp when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4
             when 'OFF' then 5 when 'CC' then 6 when 'NCC' then 7 else 8 end
