-- One row per person per education year (state on 1 October), with level groups and the
-- startkwalificatie rule: attained level havo/vwo diploma or mbo-2 or higher (SPEC B08).
with

education as (

    select * from {{ ref('stg_cbs__education') }}

),

levels as (

    select * from {{ ref('education_levels') }}

),

final as (

    select
        education.person_id,
        education.education_year,
        education.reference_date,
        education.attained_level_code,
        attained.level_group as attained_level_group,
        attained.broad_level as attained_broad_level,
        education.followed_level_code,
        followed.level_group as followed_level_group,
        case
            when education.attained_level_code is null then null
            else coalesce(attained.has_startkwalificatie_if_attained, false)
        end as has_startkwalificatie
    from education
    left join levels as attained on attained.code = education.attained_level_code
    left join levels as followed on followed.code = education.followed_level_code
    where education.person_id is not null

)

select * from final
