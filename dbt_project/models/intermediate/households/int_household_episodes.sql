-- One row per person per household spell, with decoded type and position and the spell's member counts.
with

household_spells as (

    select * from {{ ref('stg_cbs__household_spells') }}

),

household_types as (

    select * from {{ ref('household_types') }}

),

household_positions as (

    select * from {{ ref('household_positions') }}

),

members as (

    select
        household_spell_id,
        count(*) as n_members_registered,
        count(*) filter (where household_position_code = 1) as n_children_at_home
    from household_spells
    group by household_spell_id

),

final as (

    select
        -- ids
        household_spells.person_id,
        household_spells.household_spell_id,
        household_spells.household_number,

        -- period (inclusive)
        household_spells.spell_start_date,
        household_spells.spell_end_date,
        household_spells.is_left_censored,
        household_spells.is_running,

        -- type and position
        household_spells.household_type_code,
        household_types.household_type,
        household_spells.household_position_code,
        household_positions.household_position,
        household_positions.position_category,
        coalesce(household_positions.is_partner, false) as is_partner_position,
        coalesce(household_positions.is_resident_parent, false) as is_resident_parent_position,
        household_spells.household_type_code = 8 or household_spells.household_position_code = 10 as is_institutional,

        -- members
        household_spells.n_persons,
        members.n_members_registered,
        members.n_children_at_home,
        household_spells.is_imputed

    from household_spells
    left join household_types on cast(household_types.code as integer) = household_spells.household_type_code
    left join household_positions on cast(household_positions.code as integer) = household_spells.household_position_code
    left join members on members.household_spell_id = household_spells.household_spell_id
    where household_spells.person_id is not null

)

select * from final
