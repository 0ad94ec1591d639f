-- One row per trajectory group per age of the selected model: expected cases per year with the
-- 95% band, the estimated group share, AvePP and OCC (Figure 2.1, SPEC §4.1), and n_persons: the persons
-- assigned to the group by maximum posterior (the output gate counts the persons behind a row with it).
with

models as (

    select * from {{ ref('fct_trajectory_models') }} where is_selected

),

parsed as (

    select
        cast(labels_json as varchar[]) as labels,
        cast(json_extract(curves_json, '$.ages') as double[]) as ages,
        cast(json_extract(curves_json, '$.expected') as double[][]) as expected,
        cast(json_extract(curves_json, '$.lower') as double[][]) as lower_band,
        cast(json_extract(curves_json, '$.upper') as double[][]) as upper_band,
        cast(json_extract(curves_json, '$.shares') as double[]) as shares,
        cast(json_extract(curves_json, '$.avepp') as double[]) as avepp,
        cast(json_extract(curves_json, '$.occ') as double[]) as occ
    from models

),

groups as (

    select parsed.*, unnest(range(1, len(labels) + 1)) as group_index
    from parsed

),

members as (

    select trajectory_group, count(*) as n_persons
    from {{ ref('fct_trajectory_membership') }}
    group by trajectory_group

),

final as (

    select
        labels[group_index] as trajectory_group,
        cast(ages[age_index] as integer) as age,
        expected[group_index][age_index] as expected_cases,
        lower_band[group_index][age_index] as lower,
        upper_band[group_index][age_index] as upper,
        shares[group_index] as estimated_share,
        avepp[group_index] as avepp,
        occ[group_index] as occ,
        coalesce(members.n_persons, 0) as n_persons
    from groups
    cross join (select unnest(range(1, 1000)) as age_index) as age_indexes
    left join members on members.trajectory_group = labels[group_index]
    where age_index <= len(ages)

)

select * from final
