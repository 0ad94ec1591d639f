-- figure: Table 5.1
-- title: Fixed-effects (conditional) logit: odds ratios of offending in a month
-- spec: SPEC §5.4 Table 5.1; §4.2 (method); §3.5 P01-P03 (panel)
-- population: adult person-months (age >= 18) of OFF (Jan 1999 - Jun 2021) and CC (Jan 2001 - Jun 2021) with SECM
--   and household known; n_den = persons contributing to the conditional likelihood (published OFF 620, CC 605)
-- tests: Wald z-test per coefficient (clogit_fit, exact conditional likelihood); stars * p<0.05 ** p<0.01 *** p<0.001
-- chart: table
-- output: one row per group (INC, EPK, LPK, CON, OFF, CC) x term with odds_ratio, se (of the log-odds) and p_value;
--   n_den = persons with variation in the outcome (strata used), n_months = person-months used (both unrounded).
with
pop as (
    select p.person_id, p.study_group, coalesce(t.trajectory_group, p.study_group) as profile
    from marts.dim_study_population as p
    left join marts.fct_trajectory_membership as t on t.person_id = p.person_id
),
panel as (
    select
        pop.profile, pop.study_group, m.person_id,
        cast(m.offended as integer) as offended,
        [
            m.age,
            case when m.secm_category = 'BENEFIT' then 1.0 else 0.0 end,
            case when m.secm_category = 'SCHOOL_STUDENT' then 1.0 else 0.0 end,
            case when m.secm_category = 'OTHER_NO_INCOME' then 1.0 else 0.0 end,
            case when m.has_partner then 1.0 else 0.0 end,
            case when m.has_bio_child then 1.0 else 0.0 end,
            case when m.has_resident_nonbio_child then 1.0 else 0.0 end
        ] as x
    from marts.fct_person_month as m
    join pop on pop.person_id = m.person_id
    where m.is_adult
      and m.secm_category is not null
      and coalesce(m.is_household_known, false)
      and m.has_partner is not null and m.has_bio_child is not null and m.has_resident_nonbio_child is not null
      and m.age is not null and m.offended is not null
),
grouped as (
    select profile as grp, * from panel where study_group = 'OFF' and profile <> 'OFF'
    union all
    select study_group as grp, * from panel where study_group in ('OFF', 'CC')
),
-- strata without variation in the outcome do not contribute to the conditional likelihood
informative as (
    select grp, person_id
    from grouped
    group by grp, person_id
    having min(offended) = 0 and max(offended) = 1
),
fits as (
    select
        g.grp,
        count(*) as n_months,
        clogit_fit(
            list(g.person_id), list(g.offended), list(g.x),
            ['age', 'secm_benefit', 'secm_school_student', 'secm_other_no_income',
             'partner', 'bio_child', 'resident_nonbio_child']
        ) as fit
    from grouped as g
    join informative as i on i.grp = g.grp and i.person_id = g.person_id
    group by g.grp
    having count(distinct g.person_id) >= 2
)
select
    grp,
    unnest(fit.term) as term,
    generate_subscripts(fit.term, 1) as term_order,
    fit.n_groups - fit.n_groups_dropped as n_den,
    n_months,
    unnest(fit.odds_ratio) as odds_ratio,
    unnest(fit.se) as se,
    unnest(fit.p) as p_value,
    fit.converged as converged
from fits
order by case grp when 'INC' then 1 when 'EPK' then 2 when 'LPK' then 3 when 'CON' then 4
                  when 'OFF' then 5 when 'CC' then 6 else 7 end, term_order
