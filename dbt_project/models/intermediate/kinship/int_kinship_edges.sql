-- One row per (person, relative, relation, validity period): the generic time-valid kinship graph.
-- Parent/child edges are valid from the child's birth; sibling edges from the younger sibling's
-- birth; partner edges for each cohabitation episode. valid_to NULL = no end observed.
with

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

siblings as (

    select * from {{ ref('int_siblings') }}

),

partner_episodes as (

    select * from {{ ref('int_partner_episodes') }}

),

persons as (

    select person_id, birth_date from {{ ref('int_persons') }}

),

parent_edges as (

    select
        child_id as person_id,
        parent_id as relative_id,
        parent_role as relation,
        child_birth_date as valid_from,
        cast(null as date) as valid_to
    from parent_links

),

child_edges as (

    select
        parent_id as person_id,
        child_id as relative_id,
        'child' as relation,
        child_birth_date as valid_from,
        cast(null as date) as valid_to
    from parent_links

),

sibling_edges as (

    select
        siblings.person_id,
        siblings.sibling_id as relative_id,
        siblings.sibling_type as relation,
        greatest(persons.birth_date, siblings.sibling_birth_date) as valid_from,
        cast(null as date) as valid_to
    from siblings
    left join persons on persons.person_id = siblings.person_id

),

partner_edges as (

    select
        person_id,
        partner_id as relative_id,
        'partner' as relation,
        episode_start_date as valid_from,
        case when is_running then null else episode_end_date end as valid_to
    from partner_episodes

),

final as (

    select * from parent_edges
    union all
    select * from child_edges
    union all
    select * from sibling_edges
    union all
    select * from partner_edges

)

select * from final
