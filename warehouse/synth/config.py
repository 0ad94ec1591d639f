"""All planted parameters of the synthetic population in one frozen dataclass.

Every number the generator uses to *plant* structure lives here, so that ``planted.json``
(written to the truth folder) is a complete description of the generative model.
Dates are ISO strings, rates are per year unless stated, log-odds are natural logs.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

#: Offending classes. 0 = never offends; 1-4 are the study's trajectory groups; 5 = general-population
#: low-rate offenders (one-off cases, the bulk of the criminal-control pool).
CLASSES: tuple[str, ...] = ("NON", "INC", "EPK", "LPK", "CON", "LOW")
GROUPS: tuple[str, ...] = ("INC", "EPK", "LPK", "CON")


def _f(v):  # default factory helper for dict/tuple fields
    return field(default_factory=lambda: v)


@dataclass(frozen=True)
class SynthConfig:
    # ---- run -------------------------------------------------------------------------------
    persons: int = 50_000  #: target number of simulated persons (delivered persons are fewer: see doc)
    seed: int = 20240228
    cohort_size: int = 630  #: study-sample size (exact, independent of ``persons``)
    chunk_size: int = 25_000  #: target simulated persons per chunk (lineage block)
    version: int = 1  #: CBS file version number
    gba_version_year: int = 2022
    fmt: str = "csv"
    out: Path = Path("delivery")
    truth: Path | None = None

    # ---- demography ------------------------------------------------------------------------
    founder_birth_years: tuple[int, int] = (1915, 1962)
    #: origin mix of founders: NL, traditional migration countries, other countries
    founder_origin_shares: tuple[float, float, float] = (0.78, 0.13, 0.09)
    migrant_arrival_years: tuple[int, int] = (1962, 2016)
    migrant_arrival_age: tuple[float, float] = (24.0, 6.0)  #: mean, sd of a migrant founder's age at arrival
    migrant_arrival_delay_women: float = 8.0  #: women arrive later on average (family reunification)
    #: risk-score shift by lineage origin (NL, traditional, other): a proxy for the socio-economic disadvantage of
    #: migrant families, applied to every member of the lineage (not passed on through heritability)
    origin_risk_shift: tuple[float, float, float] = (0.0, 1.0, 0.3)
    union_first_age_mean_women: float = 23.0
    union_first_age_sd: float = 4.0
    union_age_gap_men: float = 4.0
    union_age_risk_slope: float = 2.0  #: years earlier first union per unit of risk z
    #: years earlier first union for women of traditional-migration origin (young marriage in the origin countries)
    union_age_shift_traditional_women: float = 2.0
    union_match_window_years: float = 4.0  #: partners are matched within calendar windows of this length
    p_married: float = 0.6  #: share of unions that are marriages (lower for later cohorts / high risk)
    #: yearly separation hazard of an unmarried union (x exp(slope * risk)); with 0.025/0.015 x exp(0.7 z) 40% of the
    #: NCC and 85% of the EPK were ever in a single-parent family while a minor (study: 32% and 71%)
    separation_rate: float = 0.014
    separation_rate_married: float = 0.008
    separation_risk_slope: float = 1.0  #: separation hazard x exp(slope * mean partner risk)
    max_unions: int = 3
    children_rate: float = 0.36  #: yearly birth rate within a union (women 18-43)
    desired_children_mean: float = 1.4  #: Poisson mean of desired children of a union (2.8 before 1970)
    children_risk_slope: float = 0.4  #: ... + slope * mean partner risk (+0.7 for traditional origin)
    p_father_unknown: float = 0.05  #: births with no legal father
    #: leaving home ~ N(mean (+0.8 men), 2) + slope*z, or for a share expit(late_logit + late_risk*z) at
    #: late_age + Exp(late_years): in the study a third of the offenders still lived with their parents at the first
    #: trafficking case (mean age 27), far beyond the age most people leave
    leave_home_age_mean: float = 19.5
    leave_home_risk_slope: float = 0.0
    leave_home_late_logit: float = -1.0
    leave_home_late_risk: float = 0.5
    leave_home_late_age: float = 25.0
    leave_home_late_years: float = 15.0
    gompertz_a: float = 4e-5
    gompertz_b: float = 0.092
    p_emigrate_nl: float = 0.03
    p_emigrate_migrant: float = 0.2
    p_return: float = 0.35
    p_absent_kindouder_migrant: float = 0.4  #: first-generation persons missing from KINDOUDERTAB
    p_absent_kindouder_other: float = 0.01
    p_unknown_birthday: float = 0.25  #: first-generation migrants with unknown day (`--`)
    p_unknown_birthmonth: float = 0.10  #: ... and unknown month

    # ---- intergenerational / assortative risk ----------------------------------------------
    #: z_child = h * (z_mother + z_father)/2 + sqrt(c) * f_union + sqrt(1 - h^2/2 - c) * e, with f_union shared by
    #: the children of one union (family environment) and e individual
    risk_heritability: float = 0.8
    family_risk_share: float = 0.35  #: c above
    assortative_weight: float = 4.0  #: weight of risk (vs unit noise) in the partner sort key within a window
    #: class thresholds on s = z (+ sex shift); NON < t0 <= INC < t1 <= EPK/LPK < t2 <= CON
    class_thresholds: tuple[float, float, float] = (1.5, 2.1, 2.7)
    low_threshold: float = 0.0  #: LOW class for low_threshold <= s < t0
    female_risk_shift: float = -0.2
    #: women enter the LOW class only from s >= low_threshold + this shift: general-population offending is
    #: mostly male (women are about a fifth of OM suspects), while high-risk women offend like men
    female_low_threshold_shift: float = 0.6
    p_epk_given_mid: float = 0.55

    # ---- offending: group age curves (expected cases per year) -----------------------------
    #: lambda_g(a) = base + peak * exp(-((a - centre)/width)^2), ages >= 12
    group_curves: dict = _f(
        {
            "INC": {"base": 0.035, "peak": 0.10, "centre": 27.0, "width": 9.0},
            "EPK": {"base": 0.04, "peak": 1.1, "centre": 18.0, "width": 3.8},
            "LPK": {"base": 0.10, "peak": 1.05, "centre": 27.0, "width": 5.5},
            "CON": {"base": 0.75, "peak": 0.6, "centre": 21.0, "width": 9.0},
            "LOW": {"base": 0.008, "peak": 0.015, "centre": 21.0, "width": 7.0},
        }
    )
    #: per person-year probability of a structural zero (zero-inflation), by group
    zero_inflation: dict = _f({"INC": 0.10, "EPK": 0.05, "LPK": 0.05, "CON": 0.02, "LOW": 0.0})
    frailty_sd: float = 0.2  #: sd of the person effect alpha_i (mean -sd^2/2)
    age_decline_after: float = 40.0  #: extra decline of all curves after this age ...
    age_decline_slope: float = 0.05  #: ... in log-odds per year (the planted adult age effect)
    #: planted monthly log-odds (logit p_it = alpha_i + log-baseline_g(age) + sum beta * x_it)
    log_odds: dict = _f(
        {
            "secm_benefit": math.log(1.35),
            "secm_school": math.log(1.14),
            "secm_other_no_income": math.log(1.16),
            "partner": math.log(0.86),
            "bio_child": math.log(0.98),
            "resident_nonbio_child": math.log(1.32),
        }
    )
    #: offence category mix by class (probabilities over category8 without trafficking)
    category_mix: dict = _f(
        {
            "INC": {"PROPERTY": 0.38, "VIOLENCE": 0.17, "VANDALISM_PUBLIC_ORDER": 0.1, "TRAFFIC": 0.15,
                    "DRUGS": 0.05, "SEXUAL": 0.05, "OTHER": 0.10},
            "EPK": {"PROPERTY": 0.48, "VIOLENCE": 0.18, "VANDALISM_PUBLIC_ORDER": 0.16, "TRAFFIC": 0.05,
                    "DRUGS": 0.04, "SEXUAL": 0.02, "OTHER": 0.07},
            "LPK": {"PROPERTY": 0.41, "VIOLENCE": 0.17, "VANDALISM_PUBLIC_ORDER": 0.12, "TRAFFIC": 0.08,
                    "DRUGS": 0.08, "SEXUAL": 0.03, "OTHER": 0.11},
            "CON": {"PROPERTY": 0.49, "VIOLENCE": 0.16, "VANDALISM_PUBLIC_ORDER": 0.14, "TRAFFIC": 0.06,
                    "DRUGS": 0.06, "SEXUAL": 0.02, "OTHER": 0.07},
        }
    )
    #: relative frequency of an offence code within its category (codes not listed: 1). The everyday offences
    #: (theft, assault, threat, vandalism) dominate registered crime and the heavy ones (statutory maximum of 8
    #: years or more: manslaughter, arson, extortion, rape) are rare; a uniform draw within a category made half of
    #: the violence offences heavy (study: 59% of OFF have a heavy case before the first trafficking case)
    offence_code_weights: dict = _f({
        "theft": 10.0, "aggravated theft": 3.0, "burglary": 3.0, "fraud": 2.0, "handling stolen goods": 2.0,
        "extortion": 0.3,
        "assault": 10.0, "threat": 6.0, "aggravated assault": 2.0, "deprivation of liberty": 0.5, "manslaughter": 0.2,
        "vandalism": 10.0, "crime against public authority": 4.0, "public violence": 3.0, "arson": 0.5,
        "indecent assault": 3.0, "indecent exposure": 2.0,
    })
    #: change of a category's log-weight per year of age at the offence (relative to age 20)
    category_age_slope: dict = _f({"PROPERTY": -0.05, "VANDALISM_PUBLIC_ORDER": -0.05, "VIOLENCE": -0.02,
                                   "OTHER": 0.05, "TRAFFIC": 0.03, "DRUGS": 0.02})
    offences_per_case_probs: tuple[float, float, float] = (0.7, 0.2, 0.1)
    registration_lag_days_mean: float = 75.0
    p_detention_base: float = 0.04  #: per case; x3 for heavy cases, x2 for CON
    detention_days_median: float = 75.0

    # ---- study sample enrichment -----------------------------------------------------------
    group_shares: dict = _f({"INC": 0.36, "EPK": 0.28, "LPK": 0.21, "CON": 0.15})
    female_share_by_group: dict = _f({"INC": 0.24, "EPK": 0.11, "LPK": 0.04, "CON": 0.0})
    #: age at the first (index) trafficking case: mean, sd by group (the shape of the draw within an age band)
    trafficking_age: dict = _f(
        {"INC": (30.4, 7.0), "EPK": (22.2, 3.5), "LPK": (28.0, 4.5), "CON": (27.0, 5.0)}
    )
    #: age bands of the first trafficking offence (Fig 2.8: <18, 18-24, 25-39, >=40; the draw's limits 15.5-62)
    trafficking_age_bands: tuple[float, ...] = (15.5, 18.0, 25.0, 40.0, 62.0)
    #: share of each profile's sample in those bands: the study's Fig 2.8 counts (SPEC §5.1), so the draw does not
    #: depend on the population's age pyramid or on how the risk weight varies with age
    trafficking_age_band_shares: dict = _f({
        "INC": (5, 80, 95, 45), "EPK": (25, 120, 25, 5), "LPK": (5, 50, 75, 5), "CON": (5, 40, 40, 10),
    })
    sample_reg_years: tuple[int, int] = (2008, 2017)
    #: selection weight exp(w_g * z) favours high-risk families, most for the persistent profiles
    sample_risk_weight: dict = _f({"INC": 2.0, "EPK": 3.0, "LPK": 2.6, "CON": 3.5})
    #: ... times exp(v_g * mean risk of the simulated parents): the persistent profiles come from criminal families.
    #: CON (the highest own risk, whose parents are already risky through heritability) get a negative weight: at
    #: v = 0.5 / 0 their parents were criminal in 70% / 63% (mean of seeds 1-4; study 54%), at -0.4 58% with
    #: criminal siblings 81% (85%); LPK 1.2 -> 1.4 and EPK 1.2 -> 1.0 bring 40% / 57-62% to the study's 44% / 57%
    sample_family_weight: dict = _f({"INC": 0.4, "EPK": 1.0, "LPK": 1.4, "CON": -0.4})
    #: trafficking recidivism of sample persons: after the index offence exploitation resumes (a new trafficking
    #: case) as a Poisson process with yearly intensity rate * exp(-age_decline * max(age - age, 0)), x the
    #: post_index_suppression below during the sanction phase
    trafficking_resumption_rate: float = 0.05
    trafficking_resumption_age: float = 25.0
    trafficking_resumption_age_decline: float = 0.10
    #: after the index trafficking offence a sample person offends at lambda_g(age) + post_index_persistent_rate
    #: cases per year (no age-graded desistance below that floor), with the odds x post_index_suppression during
    #: the first post_index_suppression_years (prosecution and a suspended sentence's probation period)
    post_index_persistent_rate: float = 0.03
    post_index_suppression: float = 0.5
    post_index_suppression_years: float = 3.0
    #: non-sample trafficking suspects among the sample's siblings and partners (co-offenders), per sample person
    kin_trafficking_ratio: float = 0.1
    #: probability that a case (1996-2021) of anyone else in the population is (also) a trafficking case
    population_trafficking_rate: float = 0.001

    # ---- socio-economic, education, health -------------------------------------------------
    #: logit P(startkwalificatie) = a - b*z - k*[a criminal case at ages 16-22]; a sets the general-population level
    #: (about 89% at 23, the NCC share); k: adolescent offending disrupts school, which separates the early starters
    #: (EPK, CON, and LPK's late-adolescent cases) from INC at the same latent risk. Calibrated on the generator's
    #: sample over seeds 1-4 (expected share of expit(a - b z - k [case]) per planted profile, births 1976-1998):
    #: (3.0, 1.5, 0.6) gave INC 53 / LPK 40 / EPK 25 / CON 13 (study 43 / 30 / 22 / 14); (3.4, 1.7, 1.0) keeps the
    #: CC level (z about 1, half with an adolescent case) and lowers INC, LPK and EPK by 4-7 points, CON by 3
    p_startkwalificatie_intercept: float = 3.4
    p_startkwalificatie_risk: float = 1.7
    p_startkwalificatie_adolescent_case: float = 1.0
    #: without a startkwalificatie: logit P(highest completed is primary/practical/vmbo) = c + d*z, else mbo-1 or
    #: the lower years of havo/vwo (high-risk persons leave school at a lower level)
    edu_low_level_intercept: float = -0.2
    edu_low_level_risk: float = 0.8
    p_in_hoogsteopl: float = 0.7  #: share of eligible persons present in a HOOGSTEOPL year file
    #: declared GGZ costs in a year: logit c + d*z + 0.4 [age 14-44]; a 3-year phase (Fig 3.12) then has care for
    #: about 11% of z ~ N(-0.5, 0.75) (NCC-like), 17% of z ~ N(1, 0.6) and 25% of z ~ N(2.3, 0.6) (OFF-like);
    #: study: OFF 22-30%, CC 17%, NCC 8-17% per phase (was -2.2 + 0.7 z: 40-85% per phase)
    ggz_logit_intercept: float = -3.5
    ggz_logit_risk: float = 0.35
    p_negative_correction: float = 0.01
    p_in_zvw: float = 0.97
    #: monthly SECM chain: log-odds that a worker moves to benefit / other-without-income ~ a + b*z; a non-worker
    #: returns to work with log-odds r0 - r1*z. Monthly exits of 5% at z = 0 (a = -3.0 / -3.2, return -3.3 - 0.5 z)
    #: left 4% of the sample at work at the first trafficking case (study 23%); these give about 80% at work at
    #: z = 0 and 25-35% at the sample's risk
    secm_benefit_logit: float = -5.3
    secm_other_logit: float = -5.5
    secm_risk_slope: float = 1.0
    secm_return_logit: float = -3.0
    secm_return_risk: float = 0.3
    #: school (SECM school/student) until an age ~ N(mean, sd) - slope*z: compulsory education until 18 keeps most
    #: high-risk adolescents at school (study: 69% of LPK school/student at the first offence)
    secm_school_end_mean: float = 20.0
    secm_school_end_sd: float = 2.8
    secm_school_end_risk: float = 0.4
    secm_school_end_min: float = 18.0  #: compulsory education (kwalificatieplicht) until 18
    p_institution_minor: float = 0.006  #: per minor, x exp(a * z_mother + b * z_own)
    institution_risk_slope: tuple[float, float] = (0.6, 1.0)  #: (a, b) above
    #: per minor, x exp(foster_risk_slope * z_mother): out-of-home placement is common in every group of the study
    #: (NCC 8%, CC 15%, OFF 20%, no profile differences), so the base is high and the risk gradient flat
    p_foster_minor: float = 0.15
    foster_risk_slope: float = 0.3
    foster_age: tuple[float, float] = (4.0, 17.0)  #: placement starts at an age ~ U(a, b) (ends before 18)
    p_hh_gap: float = 0.03  #: adults with an unregistered gap
    move_years_mean: float = 16.0  #: mean years between residential moves of a household (a move = new spell)
    move_risk_slope: float = 0.9  #: ... x exp(-slope * household risk): unstable high-risk households move often
    p_imputed_hh: float = 0.02  #: household spells flagged as imputed

    def planted(self) -> dict:
        d = dataclasses.asdict(self)
        d["out"] = str(self.out)
        d["truth"] = str(self.truth) if self.truth else None
        return d
