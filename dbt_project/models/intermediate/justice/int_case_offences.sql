-- One row per source x case x offence, classified into the 8 categories and with the statutory
-- maximum (SPEC D02-D04). Sources: 'om' (INSTROOMOM 2001-2021, everyone) and 'objd' (sample careers).
with

om_offences as (

    select * from {{ ref('stg_justice__om_offences') }}

),

objd_offences as (

    select * from {{ ref('stg_justice__objd_offences') }}

),

offence_codes as (

    select * from {{ ref('offence_codes') }}

),

unioned as (

    select 'om' as case_source, case_id, offence_seq, offence_code, law_article, stat_max_prison_years
    from om_offences
    union all
    select 'objd' as case_source, case_id, offence_seq, offence_code, law_article, stat_max_prison_years
    from objd_offences

),

final as (

    select
        unioned.case_source,
        unioned.case_id,
        unioned.offence_seq,
        unioned.offence_code,
        coalesce(unioned.law_article, offence_codes.law_article) as law_article,
        coalesce(offence_codes.category8, case when unioned.offence_code is not null then 'OTHER' end) as category8,
        coalesce(offence_codes.is_trafficking, upper(unioned.law_article) like '%273F%') as is_trafficking,
        coalesce(offence_codes.is_criminal_org, false) as is_criminal_org,
        coalesce(unioned.stat_max_prison_years, offence_codes.stat_max_prison_years, 0) as stat_max_prison_years
    from unioned
    left join offence_codes on offence_codes.code = unioned.offence_code

)

select * from final
