-- One row per source x case: the offence categories of the case and where they come from
-- (SPEC D04-D06). This is the one place that decides a case's category.
--
-- * 'offences table': the case has rows in a per-offence table (INSTROOMOMFEITTAB for 'om',
--   the OBJD extract for 'objd'). All offences are known, so the case type follows the
--   precedence rule (D05) and the severity class the maximum over all offences (D06).
-- * 'case file code': an OM case without offence rows (INSTROOMOMFEITTAB not delivered, empty,
--   or without a row for the case) falls back to the case file's own most serious offence code
--   (INSTROOMOMTAB.OMZWAARSTEFEITSCM), mapped through the offence_codes seed. Only that one offence
--   is known: the case type is its category (most serious by statutory maximum, not by D05
--   precedence), `categories` holds that single category and the trafficking / criminal
--   organisation flags only see that offence (docs/justice-data.md).
-- Cases with neither source have no category (offence_category_source is null).
with

om_cases as (

    select * from {{ ref('stg_justice__om_cases') }}
    -- one header per case (the layout key is the case id within a file)
    qualify row_number() over (
        partition by case_id order by registration_file_year desc, registration_date desc
    ) = 1

),

case_offences as (

    select * from {{ ref('int_case_offences') }}

),

offence_codes as (

    select * from {{ ref('offence_codes') }}

),

from_offences_table as (

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

from_case_file as (

    -- same mapping as int_case_offences: unknown codes are OTHER, a missing seed flag falls
    -- back to the law article (art. 273f Sr = trafficking)
    select
        'om' as case_source,
        om_cases.case_id,
        coalesce(om_cases.n_offences, 1) as n_offences,
        coalesce(offence_codes.category8, 'OTHER') as category8,
        coalesce(
            offence_codes.is_trafficking, upper(om_cases.most_serious_law_article) like '%273F%', false
        ) as has_trafficking,
        coalesce(offence_codes.is_criminal_org, false) as has_criminal_org,
        coalesce(offence_codes.stat_max_prison_years, 0) as max_stat_prison_years
    from om_cases
    left join offence_codes on offence_codes.code = om_cases.most_serious_offence_code
    where om_cases.most_serious_offence_code is not null

),

chosen as (

    select
        case_source,
        case_id,
        n_offences,
        categories,
        (['TRAFFICKING', 'SEXUAL', 'VIOLENCE', 'PROPERTY', 'DRUGS', 'VANDALISM_PUBLIC_ORDER', 'TRAFFIC', 'OTHER'])[
            case_type_rank
        ] as case_type,
        has_trafficking,
        has_criminal_org,
        max_stat_prison_years,
        'offences table' as offence_category_source
    from from_offences_table
    union all
    select
        case_source,
        case_id,
        n_offences,
        [category8] as categories,
        category8 as case_type,
        has_trafficking,
        has_criminal_org,
        max_stat_prison_years,
        'case file code' as offence_category_source
    from from_case_file
    -- the per-offence table wins whenever it has a row for the case
    where not exists (
        select 1
        from from_offences_table
        where from_offences_table.case_source = from_case_file.case_source
          and from_offences_table.case_id = from_case_file.case_id
    )

)

select * from chosen
