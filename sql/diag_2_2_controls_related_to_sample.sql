-- figure: Matching diagnostic (SPEC §2.2)
-- title: Controls who are relatives of a sample person (parent, child, (half-)sibling, (ex-)partner)
-- spec: SPEC §2.2 (control pools exclude the sample; var control_pool_excludes_sample_kin also excludes its relatives)
-- population: matched controls (CC, NCC)
-- tests: none (a diagnostic of the independence of the control groups from the sample, which the OFF-vs-control
--   tests assume)
-- chart: flags
-- output: one row per control group x measure (offender_is_parent / _child / _sibling / _partner / any) with
--   category 'yes': n = controls to whom a sample person is that relative, n_den = matched controls (unrounded).
--   A control who is an offender's sibling has a criminal sibling by definition, so such controls raise the
--   controls' family criminality (Figures 4.1-4.7). Disclosure control is applied by the report, not here.
select
    control_group as grp,
    relation as measure,
    'yes' as category,
    n_related as n,
    n_controls as n_den
from marts.fct_control_kinship
order by control_group,
    case relation when 'offender_is_parent' then 1 when 'offender_is_child' then 2 when 'offender_is_sibling' then 3
                  when 'offender_is_partner' then 4 else 5 end
