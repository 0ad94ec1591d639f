-- figure: Figure 3.7
-- title: Mother's age at her first child
-- spec: SPEC §5.2 Fig 3.7; B07
-- population: mother and her birth date known
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC); means: one-way ANOVA (4 profiles); Welch t-test vs controls
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
    select pop.profile, pop.study_group, b.* exclude (study_group)
    from pop
    join marts.fct_person_background as b on b.person_id = pop.person_id
),
long as (
    select profile, study_group, 'mother_age_first_child' as measure,
            case
        when mother_age_first_child < 18 then '<18'
        when mother_age_first_child < 22 then '18-21'
        when mother_age_first_child < 26 then '22-25'
        when mother_age_first_child >= 26 then '>=26'
    end as category,
            case
        when mother_age_first_child < 18 then 1
        when mother_age_first_child < 22 then 2
        when mother_age_first_child < 26 then 3
        when mother_age_first_child >= 26 then 4
    end as category_order,
            mother_age_first_child as value
        from base
        where (true) and mother_age_first_child is not null
    union all
    select profile, study_group, 'mother_21_or_younger' as measure,
        case when mother_age_first_child < 22 then 'yes' else 'no' end as category,
        case when mother_age_first_child < 22 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and mother_age_first_child < 22 is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
