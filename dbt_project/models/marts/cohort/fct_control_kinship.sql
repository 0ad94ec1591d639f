-- One row per control group x relation: how many matched controls are that relative of a sample person
-- (the offender is the control's parent, child, sibling or partner; 'any' = at least one of them).
-- A diagnostic of the independence of the samples: the study's OFF-vs-control tests assume the control
-- groups are drawn independently of the sample (SPEC §2.2 excludes only the sample itself from the pools);
-- relatives of sample persons in the control groups share their family and inflate the controls' family
-- criminality (a control who is an offender's sibling has a criminal sibling by definition).
with

controls as (

    select * from {{ ref('dim_control_persons') }}

),

cohort as (

    select * from {{ ref('dim_study_cohort') }}

),

kinship_edges as (

    select * from {{ ref('int_kinship_edges') }}

),

-- the relation of a sample person to a control, from the control's side of the kinship graph
control_relations as (

    select distinct
        kinship_edges.person_id,
        case
            when kinship_edges.relation in ('mother', 'father') then 'offender_is_parent'
            when kinship_edges.relation = 'child' then 'offender_is_child'
            when kinship_edges.relation like '%sibling%' then 'offender_is_sibling'
            when kinship_edges.relation = 'partner' then 'offender_is_partner'
        end as relation
    from kinship_edges
    where kinship_edges.relative_id in (select person_id from cohort)

),

relations as (

    select unnest(['offender_is_parent', 'offender_is_child', 'offender_is_sibling', 'offender_is_partner', 'any'])
        as relation

),

final as (

    select
        controls.control_group,
        relations.relation,
        count(distinct controls.person_id) as n_controls,
        count(distinct control_relations.person_id) as n_related
    from controls
    cross join relations
    left join control_relations
        on control_relations.person_id = controls.person_id
       and (control_relations.relation = relations.relation or relations.relation = 'any')
    group by all

)

select *, n_related / n_controls as share_related from final
