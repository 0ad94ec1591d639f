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
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long, pairwise := true)
