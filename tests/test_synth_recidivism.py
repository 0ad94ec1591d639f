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
from warehouse.synth.util import BIG, day, month_of

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
    rate = lambda_curve(cfg, group, age)  # cases per year
    odds_factor = np.ones(CM)
    if index is not None:
        im = int(month_of(day(index)))
        months = np.arange(CM)
        after = months > im
        rate = np.where(after, rate + cfg.post_index_persistent_rate, rate)
        sanction = after & (months - im <= 12 * cfg.post_index_suppression_years)
        odds_factor = np.where(sanction, cfg.post_index_suppression, 1.0)
    p0 = np.clip(rate / 12.0, 1e-6, 0.9)
    odds = p0 / (1 - p0) * odds_factor * np.exp(-cfg.age_decline_slope * np.clip(age - cfg.age_decline_after, 0, None))
    return np.where(age >= 12, odds / (1 + odds), 0.0)


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
    # the mechanism is visible: the sanction phase lowers the odds, persistence keeps later offending higher
    assert hit[: n // 2, sanction].mean() < 0.85 * hit[n // 2 :, sanction].mean()
    assert hit[: n // 2, later].mean() > 1.1 * hit[n // 2 :, later].mean()
    # nothing changes up to the index month
    assert abs(hit[: n // 2, : im + 1].mean() - hit[n // 2 :, : im + 1].mean()) < 0.002


def _cumulative_intensity(cfg: SynthConfig, age0: np.ndarray, years) -> np.ndarray:
    """Integral over (t0, t0 + years] of h = h0 * exp(-b * max(age - a0, 0)) * (s during the first T years),
    for a person aged age0 at t0, in closed form."""
    h0, b, a0 = cfg.trafficking_resumption_rate, cfg.trafficking_resumption_age_decline, cfg.trafficking_resumption_age

    def age_part(x0, x1):  # integral of h0 * exp(-b * max(age - a0, 0)) over ages (x0, x1]
        flat = h0 * np.clip(np.minimum(x1, a0) - x0, 0, None)
        lo = np.maximum(x0, a0)
        return flat + np.where(x1 > lo, h0 / b * (np.exp(-b * (lo - a0)) - np.exp(-b * (np.maximum(x1, lo) - a0))), 0.0)

    years = np.asarray(years, float)
    t_s = np.minimum(years, cfg.post_index_suppression_years)
    return cfg.post_index_suppression * age_part(age0, age0 + t_s) + age_part(age0 + t_s, age0 + years)


@pytest.mark.parametrize("age_at_index", [19.0, 25.0, 33.0])
def test_trafficking_resumption_follows_planted_intensity(age_at_index: float) -> None:
    cfg = SynthConfig()
    n = 60000
    index_day = np.full(n, day("2005-01-01"), np.int64) + np.arange(n) % 365
    birth_day = index_day - int(round(age_at_index * YEAR))
    end_day = np.where(np.arange(n) % 4 == 0, index_day + int(3 * YEAR), day("2022-12-31"))  # a quarter end at 3 years
    who, at = trafficking_resumption(np.random.default_rng(9), cfg, index_day, end_day, birth_day)
    assert ((at > index_day[who]) & (at < end_day[who])).all()
    full = end_day > index_day + 10 * YEAR
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, who, at)
    for years in (1, 2, 5, 10):
        share = (first[full] <= index_day[full] + years * YEAR).mean()
        expected = 1 - np.exp(-_cumulative_intensity(cfg, np.array(age_at_index), years))
        assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / full.sum()), (years, share, expected)
    # a Poisson process: the number of resumptions up to 2022 has mean (and variance) equal to the integrated intensity
    span = (day("2022-12-31") - index_day[full]) / YEAR
    counts = np.bincount(who, minlength=n)[full]
    mean = _cumulative_intensity(cfg, np.full(full.sum(), age_at_index), span).mean()
    assert abs(counts.mean() - mean) < 4 * np.sqrt(mean / full.sum()), (counts.mean(), mean)
    assert abs(counts.var() - mean) < 0.15 * mean + 0.01, (counts.var(), mean)
    # the persons observed for 3 years only: never a resumption after their end
    short = ~full
    assert abs((np.bincount(who, minlength=n)[short] > 0).mean()
               - (1 - np.exp(-_cumulative_intensity(cfg, np.array(age_at_index), 3.0)))) < 0.015

