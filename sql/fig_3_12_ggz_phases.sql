-- figure: Figure 3.12
-- title: Declared basic-insurance GGZ costs in five 3-year age phases
-- spec: SPEC §5.2 Fig 3.12; B09
-- population: per phase: persons with the phase known (all three years valid and present); ggz_known_any_phase:
--   all persons of the group
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
    select profile, study_group, 'ggz_14_16' as measure,
        case when ggz_14_16 then 'yes' else 'no' end as category,
        case when ggz_14_16 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ggz_14_16 is not null
    union all
    select profile, study_group, 'ggz_19_21' as measure,
        case when ggz_19_21 then 'yes' else 'no' end as category,
        case when ggz_19_21 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ggz_19_21 is not null
    union all
    select profile, study_group, 'ggz_24_26' as measure,
        case when ggz_24_26 then 'yes' else 'no' end as category,
        case when ggz_24_26 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ggz_24_26 is not null
    union all
    select profile, study_group, 'ggz_29_31' as measure,
        case when ggz_29_31 then 'yes' else 'no' end as category,
        case when ggz_29_31 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ggz_29_31 is not null
    union all
    select profile, study_group, 'ggz_34_36' as measure,
        case when ggz_34_36 then 'yes' else 'no' end as category,
        case when ggz_34_36 then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ggz_34_36 is not null
    union all
    select profile, study_group, 'ggz_any_phase' as measure,
        case when ggz_any_phase then 'yes' else 'no' end as category,
        case when ggz_any_phase then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (true) and ggz_any_phase is not null
    union all
    -- known in at least one phase (all persons of the group): the study's "OFF in >= 1 phase: 490 (78%)", a
    -- coverage figure listed with the denominators (SPEC §2.4), not a share with care
    select profile, study_group, 'ggz_known_any_phase' as measure,
        case when ggz_any_phase is not null then 'yes' else 'no' end as category,
        case when ggz_any_phase is not null then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
