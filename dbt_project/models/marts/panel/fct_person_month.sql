-- One row per panel person per calendar month of the fixed-effects panel (SPEC §3.5).
-- var('panel_population'): 'study' (default) = the sample (OFF, offending from OBJD, from
-- var('panel_start_month')) and both matched control groups (CC, NCC, offending from INSTROOMOM, from
-- var('panel_start_month_criminal_controls')); 'all_offenders' = the study population plus every other
-- person with >= 1 OM case registered in the OM years (study_group 'OFFENDER', offending from INSTROOMOM,
-- same start as the controls). States are taken on the first day of the month; bio_child is absorbing
-- from the birth month. All months are kept (is_adult flags the FE analysis months); months after
-- death are dropped.
{%- set panel_population = var('panel_population') %}
{%- if panel_population not in ['study', 'all_offenders'] %}
    {{ exceptions.raise_compiler_error("var panel_population must be 'study' or 'all_offenders', got " ~ panel_population) }}
{%- endif %}
with

study_population as (

    select * from {{ ref('dim_study_population') }}

),

persons as (

    select * from {{ ref('int_persons') }}

),

cases as (

    select * from {{ ref('int_cases') }}

),

secm_spells as (

    select * from {{ ref('int_secm_spells') }}

),

household_episodes as (

    select * from {{ ref('int_household_episodes') }}

),

resident_children as (

    select * from {{ ref('int_resident_children') }}

),

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

detentions as (

    select * from {{ ref('int_detention_spells') }}

),

{% if panel_population == 'all_offenders' %}
other_offenders as (

    select distinct cases.person_id
    from cases
    where cases.case_source = 'om'
      and year(cases.registration_date) between {{ var('om_years_start') }} and {{ var('om_years_end') }}
      and cases.person_id not in (select person_id from study_population)

),
{% endif %}

population as (

    select person_id, study_group, birth_date, death_date
    from study_population
    {% if panel_population == 'all_offenders' %}
    union all
    select persons.person_id, 'OFFENDER' as study_group, persons.birth_date, persons.death_date
    from other_offenders
    inner join persons on persons.person_id = other_offenders.person_id
    {% endif %}

),

months as (

    select
        population.person_id,
        population.study_group,
        population.birth_date,
        cast(month_start as date) as month_start_date
    from population
    cross join lateral (
        select unnest(
            generate_series(
                case when population.study_group = 'OFF'
                    then date '{{ var("panel_start_month") }}'
                    else date '{{ var("panel_start_month_criminal_controls") }}'
                end,
                date '{{ var("panel_end_month") }}',
                interval 1 month
            )
        ) as month_start
    )
    where population.death_date is null or cast(month_start as date) <= population.death_date

),

offence_months as (

    select
        cases.person_id,
        date_trunc('month', cases.case_date) as month_start_date,
        count(*) as n_cases
    from cases
    inner join population
        on population.person_id = cases.person_id
       and cases.case_source = case when population.study_group = 'OFF' then 'objd' else 'om' end
    where cases.case_source = 'objd'
       or year(cases.registration_date) between {{ var('om_years_start') }} and {{ var('om_years_end') }}
    group by all

),

first_bio_child as (

    select parent_id as person_id, min(child_birth_date) as first_child_birth_date
    from parent_links
    where parent_id in (select person_id from population)
    group by parent_id

),

-- spell tables expanded to the panel months whose first day falls inside the spell (the monthly state
-- is the state on the 1st), so that every state joins the person-months on equality
{%- set panel_first_month = "least(date '" ~ var('panel_start_month') ~ "', date '" ~ var('panel_start_month_criminal_controls') ~ "')" %}
{%- set panel_last_month = "date '" ~ var('panel_end_month') ~ "'" %}
secm_months as (

    select
        secm_spells.person_id,
        secm_spells.secm_category,
        {{ months_in_spell('secm_spells.spell_start_date', 'secm_spells.spell_end_date', panel_first_month, panel_last_month) }} as month_start_date
    from secm_spells
    where secm_spells.person_id in (select person_id from population)
      and secm_spells.spell_end_date is not null

),

household_months as (

    select
        household_episodes.person_id,
        household_episodes.position_category,
        household_episodes.is_partner_position,
        {{ months_in_spell('household_episodes.spell_start_date', 'household_episodes.spell_end_date', panel_first_month, panel_last_month) }} as month_start_date
    from household_episodes
    where household_episodes.person_id in (select person_id from population)
      and household_episodes.spell_end_date is not null

),

resident_nonbio_child_months as (

    select distinct
        resident_children.person_id,
        {{ months_in_spell('resident_children.spell_start_date', 'resident_children.spell_end_date', panel_first_month, panel_last_month) }} as month_start_date
    from resident_children
    where not resident_children.is_legal_child
      and resident_children.person_id in (select person_id from population)
      and resident_children.spell_end_date is not null

),

detention_months as (

    select distinct
        detentions.person_id,
        {{ months_in_spell('detentions.detention_start_date', 'detentions.detention_end_date', panel_first_month, panel_last_month) }} as month_start_date
    from detentions
    where detentions.person_id in (select person_id from population)
      and detentions.detention_end_date is not null

),

final as (

    select
        months.person_id,
        months.study_group,
        months.month_start_date,
        {{ age_decimal('months.birth_date', 'months.month_start_date') }} as age,
        {{ age_years('months.birth_date', 'months.month_start_date') }} >= 18 as is_adult,
        coalesce(offence_months.n_cases, 0) > 0 as offended,
        coalesce(offence_months.n_cases, 0) as n_cases,
        secm.secm_category,
        household.position_category,
        household.person_id is not null as is_household_known,
        coalesce(household.is_partner_position, false) as has_partner,
        coalesce(first_bio_child.first_child_birth_date <= last_day(months.month_start_date), false) as has_bio_child,
        resident_nonbio_child_months.person_id is not null as has_resident_nonbio_child,
        detention_months.person_id is not null as is_in_detention
    from months
    left join offence_months
        on offence_months.person_id = months.person_id
       and offence_months.month_start_date = months.month_start_date
    left join secm_months as secm
        on secm.person_id = months.person_id
       and secm.month_start_date = months.month_start_date
    left join household_months as household
        on household.person_id = months.person_id
       and household.month_start_date = months.month_start_date
    left join resident_nonbio_child_months
        on resident_nonbio_child_months.person_id = months.person_id
       and resident_nonbio_child_months.month_start_date = months.month_start_date
    left join detention_months
        on detention_months.person_id = months.person_id
       and detention_months.month_start_date = months.month_start_date
    left join first_bio_child on first_bio_child.person_id = months.person_id

)

select * from final
