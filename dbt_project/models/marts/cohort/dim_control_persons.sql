-- One row per matched control person: two 1:1 matched control groups (SPEC §2.2).
-- Matching cell = sex x birth year x mother known x father known; eligibility: ever in a registered
-- household, not in the sample (with var('control_pool_excludes_sample_kin'): nor a parent, child,
-- (half-)sibling or (ex-)partner of a sample person). CC: >= 1 OM case registered 2001-2021 and no
-- trafficking case in those years; NCC: no OM case 2001-2021. Within a cell, offenders and candidates
-- are ranked by a seeded hash and joined on rank: a deterministic draw without replacement.
with

cohort as (

    select * from {{ ref('dim_study_cohort') }}

),

persons as (

    select * from {{ ref('int_persons') }}

),

om_cases as (

    select * from {{ ref('int_cases') }}
    where case_source = 'om'
      and year(registration_date) between {{ var('om_years_start') }} and {{ var('om_years_end') }}

),

sample_kin as (

    -- every relative of a sample person in the kinship graph (parents, children, siblings, partners)
    select distinct kinship_edges.relative_id as person_id
    from {{ ref('int_kinship_edges') }} as kinship_edges
    where kinship_edges.person_id in (select person_id from cohort)

),

case_summary as (

    select person_id, count(*) as n_cases, bool_or(has_trafficking) as has_trafficking_case
    from om_cases
    group by person_id

),

candidates as (

    select
        persons.person_id,
        persons.sex,
        persons.birth_year,
        persons.has_known_mother,
        persons.has_known_father,
        case
            when case_summary.person_id is null then 'NCC'
            when not case_summary.has_trafficking_case then 'CC'
        end as control_group
    from persons
    left join case_summary on case_summary.person_id = persons.person_id
    where persons.is_ever_in_household
      and persons.sex is not null
      and persons.birth_year is not null
      and persons.person_id not in (select person_id from cohort)
      {% if var('control_pool_excludes_sample_kin') %}
      and persons.person_id not in (select person_id from sample_kin)
      {% endif %}

),

ranked_candidates as (

    select
        *,
        row_number() over (
            partition by control_group, sex, birth_year, has_known_mother, has_known_father
            order by hash(person_id || '{{ var("control_seed") }}'), person_id
        ) as cell_rank
    from candidates
    where control_group is not null

),

ranked_cohort as (

    select
        person_id as matched_offender_id,
        sex,
        birth_year,
        has_known_mother,
        has_known_father,
        row_number() over (
            partition by sex, birth_year, has_known_mother, has_known_father
            order by hash(person_id || '{{ var("control_seed") }}'), person_id
        ) as cell_rank
    from cohort

),

groups as (

    select unnest(['CC', 'NCC']) as control_group

),

final as (

    select
        ranked_candidates.person_id,
        groups.control_group,
        ranked_cohort.matched_offender_id,
        ranked_cohort.sex,
        ranked_cohort.birth_year,
        ranked_cohort.has_known_mother,
        ranked_cohort.has_known_father
    from ranked_cohort
    cross join groups
    inner join ranked_candidates
        on ranked_candidates.control_group = groups.control_group
       and ranked_candidates.sex = ranked_cohort.sex
       and ranked_candidates.birth_year = ranked_cohort.birth_year
       and ranked_candidates.has_known_mother = ranked_cohort.has_known_mother
       and ranked_candidates.has_known_father = ranked_cohort.has_known_father
       and ranked_candidates.cell_rank = ranked_cohort.cell_rank

)

select * from final
