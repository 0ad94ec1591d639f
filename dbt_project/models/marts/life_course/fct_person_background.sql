-- One row per study person (OFF, CC, NCC): background measures B01-B09 of SPEC §3.2.
with

population as (

    select * from {{ ref('dim_study_population') }}

),

persons as (

    select * from {{ ref('int_persons') }}

),

household_episodes as (

    select * from {{ ref('int_household_episodes') }}

),

kin_counts as (

    select * from {{ ref('dim_person_kin_counts') }}

),

parent_links as (

    select * from {{ ref('int_parent_child_links') }}

),

education as (

    select * from {{ ref('int_education_yearly') }}

),

mental_health as (

    select * from {{ ref('int_mental_health_yearly') }}

),

-- B03 migration history
migration as (

    select
        persons.person_id,
        persons.birth_country_group,
        case
            when persons.birth_country_code is null then null
            when persons.is_born_in_netherlands then
                case
                    when persons.mother_birth_country_code is distinct from '6030' and persons.mother_birth_country_code is not null
                        then 'BORN_NL_PARENT_ABROAD'
                    when persons.father_birth_country_code is distinct from '6030' and persons.father_birth_country_code is not null
                        then 'BORN_NL_PARENT_ABROAD'
                    when persons.mother_birth_country_code = '6030' and persons.father_birth_country_code = '6030'
                        then 'BORN_NL_PARENTS_NL'
                end
            when persons.age_at_first_arrival_years is null then null
            when persons.age_at_first_arrival_years < 12 then 'MIGRATED_UNDER_12'
            when persons.age_at_first_arrival_years < 18 then 'MIGRATED_12_17'
            else 'MIGRATED_ADULT'
        end as migration_history
    from persons
    inner join population on population.person_id = persons.person_id

),

-- B04/B05 household during minority
minority_window as (

    select
        person_id,
        {{ add_years("birth_date", "15") }} as window_start_date,
        {{ add_years("birth_date", "18") }} - 1 as window_end_date,
        {{ add_years("birth_date", "18") }} as adulthood_date
    from population
    where birth_date is not null

),

minority_spells as (

    select
        minority_window.person_id,
        household_episodes.household_spell_id,
        household_episodes.spell_start_date,
        household_episodes.spell_end_date,
        household_episodes.household_type_code,
        household_episodes.household_position_code,
        greatest(
            datediff(
                'day',
                greatest(household_episodes.spell_start_date, minority_window.window_start_date),
                least(household_episodes.spell_end_date, minority_window.window_end_date)
            ) + 1,
            0
        ) as days_in_window
    from minority_window
    inner join household_episodes
        on household_episodes.person_id = minority_window.person_id
       and household_episodes.spell_start_date < minority_window.adulthood_date

),

minority_summary as (

    select
        minority_spells.person_id,
        sum(days_in_window) as covered_days,
        count(distinct household_spell_id) filter (where days_in_window > 0) as n_compositions_15_18,
        bool_or(household_position_code = 1 and household_type_code = 6) as ever_single_parent_minor,
        bool_or(household_position_code = 9 and coalesce(household_type_code, 0) <> 8) as ever_foster_minor,
        bool_or(household_position_code = 10 or household_type_code = 8) as ever_institution_minor
    from minority_spells
    group by minority_spells.person_id

),

-- B04 eligibility: household records cover [15th, 18th birthday) up to the gap tolerance, from Oct 1994;
-- the minority measures are reported only for eligible persons (NULL otherwise)
minority_eligibility as (

    select
        minority_window.person_id,
        minority_window.window_start_date >= date '{{ var("register_start_date") }}'
            and coalesce(minority_summary.covered_days, 0)
                >= datediff('day', minority_window.window_start_date, minority_window.window_end_date) + 1
                   - {{ var('minority_household_gap_days') }}
            and minority_window.adulthood_date <= date '{{ var("partner_window_end") }}'
            as is_minority_household_known
    from minority_window
    left join minority_summary on minority_summary.person_id = minority_window.person_id

),

-- B07 parents' age at their first (legal) child
parent_first_child as (

    select parent_id, min(child_birth_date) as first_child_birth_date, any_value(parent_birth_date) as parent_birth_date
    from parent_links
    group by parent_id

),

