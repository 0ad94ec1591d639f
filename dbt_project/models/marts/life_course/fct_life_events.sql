-- One row per study person (OFF, CC, NCC): work, partner and children measures W02-W05 of SPEC §3.4.
-- Index dates (first offence, first trafficking) exist for the sample only.
with

population as (

    select * from {{ ref('dim_study_population') }}

),

careers as (

    select * from {{ ref('fct_offender_careers') }}

),

secm_spells as (

    select * from {{ ref('int_secm_spells') }}

),

household_episodes as (

    select * from {{ ref('int_household_episodes') }}

),

partner_episodes as (

    select * from {{ ref('int_partner_episodes') }}

),

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

index_dates as (

    select
        population.person_id,
        careers.first_offence_date,
        careers.first_trafficking_date
    from population
    left join careers on careers.person_id = population.person_id

),

secm_at as (

    select
        index_dates.person_id,
        any_value(first_offence_spell.secm_category) as secm_at_first_offence,
        any_value(first_trafficking_spell.secm_category) as secm_at_first_trafficking
    from index_dates
    left join secm_spells as first_offence_spell
        on first_offence_spell.person_id = index_dates.person_id
       and index_dates.first_offence_date between first_offence_spell.spell_start_date and first_offence_spell.spell_end_date
    left join secm_spells as first_trafficking_spell
        on first_trafficking_spell.person_id = index_dates.person_id
       and index_dates.first_trafficking_date between first_trafficking_spell.spell_start_date and first_trafficking_spell.spell_end_date
    group by index_dates.person_id

),

position_at as (

    select
        index_dates.person_id,
        any_value(first_offence_spell.position_category) as position_at_first_offence,
        any_value(first_trafficking_spell.position_category) as position_at_first_trafficking
    from index_dates
    left join household_episodes as first_offence_spell
        on first_offence_spell.person_id = index_dates.person_id
       and index_dates.first_offence_date between first_offence_spell.spell_start_date and first_offence_spell.spell_end_date
    left join household_episodes as first_trafficking_spell
        on first_trafficking_spell.person_id = index_dates.person_id
       and index_dates.first_trafficking_date between first_trafficking_spell.spell_start_date and first_trafficking_spell.spell_end_date
    group by index_dates.person_id

),

partners as (

    select
        person_id,
        count(distinct partner_id) as n_partners
    from partner_episodes
    where episode_start_date <= date '{{ var("partner_window_end") }}'
    group by person_id

),

legal_children as (

    select
        parent_links.parent_id as person_id,
        count(distinct parent_links.child_id) filter (where parent_links.child_birth_date <= date '{{ var("partner_window_end") }}')
            as n_bio_children,
        min(parent_links.child_birth_date) as first_bio_child_birth_date
    from parent_links
    group by parent_links.parent_id

),

resident_child_ever as (

    select distinct person_id
    from household_episodes
    where position_category in ('SINGLE_PARENT', 'PARTNER_WITH_CHILDREN')
      and spell_start_date <= date '{{ var("partner_window_end") }}'

),

final as (

    select
        population.person_id,
        population.study_group,

        -- W02, W03
        secm_at.secm_at_first_offence,
        secm_at.secm_at_first_trafficking,
        position_at.position_at_first_offence,
        position_at.position_at_first_trafficking,

        -- W04 partners
        coalesce(partners.n_partners, 0) > 0 as ever_partner,
        coalesce(partners.n_partners, 0) as n_partners,
        greatest(
            datediff(
                'day',
                greatest({{ add_years("population.birth_date", "18") }}, date '{{ var("register_start_date") }}'),
                least(coalesce(population.death_date, date '{{ var("partner_window_end") }}'), date '{{ var("partner_window_end") }}')
            ) / 365.25,
            0
        ) as adult_years,

        -- W05 children at the index dates
        case when index_dates.first_offence_date is not null
            then coalesce(legal_children.first_bio_child_birth_date <= index_dates.first_offence_date, false)
        end as bio_child_at_first_offence,
        position_at.position_at_first_offence in ('SINGLE_PARENT', 'PARTNER_WITH_CHILDREN') as resident_child_at_first_offence,
        case when index_dates.first_trafficking_date is not null
            then coalesce(legal_children.first_bio_child_birth_date <= index_dates.first_trafficking_date, false)
        end as bio_child_at_first_trafficking,
        position_at.position_at_first_trafficking in ('SINGLE_PARENT', 'PARTNER_WITH_CHILDREN') as resident_child_at_first_trafficking,

        -- W05 children ever (to the end of 2022)
        coalesce(legal_children.n_bio_children, 0) > 0 as bio_child_ever,
        resident_child_ever.person_id is not null as resident_child_ever,
        coalesce(legal_children.n_bio_children, 0) as n_bio_children,
        {{ age_decimal('population.birth_date', 'legal_children.first_bio_child_birth_date') }} as age_first_bio_child

    from population
    left join index_dates on index_dates.person_id = population.person_id
    left join secm_at on secm_at.person_id = population.person_id
    left join position_at on position_at.person_id = population.person_id
    left join partners on partners.person_id = population.person_id
    left join legal_children on legal_children.person_id = population.person_id
    left join resident_child_ever on resident_child_ever.person_id = population.person_id

)

select
    *,
    n_partners / nullif(adult_years, 0) as partners_per_adult_year
from final
