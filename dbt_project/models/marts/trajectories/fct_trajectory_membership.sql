-- One row per sample offender: posterior group probabilities under the selected trajectory model
-- (scored in SQL with the trajectory_posterior UDF) and the maximum-posterior group (SPEC §2.3).
with

offending_by_age as (

    select * from {{ ref('fct_offending_by_age') }}

),

models as (

    select * from {{ ref('fct_trajectory_models') }} where is_selected

),

records as (

    select
        person_id,
        list(age order by age) as ages,
        list(cast(n_cases as double) order by age) as counts
    from offending_by_age
    group by person_id

),

scored as (

    select
        records.person_id,
        trajectory_posterior(models.model_json, records.ages, records.counts) as posterior,
        cast(models.labels_json as varchar[]) as labels
    from records
    cross join models

),

final as (

    select
        person_id,
        labels[list_position(posterior, list_max(posterior))] as trajectory_group,
        cast(list_position(posterior, list_max(posterior)) as integer) as trajectory_class,
        list_max(posterior) as max_posterior,
        posterior
    from scored

)

select * from final
