-- One row per ordered pair of (half-)siblings sharing at least one legal parent (symmetric).
with

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

shared_parent as (

    select
        person_links.child_id as person_id,
        sibling_links.child_id as sibling_id,
        person_links.parent_role
    from parent_links as person_links
    inner join parent_links as sibling_links
        on sibling_links.parent_id = person_links.parent_id
       and sibling_links.parent_role = person_links.parent_role
       and sibling_links.child_id <> person_links.child_id

),

pairs as (

    select
        person_id,
        sibling_id,
        bool_or(parent_role = 'mother') as shares_mother,
        bool_or(parent_role = 'father') as shares_father
    from shared_parent
    group by person_id, sibling_id

),

final as (

    select
        pairs.person_id,
        pairs.sibling_id,
        case
            when shares_mother and shares_father then 'full_sibling'
            when shares_mother then 'half_sibling_maternal'
            else 'half_sibling_paternal'
        end as sibling_type,
        shares_mother,
        shares_father,
        siblings.birth_date as sibling_birth_date
    from pairs
    left join {{ ref('stg_cbs__persons') }} as siblings on siblings.person_id = pairs.sibling_id

)

select * from final
