-- One row per person per cohabiting-partner episode: consecutive household spells in which the
-- person and the partner both hold a partner position (PLHH 3-6) in the same household spell,
-- merged when they follow each other without a gap (SPEC E01). Symmetric.
with

household_spells as (

    select * from {{ ref('stg_cbs__household_spells') }}

),

household_positions as (

    select * from {{ ref('household_positions') }}

),

-- read from staging, not int_household_episodes: partners need only the partner-position spells
partner_spells as (

    select
        household_spells.person_id,
        household_spells.household_spell_id,
        household_spells.spell_start_date,
        household_spells.spell_end_date,
        household_spells.is_left_censored,
        household_spells.is_running
    from household_spells
    inner join household_positions
        on cast(household_positions.code as integer) = household_spells.household_position_code
    where household_positions.is_partner
      and household_spells.person_id is not null

),

shared_spells as (

    select
        person_spells.person_id,
        partner_spells.person_id as partner_id,
        person_spells.spell_start_date,
        person_spells.spell_end_date,
        person_spells.is_left_censored,
        person_spells.is_running
    from partner_spells as person_spells
    inner join partner_spells
        on partner_spells.household_spell_id = person_spells.household_spell_id
       and partner_spells.person_id <> person_spells.person_id

),

flagged as (

    select
        *,
        case
            when spell_start_date <= lag(spell_end_date) over (
                partition by person_id, partner_id order by spell_start_date
            ) + interval 1 day then 0
            else 1
        end as starts_new_episode
    from shared_spells

),

numbered as (

    select
        *,
        cast(sum(starts_new_episode) over (
            partition by person_id, partner_id order by spell_start_date rows unbounded preceding
        ) as integer) as episode_number
    from flagged

),

final as (

    select
        person_id,
        partner_id,
        episode_number,
        min(spell_start_date) as episode_start_date,
        max(spell_end_date) as episode_end_date,
        -- the episode started on or before the register start (1994-10-01): true start unknown
        bool_or(is_left_censored) as is_left_censored,
        bool_or(is_running) as is_running,
        count(*) as n_household_spells
    from numbered
    group by person_id, partner_id, episode_number

)

select * from final
