-- figure: Figure 3.4
-- title: Single-parent family, foster family, institutional household during minority
-- spec: SPEC §5.2 Fig 3.4; B04; §2.4
-- population: households known from 15th to 18th birthday (OFF 450, CC 440, NCC 435)
-- tests: binary shares: Pearson chi-square (4 profiles; OFF vs CC; OFF vs NCC)
-- chart: flags
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
    select profile, study_group, 'single_parent' as measure,
        case when ever_single_parent_minor then 'yes' else 'no' end as category,
        case when ever_single_parent_minor then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (is_minority_household_known) and ever_single_parent_minor is not null
    union all
    select profile, study_group, 'foster_family' as measure,
        case when ever_foster_minor then 'yes' else 'no' end as category,
        case when ever_foster_minor then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (is_minority_household_known) and ever_foster_minor is not null
    union all
    select profile, study_group, 'institution' as measure,
        case when ever_institution_minor then 'yes' else 'no' end as category,
        case when ever_institution_minor then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (is_minority_household_known) and ever_institution_minor is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
