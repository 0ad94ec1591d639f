-- figure: Figure 2.7
-- title: Age at first offence (categories and mean), by profile
-- spec: SPEC §5.1 Fig 2.7; C02
-- population: all OFF with a first offence (630)
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC); means: one-way ANOVA (4 profiles)
-- pairwise: all groups differ except EPK vs CON (means, fn 17)
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
    select pop.profile, pop.study_group, c.*
    from pop
    join marts.fct_offender_careers as c on c.person_id = pop.person_id
),
long as (
    select profile, study_group, 'age_first_offence' as measure,
            case
        when age_first_offence < 18 then '<18'
        when age_first_offence < 25 then '18-24'
        when age_first_offence < 40 then '25-39'
        when age_first_offence >= 40 then '>=40'
    end as category,
            case
        when age_first_offence < 18 then 1
        when age_first_offence < 25 then 2
        when age_first_offence < 40 then 3
        when age_first_offence >= 40 then 4
    end as category_order,
            age_first_offence as value
        from base
        where (true) and age_first_offence is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long, pairwise := true)
