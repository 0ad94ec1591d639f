-- One row per study person (OFF, CC, NCC): criminal relatives (SPEC E01-E04). A relative is
-- criminal with >= 1 OM case registered in 2001-2021 (INSTROOMOMTAB), whatever its timing.
-- Partners: every cohabiting partner Oct 1994 - Dec 2022; siblings born up to 2022.
with

population as (

    select * from {{ ref('dim_study_population') }}

),

kinship_edges as (

    select * from {{ ref('int_kinship_edges') }}

),

om_cases as (

    select * from {{ ref('int_cases') }}
    where case_source = 'om'
      and year(registration_date) between {{ var('om_years_start') }} and {{ var('om_years_end') }}

),

relative_cases as (

    select
        person_id,
        count(*) as n_cases,
        {% for category in ['TRAFFICKING', 'PROPERTY', 'VIOLENCE', 'SEXUAL', 'DRUGS', 'VANDALISM_PUBLIC_ORDER', 'TRAFFIC', 'OTHER'] %}
        bool_or(list_contains(categories, '{{ category }}')) as has_{{ category | lower }}{{ "," if not loop.last }}
        {% endfor %}
    from om_cases
    group by person_id

),

relative_types as (

    select
        kinship_edges.person_id,
        case
            when kinship_edges.relation in ('mother', 'father') then 'parent'
            when kinship_edges.relation like '%sibling%' then 'sibling'
            when kinship_edges.relation = 'partner' then 'partner'
        end as relative_type,
        kinship_edges.relation,
        kinship_edges.relative_id,
        relative_cases.n_cases,
        {% for category in ['trafficking', 'property', 'violence', 'sexual', 'drugs', 'vandalism_public_order', 'traffic', 'other'] %}
        relative_cases.has_{{ category }}{{ "," if not loop.last }}
        {% endfor %}
    from kinship_edges
    inner join population on population.person_id = kinship_edges.person_id
    inner join relative_cases on relative_cases.person_id = kinship_edges.relative_id
    left join {{ ref('int_persons') }} as relatives on relatives.person_id = kinship_edges.relative_id
    where (
            kinship_edges.relation in ('mother', 'father')
            or (
                kinship_edges.relation like '%sibling%'
                and coalesce(relatives.birth_date, date '1900-01-01') <= date '{{ var("siblings_born_until") }}'
            )
            or (
                kinship_edges.relation = 'partner'
                and kinship_edges.valid_from <= date '{{ var("partner_window_end") }}'
            )
        )

),

by_type as (

    select
        person_id,
        relative_type,
        count(distinct relative_id) as n_criminal_relatives,
        max(n_cases) as max_relative_cases,
        bool_or(relation = 'mother') as has_criminal_mother,
        bool_or(relation = 'father') as has_criminal_father,
        {% for category in ['trafficking', 'property', 'violence', 'sexual', 'drugs', 'vandalism_public_order', 'traffic', 'other'] %}
        bool_or(has_{{ category }}) as any_{{ category }}{{ "," if not loop.last }}
        {% endfor %}
    from (select distinct * from relative_types)
    group by person_id, relative_type

),

final as (

    select
        population.person_id,
        population.study_group,
        population.has_known_mother and population.has_known_father as has_both_parents_known,
        coalesce(parents.has_criminal_mother, false) as has_criminal_mother,
        coalesce(parents.has_criminal_father, false) as has_criminal_father,
        parents.person_id is not null as has_criminal_parent,
        siblings.person_id is not null as has_criminal_sibling,
        partners.person_id is not null as has_criminal_partner,
        parents.person_id is not null or siblings.person_id is not null or partners.person_id is not null
            as has_criminal_relative,
        parents.max_relative_cases as most_criminal_parent_cases,
        siblings.max_relative_cases as most_criminal_sibling_cases,
        partners.max_relative_cases as most_criminal_partner_cases,
        {% for relative in ['parents', 'siblings', 'partners'] %}
        {% for category in ['trafficking', 'property', 'violence', 'sexual', 'drugs', 'vandalism_public_order', 'traffic', 'other'] %}
        {{ relative }}.any_{{ category }} as {{ relative[:-1] }}_any_{{ category }},
        {% endfor %}
        {% endfor %}
    from population
    left join by_type as parents on parents.person_id = population.person_id and parents.relative_type = 'parent'
    left join by_type as siblings on siblings.person_id = population.person_id and siblings.relative_type = 'sibling'
    left join by_type as partners on partners.person_id = population.person_id and partners.relative_type = 'partner'

)

select * from final
