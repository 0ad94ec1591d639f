-- figure: Figure 3.10
-- title: Highest completed education at 23
-- spec: SPEC §5.2 Fig 3.10; B08
-- population: education at 23 known
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
    select pop.profile, pop.study_group, b.* exclude (study_group)
    from pop
    join marts.fct_person_background as b on b.person_id = pop.person_id
),
long as (
    select profile, study_group, 'attained_level_group_23' as measure,
        cast(attained_level_group_23 as varchar) as category,
        case attained_level_group_23 when 'PRIMARY' then 1 when 'VSO' then 2 when 'VMBO' then 3 when 'HAVO_VWO' then 4
    when 'MBO' then 5 when 'HBO_WO' then 6 else 7 end as category_order,
        cast(null as double) as value
    from base
    where (is_education_at_23_known) and attained_level_group_23 is not null
    union all
    select profile, study_group, 'primary_or_vmbo' as measure,
        case when attained_level_group_23 in ('PRIMARY', 'VMBO') then 'yes' else 'no' end as category,
        case when attained_level_group_23 in ('PRIMARY', 'VMBO') then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (is_education_at_23_known) and attained_level_group_23 in ('PRIMARY', 'VMBO') is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
