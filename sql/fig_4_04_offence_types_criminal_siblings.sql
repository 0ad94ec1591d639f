-- figure: Figure 4.4
-- title: Offence types of criminal siblings
-- spec: SPEC §5.3 Fig 4.4; E04
-- population: persons with >= 1 criminal sibling (published N 300/180/50)
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
    select pop.profile, pop.study_group, k.* exclude (study_group)
    from pop
    join marts.fct_criminal_network as k on k.person_id = pop.person_id
),
long as (
    select profile, study_group, 'property' as measure,
        case when coalesce(sibling_any_property, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_property, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_property, false) is not null
    union all
    select profile, study_group, 'violence' as measure,
        case when coalesce(sibling_any_violence, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_violence, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_violence, false) is not null
    union all
    select profile, study_group, 'traffic' as measure,
        case when coalesce(sibling_any_traffic, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_traffic, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_traffic, false) is not null
    union all
    select profile, study_group, 'other' as measure,
        case when coalesce(sibling_any_other, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_other, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_other, false) is not null
    union all
    select profile, study_group, 'vandalism_public_order' as measure,
        case when coalesce(sibling_any_vandalism_public_order, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_vandalism_public_order, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_vandalism_public_order, false) is not null
    union all
    select profile, study_group, 'drugs' as measure,
        case when coalesce(sibling_any_drugs, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_drugs, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_drugs, false) is not null
    union all
    select profile, study_group, 'sexual' as measure,
        case when coalesce(sibling_any_sexual, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_sexual, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_sexual, false) is not null
    union all
    select profile, study_group, 'trafficking' as measure,
        case when coalesce(sibling_any_trafficking, false) then 'yes' else 'no' end as category,
        case when coalesce(sibling_any_trafficking, false) then 1 else 2 end as category_order,
        cast(null as double) as value
    from base
    where (has_both_parents_known and has_criminal_sibling) and coalesce(sibling_any_trafficking, false) is not null
)
-- counts, denominators, mean/sd/median, tests and pairwise follow-ups per group: the shared table macro
-- marts.group_summary (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
