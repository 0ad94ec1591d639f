"""Planted post-index offending and trafficking recidivism of the study sample, checked on large direct draws.

``simulate_offending`` is run on identical persons (no frailty, no zero-inflation, all covariates at the
reference) with and without an index trafficking offence; the realised share of offence months per period
is compared with the planted formula of ``SynthConfig`` written out independently here. The trafficking
resumption process is checked against its exponential waiting time. Tolerances are several binomial
standard errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from warehouse.synth.careers import lambda_curve, simulate_offending, trafficking_resumption
from warehouse.synth.config import SynthConfig
from warehouse.synth.demography import YEAR, Pop, Unions
from warehouse.synth.households import M as HM
from warehouse.synth.socio import CM, CREF, WORK
from warehouse.synth.util import BIG, day, expit, month_of

CFG = dataclasses.replace(
    SynthConfig(), frailty_sd=0.0, zero_inflation={"INC": 0.0, "EPK": 0.0, "LPK": 0.0, "CON": 0.0, "LOW": 0.0}
)


def _pop(n: int, birth: str, cls: int) -> Pop:
    bd = np.full(n, day(birth), np.int64)
    never = np.full(n, BIG, np.int64)
    return Pop(
        bdate=bd, sex=np.ones(n, np.int64), mother=np.full(n, -1), father=np.full(n, -1), gen=np.ones(n, np.int64),
        z=np.zeros(n), death=never, country=np.full(n, 6030), origin=np.zeros(n, np.int64), arr=bd, emig=never,
        ret=never, father_unknown=np.zeros(n, bool), cls=np.full(n, cls, np.int64),
    )


def _expected_monthly(cfg: SynthConfig, group: str, birth: str, index: str | None) -> np.ndarray:
    """Planted monthly offending probability of one person at the reference covariates (written out here)."""
    age = (CREF - day(birth)) / YEAR
    p0 = np.clip(lambda_curve(cfg, group, age) / 12.0, 1e-6, 0.9)
    curve = np.log(p0 / (1 - p0)) - cfg.age_decline_slope * np.clip(age - cfg.age_decline_after, 0, None)
    if index is not None:
        im = int(month_of(day(index)))
        months = np.arange(CM)
        after = months > im
        floor = curve[im] + np.log(cfg.post_index_floor)
        sanction = after & (months - im <= 12 * cfg.post_index_suppression_years)
        curve = np.where(after, np.maximum(curve, floor), curve) + np.where(sanction, np.log(cfg.post_index_suppression), 0)
    return np.where(age >= 12, expit(curve), 0.0)


@pytest.mark.parametrize("group,cls,birth,index", [("LPK", 3, "1982-01-01", "2010-01-15"),
                                                   ("EPK", 2, "1988-06-01", "2010-09-10")])
def test_post_index_offending_follows_planted_formula(group: str, cls: int, birth: str, index: str) -> None:
    n = 6000
    pop = _pop(n, birth, cls)
    un = Unions(*(np.empty(0, np.int64) for _ in range(4)), married=np.empty(0, bool))
    secm = np.full((n, CM), WORK, np.int8)
    index_day = np.where(np.arange(n) < n // 2, day(index), -1).astype(np.int64)  # first half in the sample
    pers, mon, _ = simulate_offending(np.random.default_rng(5), pop, un, CFG, secm, np.zeros((n, HM), bool),
                                      np.zeros((n, HM), bool), np.ones((n, CM), bool), index_day)
    hit = np.zeros((n, CM), bool)
    hit[pers, mon] = True
    im = int(month_of(day(index)))
    sanction = slice(im + 1, im + 1 + int(12 * CFG.post_index_suppression_years))
    later = slice(sanction.stop, CM)
    before = slice(im - 60, im)
    for rows, idx in ((slice(0, n // 2), index), (slice(n // 2, n), None)):
        p = _expected_monthly(CFG, group, birth, idx)
        for period in (before, sanction, later):
            k = period.stop - period.start
            expected = p[period].mean()
            realised = hit[rows, period].mean()
            se = np.sqrt(expected * (1 - expected) / ((n // 2) * k))
            assert abs(realised - expected) < 4.5 * se + 1e-4, (group, idx, period, realised, expected)
    # the mechanism is visible: the sanction phase halves the odds, persistence keeps later offending higher
    assert hit[: n // 2, sanction].mean() < 0.7 * hit[n // 2 :, sanction].mean()
    assert hit[: n // 2, later].mean() > hit[n // 2 :, later].mean()
    # nothing changes up to the index month
    assert abs(hit[: n // 2, : im + 1].mean() - hit[n // 2 :, : im + 1].mean()) < 0.002


def test_trafficking_resumption_is_exponential_from_the_index() -> None:
    cfg = SynthConfig()
    n = 20000
    t0 = day("2005-01-01")
    # each person has a case on the 1st of every month 1995-2022; half of them are sample persons (index in 2005)
    months = np.arange(day("1995-01-01"), day("2022-12-31"), 1).astype("datetime64[D]").astype("datetime64[M]")
    month_days = np.unique(months).astype("datetime64[D]").astype(np.int64)
    case_p = np.repeat(np.arange(n), len(month_days))
    case_day = np.tile(month_days, n)
    is_index = (case_day == t0) & (case_p < n // 2)
    index_day = np.where(np.arange(n) < n // 2, t0, -1).astype(np.int64)
    conv = trafficking_resumption(np.random.default_rng(9), cfg, case_p, case_day, is_index, index_day)
    assert not is_index[conv].any()
    assert (case_p[conv] < n // 2).all() and (case_day[conv] > t0).all()
    first = np.full(n // 2, np.iinfo(np.int64).max)
    np.minimum.at(first, case_p[conv], case_day[conv])
    h = cfg.trafficking_resumption_rate
    for years in (2, 5, 10):
        share = (first <= t0 + years * YEAR).mean()
        # registration waits for the next monthly case (at most a month)
        lo, hi = 1 - np.exp(-h * (years - 1 / 12)), 1 - np.exp(-h * years)
        se = np.sqrt(hi * (1 - hi) / (n // 2))
        assert lo - 4 * se < share < hi + 4 * se, (years, share, lo, hi)
    # the clock restarts at each resumption: the gap to the second one is exponential too
    n_conv = np.bincount(case_p[conv], minlength=n // 2)
    second = np.full(n // 2, np.iinfo(np.int64).max)
    order = np.lexsort((case_day[conv], case_p[conv]))
    cp, cd = case_p[conv][order], case_day[conv][order]
    is_second = np.concatenate([[False], cp[1:] == cp[:-1]]) & ~np.concatenate([[False, False], cp[2:] == cp[:-2]])
    second[cp[is_second]] = cd[is_second]
    has1 = n_conv >= 1
    gap_years = (second[has1] - first[has1]) / YEAR
    share = (gap_years <= 5).mean()
    hi = 1 - np.exp(-h * 5)
    assert abs(share - hi) < 4 * np.sqrt(hi * (1 - hi) / has1.sum()) + 0.01, (share, hi)
