-- figure: Figure 3.6
-- title: Number of (half-)siblings
-- spec: SPEC §5.2 Fig 3.6; B06
-- population: both parents known (455 per group)
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC); means: one-way ANOVA (4 profiles); Mann-Whitney U vs controls
-- pairwise: INC differs from EPK (p<0.01); OFF differs from both control groups (means, fn 31)
-- chart: bar
-- output: one row per group (INC, EPK, LPK, CON, OFF, CC, NCC where present) x measure x category
--   (category 'mean' = the mean/sd/median row); n = persons in the category (unrounded),
--   n_den = persons in the group with the measure known (unrounded); p_* = p-values (chi-square for
--   categories; one-way ANOVA over profiles / Mann-Whitney U vs controls for means).
--   Disclosure control (rounding to 5, minimum cells) is applied by the report, not here.
with
pop as (
    -- study population with the trajectory group of each offender (controls: their study group)
    select p.person_id, p.study_group, coalesce(t.trajectory_group, p.study_group) as profile
    from marts.dim_study_population as p
    left join marts.fct_trajectory_membership as t on t.person_id = p.person_id
),
base as (
    select pop.profile, pop.study_group, b.* exclude (study_group)
    from pop
    join marts.fct_person_background as b on b.person_id = pop.person_id
),
long as (
    select profile, study_group, 'n_siblings' as measure,
            case
        when n_siblings = 0 then '0'
        when n_siblings = 1 then '1'
        when n_siblings = 2 then '2'
        when n_siblings >= 3 then '>=3'
    end as category,
            case
        when n_siblings = 0 then 1
        when n_siblings = 1 then 2
        when n_siblings = 2 then 3
        when n_siblings >= 3 then 4
    end as category_order,
            n_siblings as value
        from base
        where (has_both_parents_known) and n_siblings is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long, mean_test := 'mann_whitney', pairwise := true)
