-- One row per (child, legal parent) link from KINDOUDERTAB; self-links (a known register error) dropped.
with

child_parents as (

    select * from {{ ref('stg_cbs__child_parents') }}

),

persons as (

    select * from {{ ref('stg_cbs__persons') }}

),

links as (

    select person_id as child_id, mother_id as parent_id, 'mother' as parent_role
    from child_parents
    where mother_id is not null
    union all
    select person_id as child_id, father_id as parent_id, 'father' as parent_role
    from child_parents
    where father_id is not null

),

final as (

    select
        links.child_id,
        links.parent_id,
        links.parent_role,
        children.birth_date as child_birth_date,
        parents.birth_date as parent_birth_date
    from links
    left join persons as children on children.person_id = links.child_id
    left join persons as parents on parents.person_id = links.parent_id
    where links.child_id is not null
      and links.child_id <> links.parent_id

)

select * from final
