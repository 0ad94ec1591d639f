-- One row per source x case: person, first offence date (D02), categories, case type by the
-- precedence rule (D05), trafficking flag and severity class (D06). The categories come from
-- int_case_categories (per-offence table, else the OM case file's most serious offence code;
-- offence_category_source says which).
with

om_cases as (

    select * from {{ ref('stg_justice__om_cases') }}

),

objd_offences as (

    select * from {{ ref('stg_justice__objd_offences') }}

),

objd_cases as (

    select
        case_id,
        any_value(person_id) as person_id,
        min(registration_date) as registration_date,
        min(offence_date) as offence_date
    from objd_offences
    group by case_id

),

case_headers as (

    select 'om' as case_source, case_id, person_id, registration_date, offence_date
    from om_cases
    union all
    select 'objd' as case_source, case_id, person_id, registration_date, offence_date
    from objd_cases

),

offence_summary as (

    -- per-offence table when it has rows for the case, else the case file's own code
    select * from {{ ref('int_case_categories') }}

),

final as (

    select
        case_headers.case_source,
        case_headers.case_id,
        case_headers.person_id,
        case_headers.registration_date,
        case_headers.offence_date,
        coalesce(case_headers.offence_date, case_headers.registration_date) as case_date,
        coalesce(offence_summary.n_offences, 0) as n_offences,
        offence_summary.categories,
        offence_summary.case_type,
        coalesce(offence_summary.has_trafficking, false) as has_trafficking,
        coalesce(offence_summary.has_criminal_org, false) as has_criminal_org,
        offence_summary.max_stat_prison_years,
        offence_summary.offence_category_source,
        case
            when offence_summary.max_stat_prison_years is null then null
            when offence_summary.max_stat_prison_years >= 8 then 'HEAVY'
            when offence_summary.max_stat_prison_years >= 4 then 'MEDIUM'
            else 'LIGHT'
        end as severity_class
    from case_headers
    left join offence_summary
        on offence_summary.case_source = case_headers.case_source
       and offence_summary.case_id = case_headers.case_id
    where case_headers.person_id is not null

)

select * from final
