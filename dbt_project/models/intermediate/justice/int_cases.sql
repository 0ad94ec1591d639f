-- One row per source x case: person, first offence date (D02), categories, case type by the
-- precedence rule (D05), trafficking flag and severity class (D06).
with

om_cases as (

    select * from {{ ref('stg_justice__om_cases') }}

),

objd_offences as (

    select * from {{ ref('stg_justice__objd_offences') }}

),

case_offences as (

    select * from {{ ref('int_case_offences') }}

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

    select
        case_source,
        case_id,
        count(*) as n_offences,
        list_distinct(list(category8)) as categories,
        bool_or(is_trafficking) as has_trafficking,
        bool_or(is_criminal_org) as has_criminal_org,
        max(stat_max_prison_years) as max_stat_prison_years,
        -- D05 precedence: TRAFFICKING > SEXUAL > VIOLENCE > PROPERTY > DRUGS > VANDALISM_PUBLIC_ORDER > TRAFFIC > OTHER
        min(
            case category8
                when 'TRAFFICKING' then 1
                when 'SEXUAL' then 2
                when 'VIOLENCE' then 3
                when 'PROPERTY' then 4
                when 'DRUGS' then 5
                when 'VANDALISM_PUBLIC_ORDER' then 6
                when 'TRAFFIC' then 7
                when 'OTHER' then 8
            end
        ) as case_type_rank
    from case_offences
    group by case_source, case_id

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
        (['TRAFFICKING', 'SEXUAL', 'VIOLENCE', 'PROPERTY', 'DRUGS', 'VANDALISM_PUBLIC_ORDER', 'TRAFFIC', 'OTHER'])[
            offence_summary.case_type_rank
        ] as case_type,
        coalesce(offence_summary.has_trafficking, false) as has_trafficking,
        coalesce(offence_summary.has_criminal_org, false) as has_criminal_org,
        offence_summary.max_stat_prison_years,
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
