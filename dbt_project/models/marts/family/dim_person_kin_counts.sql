-- One row per registered person: known parents and numbers of (half-)siblings and legal children.
-- Siblings are counted when born up to var('siblings_born_until') (SPEC B06).
with

persons as (

    select * from {{ ref('stg_cbs__persons') }}

),

child_parents as (

    select * from {{ ref('stg_cbs__child_parents') }}

),

siblings as (

    select * from {{ ref('int_siblings') }}

),

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

sibling_counts as (

    select
        person_id,
        count(*) filter (where sibling_type = 'full_sibling') as n_full_siblings,
        count(*) filter (where sibling_type <> 'full_sibling') as n_half_siblings,
        count(*) as n_siblings
    from siblings
    where sibling_birth_date is null or sibling_birth_date <= date '{{ var("siblings_born_until") }}'
    group by person_id

),

child_counts as (

    select parent_id as person_id, count(distinct child_id) as n_legal_children
    from parent_links
    group by parent_id

),

final as (

    select
        persons.person_id,
        coalesce(child_parents.mother_id is not null, false) as has_known_mother,
        coalesce(child_parents.father_id is not null, false) as has_known_father,
        coalesce(sibling_counts.n_full_siblings, 0) as n_full_siblings,
        coalesce(sibling_counts.n_half_siblings, 0) as n_half_siblings,
        coalesce(sibling_counts.n_siblings, 0) as n_siblings,
        coalesce(child_counts.n_legal_children, 0) as n_legal_children
    from persons
    left join child_parents on child_parents.person_id = persons.person_id
    left join sibling_counts on sibling_counts.person_id = persons.person_id
    left join child_counts on child_counts.person_id = persons.person_id
    where persons.person_id is not null

)

select * from final
