-- figure: Figure 2.10
-- title: Type of first offence, by profile
-- spec: SPEC §5.1 Fig 2.10; C05, D05
-- population: OFF with a known type of first offence (625)
-- tests: categories: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC)
-- chart: stacked
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
    select profile, study_group, 'first_offence_type' as measure,
        cast(first_offence_type as varchar) as category,
        case first_offence_type
    when 'TRAFFICKING' then 1 when 'SEXUAL' then 2 when 'VIOLENCE' then 3 when 'PROPERTY' then 4
    when 'DRUGS' then 5 when 'VANDALISM_PUBLIC_ORDER' then 6 when 'TRAFFIC' then 7 else 8 end as category_order,
        cast(null as double) as value
    from base
    where (true) and first_offence_type is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
