-- figure: Figure 5.7
-- title: Age at birth of first biological child; children ever
-- spec: SPEC §5.4 Fig 5.7, §5.4.2; W05
-- population: persons with >= 1 biological child (OFF 370, CC 335, NCC 305); children ever: all
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC); means: one-way ANOVA (4 profiles); Welch t-test vs controls
-- pairwise: OFF differs from CC (p<0.05) and from NCC (p<0.001), CC differs from NCC (p<0.001) (means, fn 35)
-- chart: bar
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
    select profile, study_group, 'age_first_bio_child' as measure,
            case
        when age_first_bio_child < 18 then '<18'
        when age_first_bio_child < 22 then '18-21'
        when age_first_bio_child < 26 then '22-25'
        when age_first_bio_child >= 26 then '>=26'
    end as category,
            case
        when age_first_bio_child < 18 then 1
        when age_first_bio_child < 22 then 2
        when age_first_bio_child < 26 then 3
        when age_first_bio_child >= 26 then 4
    end as category_order,
            age_first_bio_child as value
        from base
        where (bio_child_ever) and age_first_bio_child is not null
    union all
    select profile, study_group, 'n_bio_children' as measure,
        cast(null as varchar) as category,
        0 as category_order,
        cast(n_bio_children as double) as value
    from base
    where (bio_child_ever) and n_bio_children is not null
    union all
    select profile, study_group, 'bio_child_ever' as measure,
        case when bio_child_ever then 'yes' else 'no' end as category,
        case when bio_child_ever then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and bio_child_ever is not null
    union all
    select profile, study_group, 'bio_or_resident_child_ever' as measure,
        case when (bio_child_ever or resident_child_ever) then 'yes' else 'no' end as category,
        case when (bio_child_ever or resident_child_ever) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and (bio_child_ever or resident_child_ever) is not null
),
grouped as (
    -- every person in his profile (OFF only) and in his study group (OFF total, CC, NCC)
    select profile as grp, * from long where study_group = 'OFF' and profile <> 'OFF'
    union all
    select study_group as grp, * from long
),
grid as (
    select g.grp, c.measure, c.category, c.category_order
    from (select distinct grp, measure from grouped) as g
    join (select measure, category, min(category_order) as category_order
          from long where category is not null group by measure, category) as c
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
        -- means: one-way ANOVA over the 4 profiles; OFF vs a control group: Welch unpaired t-test
        case when count(distinct profile) filter (where study_group = 'OFF' and value is not null) >= 2
              and count(value) filter (where study_group = 'OFF')
                  > count(distinct profile) filter (where study_group = 'OFF' and value is not null)
             then (anova_oneway(list(value) filter (where study_group = 'OFF'),
                                list(profile) filter (where study_group = 'OFF'))).p_value
        end as p_mean_profiles,
        case when count(value) filter (where study_group = 'OFF') >= 2 and count(value) filter (where study_group = 'CC') >= 2
              and coalesce(stddev_samp(value) filter (where study_group = 'OFF'), 0)
                  + coalesce(stddev_samp(value) filter (where study_group = 'CC'), 0) > 0
             then (t_test_ind(list(value) filter (where study_group = 'OFF'),
                              list(value) filter (where study_group = 'CC'), false)).p_value
        end as p_mean_vs_cc,
        case when count(value) filter (where study_group = 'OFF') >= 2 and count(value) filter (where study_group = 'NCC') >= 2
              and coalesce(stddev_samp(value) filter (where study_group = 'OFF'), 0)
                  + coalesce(stddev_samp(value) filter (where study_group = 'NCC'), 0) > 0
             then (t_test_ind(list(value) filter (where study_group = 'OFF'),
                              list(value) filter (where study_group = 'NCC'), false)).p_value
        end as p_mean_vs_ncc,
        -- pairwise follow-ups of the means: Welch t-tests on every pair, Bonferroni-adjusted, phrased like the
        -- study (pairwise_means UDF); among the 4 profiles and among OFF, CC and NCC
        (pairwise_means(list(value) filter (where study_group = 'OFF' and profile <> 'OFF'),
                        list(profile) filter (where study_group = 'OFF' and profile <> 'OFF'),
                        'welch', 'bonferroni')).phrase as pw_mean_profiles,
        (pairwise_means(list(value), list(study_group), 'welch', 'bonferroni')).phrase as pw_mean_groups
    from long
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
select * from results
order by measure, category_order, category,
    case grp when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4
             when 'OFF' then 5 when 'CC' then 6 when 'NCC' then 7 else 8 end
