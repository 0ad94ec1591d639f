-- figure: Section 5.6 (Dadermonitor recidivism windows)
-- title: Reoffending within 2, 5 and 7 years after the first trafficking case, with and without detention correction
-- spec: SPEC §5.6 and §3.6 R01 (Dadermonitor mensenhandel 2017-2021 ch. 6, cited by the study in §1.3.3 and §6.3.4 fn 14)
-- population: OFF (630) whose window ends on or before the end of observation (reference date or death); controls
--   have no trafficking index date
-- tests: binary share: Pearson chi-square (4 profiles)
-- chart: flags
-- output: one row per group (INC, EPK, LPK, CON, OFF) x measure x category (yes/no); measure =
--   {any|trafficking}_{2|5|7}y_{corrected|calendar}: a new case (any / containing trafficking) other than the
--   index case with its first offence date in (first trafficking date, window end]; 'corrected' extends the window
--   end by the detention days inside it (iterated, SPEC R01; the Dadermonitor's published figures are corrected),
--   'calendar' does not. n = persons in the category (unrounded), n_den = persons whose window is observed.
--   Disclosure control (rounding to 5, minimum cells) is applied by the report, not here.
with
pop as (
    -- sample offenders with their trajectory group
    select p.person_id, p.study_group, coalesce(t.trajectory_group, p.study_group) as profile
    from marts.dim_study_population as p
    left join marts.fct_trajectory_membership as t on t.person_id = p.person_id
    where p.study_group = 'OFF'
),
windows as (
    select
        pop.profile,
        pop.study_group,
        w.window_years,
        case when w.is_detention_corrected then 'corrected' else 'calendar' end as variant,
        w.reoffended_any,
        w.reoffended_trafficking
    from pop
    join marts.fct_recidivism_windows as w on w.person_id = pop.person_id
    where w.is_window_observed
),
long as (
    select
        profile, study_group,
        offence || '_' || window_years || 'y_' || variant as measure,
        case when reoffended then 'yes' else 'no' end as category,
        case when reoffended then 1 else 2 end as category_order,
        cast(null as double) as value
    from windows
    cross join lateral (
        select 'any' as offence, windows.reoffended_any as reoffended
        union all
        select 'trafficking' as offence, windows.reoffended_trafficking as reoffended
    )
)
-- counts, denominators and the chi-square over the profiles: the shared table macro marts.group_summary
-- (dbt_project/models/marts/figures/group_summary.sql)
select * from marts.group_summary(long)
