-- One row per (person, child living at home, household spell) where the person is a resident parent
-- (PLHH 5, 6 or 7) and the child holds position 'child at home' (PLHH 1) in the same spell (SPEC W05).
with

episodes as (

    select * from {{ ref('int_household_episodes') }}

),

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

pairs as (

    select
        parent_episodes.person_id,
        child_episodes.person_id as child_id,
        parent_episodes.household_spell_id,
        parent_episodes.spell_start_date,
        parent_episodes.spell_end_date
    from episodes as parent_episodes
    inner join episodes as child_episodes
        on child_episodes.household_spell_id = parent_episodes.household_spell_id
       and child_episodes.person_id <> parent_episodes.person_id
    where parent_episodes.is_resident_parent_position
      and child_episodes.household_position_code = 1

),

final as (

    select
        pairs.*,
        parent_links.child_id is not null as is_legal_child
    from pairs
    left join parent_links
        on parent_links.child_id = pairs.child_id
       and parent_links.parent_id = pairs.person_id

)

select * from final
