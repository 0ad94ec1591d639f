-- One row per person per cohabiting-partner episode: consecutive household spells in which the
-- person and the partner both hold a partner position (PLHH 3-6) in the same household spell,
-- merged when they follow each other without a gap (SPEC E01). Symmetric.
with

episodes as (

    select * from {{ ref('int_household_episodes') }}

),

shared_spells as (

    select
        person_episodes.person_id,
        partner_episodes.person_id as partner_id,
        person_episodes.spell_start_date,
        person_episodes.spell_end_date,
        person_episodes.is_left_censored,
        person_episodes.is_running
    from episodes as person_episodes
    inner join episodes as partner_episodes
        on partner_episodes.household_spell_id = person_episodes.household_spell_id
       and partner_episodes.person_id <> person_episodes.person_id
    where person_episodes.is_partner_position
      and partner_episodes.is_partner_position

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