-- B08 education at 23: the file of the year in which the person is 23 on 1 October
education_at_23 as (

    select
        population.person_id,
        education.attained_level_group,
        education.followed_level_group,
        education.has_startkwalificatie,
        education.person_id is not null as is_education_known
    from population
    left join education
        on education.person_id = population.person_id
       and education.education_year = year(population.birth_date) + 23
            + case when strftime(population.birth_date, '%m%d') > '1001' then 1 else 0 end

),

-- B09 GGZ in five 3-calendar-year age phases
phases as (

    select * from (values (14, 2014), (19, 2020), (24, 2020), (29, 2020), (34, 2020)) as phase_limits(phase_start_age, last_valid_year)

),

phase_years as (

    select
        population.person_id,
        phases.phase_start_age,
        year(population.birth_date) + phases.phase_start_age + offsets.year_offset as cost_year,
        phases.last_valid_year
    from population
    cross join phases
    cross join (values (1), (2), (3)) as offsets(year_offset)
    where population.birth_date is not null

),

phase_summary as (

    select
        phase_years.person_id,
        phase_years.phase_start_age,
        bool_and(phase_years.cost_year between 2009 and phase_years.last_valid_year and mental_health.person_id is not null)
            as is_phase_known,
        bool_or(coalesce(mental_health.received_mental_health_care, false)) as received_care
    from phase_years
    left join mental_health
        on mental_health.person_id = phase_years.person_id
       and mental_health.cost_year = phase_years.cost_year
    group by phase_years.person_id, phase_years.phase_start_age

),

phase_wide as (

    select
        person_id,
        {% for age in [14, 19, 24, 29, 34] %}
        bool_or(received_care) filter (where phase_start_age = {{ age }} and is_phase_known) as ggz_{{ age }}_{{ age + 2 }},
        {% endfor %}
        bool_or(is_phase_known) as is_any_ggz_phase_known,
        case when bool_or(is_phase_known) then bool_or(received_care and is_phase_known) end as ggz_any_phase
    from phase_summary
    group by person_id

),

final as (

    select
        population.person_id,
        population.study_group,
        population.sex,
        population.birth_date,

        -- B02, B03
        migration.birth_country_group,
        migration.migration_history,

        -- B04, B05
        coalesce(minority_eligibility.is_minority_household_known, false) as is_minority_household_known,
        case when minority_eligibility.is_minority_household_known then minority_summary.ever_single_parent_minor end
            as ever_single_parent_minor,
        case when minority_eligibility.is_minority_household_known then minority_summary.ever_foster_minor end
            as ever_foster_minor,
        case when minority_eligibility.is_minority_household_known then minority_summary.ever_institution_minor end
            as ever_institution_minor,
        case when minority_eligibility.is_minority_household_known then minority_summary.n_compositions_15_18 end
            as n_compositions_15_18,

        -- B06
        population.has_known_mother and population.has_known_father as has_both_parents_known,
        kin_counts.n_siblings,

        -- B07
        {{ age_decimal('mother_first_child.parent_birth_date', 'mother_first_child.first_child_birth_date') }}
            as mother_age_first_child,
        {{ age_decimal('father_first_child.parent_birth_date', 'father_first_child.first_child_birth_date') }}
            as father_age_first_child,

        -- B08
        education_at_23.is_education_known as is_education_at_23_known,
        education_at_23.attained_level_group as attained_level_group_23,
        education_at_23.followed_level_group as followed_level_group_23,
        education_at_23.has_startkwalificatie as has_startkwalificatie_23,

        -- B09
        {% for age in [14, 19, 24, 29, 34] %}
        phase_wide.ggz_{{ age }}_{{ age + 2 }},
        {% endfor %}
        phase_wide.ggz_any_phase

    from population
    left join migration on migration.person_id = population.person_id
    left join minority_summary on minority_summary.person_id = population.person_id
    left join minority_eligibility on minority_eligibility.person_id = population.person_id
    left join kin_counts on kin_counts.person_id = population.person_id
    left join parent_first_child as mother_first_child on mother_first_child.parent_id = population.mother_id
    left join parent_first_child as father_first_child on father_first_child.parent_id = population.father_id
    left join education_at_23 on education_at_23.person_id = population.person_id
    left join phase_wide on phase_wide.person_id = population.person_id

)

select * from final
