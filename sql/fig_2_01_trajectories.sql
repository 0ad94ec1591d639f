-- figure: Figure 2.1
-- title: Offending profiles, ages 12-35: expected and observed cases per age-year
-- spec: SPEC §5.1 Fig 2.1; §4.1 (GBTM); C06
-- population: all OFF (630) by maximum-posterior trajectory group; n_den = persons observed at the age
-- tests: none (model fit: BIC, AvePP > 0.7, OCC > 5 in fct_trajectory_models / the avepp and occ columns)
-- chart: trajectories
-- output: one row per trajectory group x age 12-35: expected_cases (fitted mean, with the 95% band lower/upper),
--   observed_mean = mean registered cases of the group's members observed at that age (unrounded).
with
membership as (
    select person_id, trajectory_group from marts.fct_trajectory_membership
),
observed as (
    select
        membership.trajectory_group as grp,
        o.age,
        count(*) filter (where o.is_observed) as n_den,
        avg(o.n_cases) filter (where o.is_observed) as observed_mean
    from marts.fct_offending_by_age as o
    join membership on membership.person_id = o.person_id
    group by membership.trajectory_group, o.age
)
select
    c.trajectory_group as grp,
    c.age,
    observed.n_den,
    observed.observed_mean,
    c.expected_cases,
    c.lower,
    c.upper,
    c.estimated_share,
    c.avepp,
    c.occ
from marts.fct_trajectory_curves as c
left join observed on observed.grp = c.trajectory_group and observed.age = c.age
order by case c.trajectory_group when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4 else 5 end,
         c.trajectory_group, c.age
