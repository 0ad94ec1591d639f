"""Planted education, SECM and leaving-home mechanisms of the generator, checked on large direct draws.

Each test draws from one generator function with many persons at fixed latent risk and compares the realised
shares with the planted formula of ``SynthConfig`` (tolerances are several binomial standard errors)."""

from __future__ import annotations

import numpy as np
import pytest

from warehouse.synth.config import SynthConfig
from warehouse.synth.demography import YEAR, Pop, Unions, _finalise
from warehouse.synth.socio import BENEFIT, CREF, EDU_SK, OTHER, SCHOOL, WORK, education, secm_latent
from warehouse.synth.util import BIG, day, expit

CFG = SynthConfig()


def _pop(z: np.ndarray, birth: str = "1985-06-01", sex: int = 1) -> Pop:
    n = len(z)
    bd = np.full(n, day(birth), np.int64)
    never = np.full(n, BIG, np.int64)
    return Pop(
        bdate=bd, sex=np.full(n, sex), mother=np.full(n, -1), father=np.full(n, -1), gen=np.ones(n, np.int64),
        z=np.asarray(z, float), death=never, country=np.full(n, 6030), origin=np.zeros(n, np.int64), arr=bd,
        emig=never, ret=never, father_unknown=np.zeros(n, bool),
    )


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


@pytest.mark.parametrize("z", [0.0, 1.5, 2.5])
def test_startkwalificatie_follows_planted_logit(z: float) -> None:
    n = 200_000
    rng = np.random.default_rng(1)
    adol = np.zeros(n, bool)
    adol[n // 2 :] = True
    edu = education(rng, _pop(np.full(n, z)), CFG, adol)
    sk = np.isin(edu["hb"], EDU_SK)
    base = CFG.p_startkwalificatie_intercept - CFG.p_startkwalificatie_risk * z
    # log-odds without and with an adolescent case, each within 0.06 (about 4 standard errors)
    assert abs(_logit(sk[: n // 2].mean()) - base) < 0.06
    assert abs(_logit(sk[n // 2 :].mean()) - (base - CFG.p_startkwalificatie_adolescent_case)) < 0.06


def test_low_level_share_without_startkwalificatie_rises_with_risk() -> None:
    n = 200_000
    rng = np.random.default_rng(2)
    shares = []
    for z in (0.0, 2.5):
        edu = education(rng, _pop(np.full(n, z)), CFG)
        no_sk = ~np.isin(edu["hb"], EDU_SK)
        low = np.isin(edu["hb"], [1112, 1211, 1212, 1221])
        share = low[no_sk].mean()
        assert abs(_logit(share) - (CFG.edu_low_level_intercept + CFG.edu_low_level_risk * z)) < 0.08, (z, share)
        # without a startkwalificatie the completed level is never a qualifying one (SPEC B08: mbo-2 or higher)
        assert not np.isin(edu["hb"][no_sk], EDU_SK).any()
        shares.append(share)
    assert shares[1] > shares[0] + 0.2


def test_secm_chain_school_until_18_and_work_share_by_risk() -> None:
    n = 4_000
    z = np.repeat([0.0, 2.5], n)
    cat = secm_latent(np.random.default_rng(3), _pop(z, birth="1975-01-01"), CFG)
    age = (CREF[None, :] - day("1975-01-01")) / YEAR
    # compulsory education: nobody leaves school before 18
    assert (cat[:, (age[0] >= 12) & (age[0] < 17.9)] == SCHOOL).all()
    at = np.nonzero((age[0] >= 30) & (age[0] < 40))[0]
    low, high = cat[:n][:, at], cat[n:][:, at]
    work_low, work_high = (low == WORK).mean(), (high == WORK).mean()
    # stationary share of the two-state work / not-work chain: return / (return + exits)
    def stationary(zz: float) -> float:
        back = expit(CFG.secm_return_logit - CFG.secm_return_risk * zz)
        out = expit(CFG.secm_benefit_logit + CFG.secm_risk_slope * zz) + expit(CFG.secm_other_logit + CFG.secm_risk_slope * zz)
        return back / (back + out)
    assert abs(work_low - stationary(0.0)) < 0.03, (work_low, stationary(0.0))
    assert abs(work_high - stationary(2.5)) < 0.03, (work_high, stationary(2.5))
    assert work_low > 0.7 and work_high < 0.35
    assert ((high == BENEFIT) | (high == OTHER)).mean() > 0.6


def test_leaving_home_late_share_rises_with_risk() -> None:
    n = 100_000
    z = np.repeat([0.0, 2.5], n)
    pop = _pop(z, birth="1980-01-01", sex=2)
    none = np.empty(0, np.int64)
    _finalise(np.random.default_rng(4), pop, Unions(none, none, none, none, np.empty(0, bool)), CFG)
    age = (pop.leave_home - pop.bdate) / YEAR
    for zz, a in ((0.0, age[:n]), (2.5, age[n:])):
        late = expit(CFG.leave_home_late_logit + CFG.leave_home_late_risk * zz)
        # at 28 nearly all early leavers are gone; late stayers leave at late_age + Exp(late_years)
        expect = late * np.exp(-(28 - CFG.leave_home_late_age) / CFG.leave_home_late_years)
        assert abs((a >= 28).mean() - expect) < 0.01, (zz, (a >= 28).mean(), expect)


@pytest.mark.parametrize("z", [-0.5, 1.0, 2.5])
def test_yearly_ggz_costs_follow_planted_logit(z: float) -> None:
    """GGZ costs in a year (ZVWZORGKOSTENTAB rows) at ages 14-44: logit intercept + risk * z + 0.4."""
    from warehouse.synth.socio import zvw_rows

    n = 200_000
    rng = np.random.default_rng(5)
    pop = _pop(np.full(n, z), birth="1985-06-01")
    rows = zvw_rows(rng, pop, 2012, np.ones(n, bool), CFG)  # age 27
    share = rows["ggz_truth"].mean()
    expected = CFG.ggz_logit_intercept + CFG.ggz_logit_risk * z + 0.4
    assert abs(_logit(share) - expected) < 0.05, (z, share)
    # the truth flag is the declared cost: some GGZ column of the year holds a positive amount
    ggz_cols = [c for c in ("ZVWKEERSTELIJNSPSYCHO", "ZVWKGGZ") if c in rows.columns]
    assert ((rows[ggz_cols].fillna(0).sum(axis=1) > 0) == rows["ggz_truth"]).all()
