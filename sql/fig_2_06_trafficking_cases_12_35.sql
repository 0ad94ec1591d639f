-- figure: Figure 2.6
-- title: Trafficking cases at ages 12-35 in categories, by profile
-- spec: SPEC §5.1 Fig 2.6; C09, C16a
-- population: all OFF (630)
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC); means: one-way ANOVA (4 profiles)
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
    select profile, study_group, 'n_trafficking_cases_12_35' as measure,
            case
        when n_trafficking_cases_12_35 = 0 then '0'
        when n_trafficking_cases_12_35 = 1 then '1'
        when n_trafficking_cases_12_35 = 2 then '2'
        when n_trafficking_cases_12_35 >= 3 then '>=3'
    end as category,
            case
        when n_trafficking_cases_12_35 = 0 then 1
        when n_trafficking_cases_12_35 = 1 then 2
        when n_trafficking_cases_12_35 = 2 then 3
        when n_trafficking_cases_12_35 >= 3 then 4
    end as category_order,
            n_trafficking_cases_12_35 as value
        from base
        where (true) and n_trafficking_cases_12_35 is not null
    union all
    select profile, study_group, 'trafficking_recidivist_12_35' as measure,
        case when is_trafficking_recidivist_12_35 then 'yes' else 'no' end as category,
        case when is_trafficking_recidivist_12_35 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and is_trafficking_recidivist_12_35 is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
