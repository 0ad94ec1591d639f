"""Lineage demography of one chunk: founders -> children -> grandchildren ... up to 2022.

Persons and unions are numpy column arrays; loops run over generations and union rounds only.
Day numbers are days since 1970-01-01 (negative before).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import SynthConfig
from .util import BIG, day, expit, year_start

YEAR = 365.25
END = day("2022-12-31")
REG_START = day("1994-10-01")

NL = 6030
TRADITIONAL = np.array([5022, 6043, 5007, 7011, 5107, 5095])
TRADITIONAL_P = np.array([0.3, 0.3, 0.25, 0.08, 0.05, 0.02])
OTHER = np.array([6029, 5010, 6002, 6066, 6000, 5002, 6039, 5049, 5015, 9003, 7009, 5028, 7003, 6065, 5012])


@dataclass
class Pop:
    bdate: np.ndarray
    sex: np.ndarray  # 1 male, 2 female
    mother: np.ndarray  # local index or -1 (not simulated)
    father: np.ndarray
    gen: np.ndarray
    z: np.ndarray  # latent risk
    death: np.ndarray  # day or BIG
    country: np.ndarray  # birth country code
    origin: np.ndarray  # 0 NL, 1 traditional, 2 other (lineage origin)
    arr: np.ndarray  # day of (first) residence in NL: birth for NL-born, BIG = never
    emig: np.ndarray
    ret: np.ndarray
    father_unknown: np.ndarray
    cls: np.ndarray = field(default=None)
    leave_home: np.ndarray = field(default=None)

    @property
    def n(self) -> int:
        return len(self.bdate)

    def resident(self, days: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        i = slice(None) if idx is None else idx
        return (
            (days >= self.arr[i])
            & (days < self.death[i])
            & ~((days >= self.emig[i]) & (days < self.ret[i]))
        )


@dataclass
class Unions:
    man: np.ndarray
    woman: np.ndarray
    start: np.ndarray
    end: np.ndarray  # day (exclusive) or BIG
    married: np.ndarray


def _gompertz_death(rng, bdate, z, cfg: SynthConfig):
    u = rng.random(len(bdate))
    a = cfg.gompertz_a * np.exp(0.3 * z)
    age = np.log(1 - cfg.gompertz_b * np.log(u) / a) / cfg.gompertz_b
    d = bdate + (age * YEAR).astype(np.int64)
    return np.where(d > END, BIG, d).astype(np.int64)


def _emigration(rng, pop_bdate, arr, death, origin, cfg):
    n = len(pop_bdate)
    p = np.where(origin == 0, cfg.p_emigrate_nl, cfg.p_emigrate_migrant)
    go = rng.random(n) < p
    base = np.maximum(arr, pop_bdate + int(18 * YEAR))
    # at least one day after arrival: an emigration on the arrival date would close the arrival's
    # migration spell before it starts (rejected by ingest as end < start and a duplicate key)
    emig = np.maximum(base + (rng.exponential(15, n) * YEAR).astype(np.int64), base + 1)
    go &= (emig < death) & (emig <= END) & (arr < BIG)
    emig = np.where(go, emig, BIG)
    back = go & (rng.random(n) < cfg.p_return)
    ret = emig + (rng.uniform(1, 10, n) * YEAR).astype(np.int64)
    ret = np.where(back & (ret < death) & (ret <= END), ret, BIG)
    return emig, ret


def founders(rng, n: int, cfg: SynthConfig) -> Pop:
    y0, y1 = cfg.founder_birth_years
    bdate = rng.integers(day(f"{y0}-01-01"), day(f"{y1}-12-31"), n)
    sex = rng.integers(1, 3, n)
    # origin per founder *couple slot*: assigned per person, matching later is within origin
    origin = rng.choice(3, n, p=cfg.founder_origin_shares)
    country = np.full(n, NL)
    trad = origin == 1
    oth = origin == 2
    country[trad] = rng.choice(TRADITIONAL, trad.sum(), p=TRADITIONAL_P)
    country[oth] = rng.choice(OTHER, oth.sum())
    z = rng.normal(0, 1, n) + np.asarray(cfg.origin_risk_shift)[origin]
    death = _gompertz_death(rng, bdate, z, cfg)
    a0, a1 = cfg.migrant_arrival_years
    # migrants arrive as young adults (labour migration), women often later (family reunification), never before a0
    mu, sd = cfg.migrant_arrival_age
    age_arr = np.clip(rng.normal(mu + cfg.migrant_arrival_delay_women * (sex == 2), sd, n), 16, 60)
    arr_y = np.clip(bdate / YEAR + 1970 + age_arr, a0 + rng.uniform(0, 3, n), a1 + 1)
    arr = np.maximum(year_start(arr_y.astype(np.int64)) + rng.integers(0, 365, n), bdate + int(16 * YEAR))
    arr = np.where(origin == 0, bdate, arr).astype(np.int64)
    emig, ret = _emigration(rng, bdate, arr, death, origin, cfg)
    return Pop(
        bdate=bdate.astype(np.int64), sex=sex, mother=np.full(n, -1), father=np.full(n, -1),
        gen=np.zeros(n, np.int64), z=z, death=death, country=country, origin=origin, arr=arr,
        emig=emig, ret=ret, father_unknown=np.zeros(n, bool),
    )


def _match(rng, pop: Pop, cand: np.ndarray, target: np.ndarray, cfg, by_origin: bool):
    """Pair men and women among candidates whose target dates fall in the same calendar window of
    ``union_match_window_years`` (and, in the first round, the same lineage origin). Within a window the
    larger side loses a random surplus and partners are paired by rank of ``assortative_weight * z + noise``
    (assortative mating on risk; partner risk correlation about w^2 / (w^2 + 1)).

    Windows are fixed calendar intervals, not quantiles of each side's target dates: quantile bins pair the
    j-th man with the j-th woman of the same generation, which cancels the age gap of the target ages (a
    man's later target date is matched to a woman's later one, so partners end up the same age)."""
    if len(cand) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    t = target / YEAR
    rz = cfg.assortative_weight * pop.z[cand] + rng.normal(0, 1.0, len(cand))
    win = np.floor((t - t.min()) / cfg.union_match_window_years).astype(np.int64)
    if by_origin:
        win = win + pop.origin[cand] * (int(win.max()) + 1)
    is_m = pop.sex[cand] == 1
    if is_m.all() or not is_m.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    nb = int(win.max()) + 1
    k = np.minimum(np.bincount(win[is_m], minlength=nb), np.bincount(win[~is_m], minlength=nb))
    out = []
    for sel in (is_m, ~is_m):
        side = np.nonzero(sel)[0]
        # random order within each window, keep the first k[window] (drops a random surplus)
        o = side[np.lexsort((rng.random(len(side)), win[side]))]
        w = win[o]
        first = np.searchsorted(w, w, side="left")
        keep = o[(np.arange(len(o)) - first) < k[w]]
        # both sides now hold k[window] persons per window: order by (window, risk key) and pair
        out.append(cand[keep[np.lexsort((rz[keep], win[keep]))]])
    return out[0], out[1]


def _unions_round(rng, pop: Pop, cand, target, cfg, by_origin, busy_until):
    m, w = _match(rng, pop, cand, target, cfg, by_origin)
    if len(m) == 0:
        return None
    tpos = np.full(pop.n, 0, np.int64)
    tpos[cand] = target
    start = np.maximum(tpos[m], tpos[w])
    start = np.maximum(start, np.maximum(pop.bdate[m], pop.bdate[w]) + int(18 * YEAR))
    start = np.maximum(start, np.maximum(busy_until[m], busy_until[w]) + 30)
    ok = (
        (np.abs(pop.bdate[m] - pop.bdate[w]) < 14 * YEAR)
        & ((pop.mother[m] < 0) | (pop.mother[m] != pop.mother[w]))
        & ((pop.father[m] < 0) | (pop.father[m] != pop.father[w]))
        & (start < np.minimum(pop.death[m], pop.death[w]))
        & (start <= END)
    )
    m, w, start = m[ok], w[ok], start[ok]
    n = len(m)
    yr = start / YEAR + 1970
    pm = np.where(yr < 1980, 0.9, np.where(yr < 2000, 0.65, 0.45)) * np.exp(-0.3 * (pop.z[m] + pop.z[w]) / 2)
    pm = np.clip(pm * cfg.p_married / 0.6, 0, 0.98)
    married = rng.random(n) < pm
    rate = np.where(married, cfg.separation_rate_married, cfg.separation_rate) * np.exp(
        cfg.separation_risk_slope * (pop.z[m] + pop.z[w]) / 2
    )
    dur = (rng.exponential(1.0, n) / rate * YEAR).astype(np.int64) + 180
    end = np.minimum(start + dur, np.minimum(pop.death[m], pop.death[w]))
    end = np.where(end > END, BIG, end)
    return Unions(m, w, start.astype(np.int64), end.astype(np.int64), married)


def _births(rng, pop: Pop, un: Unions, cfg: SynthConfig) -> dict:
    n = len(un.man)
    if n == 0:
        return {}
    trad = pop.origin[un.woman] == 1
    yr = un.start / YEAR + 1970
    lam = (np.where(yr < 1970, 2.8, cfg.desired_children_mean) + 0.7 * trad
           + cfg.children_risk_slope * (pop.z[un.man] + pop.z[un.woman]) / 2)
    desired = rng.poisson(np.clip(lam, 0.3, None) * 1.0)
    # earlier children already born to this woman reduce the desire (re-partnering)
    kmax = 7
    gaps = rng.exponential(1.0 / cfg.children_rate, (n, kmax)) + 0.75
    gaps[:, 0] = rng.exponential(1.4, n) + 0.3
    t = un.start[:, None] + (np.cumsum(gaps, axis=1) * YEAR).astype(np.int64)
    limit = np.minimum(np.minimum(un.end, pop.death[un.woman]), pop.bdate[un.woman] + int(43 * YEAR))
    limit = np.minimum(limit, END)
    keep = (t < limit[:, None]) & (np.arange(kmax)[None, :] < desired[:, None])
    ui, _ = np.nonzero(keep)
    return {"union": ui, "bdate": t[keep]}


def _add_children(rng, pop: Pop, un: Unions, births: dict, cfg: SynthConfig) -> Pop:
    if not births or len(births["union"]) == 0:
        return pop
    u = births["union"]
    mo, fa = un.woman[u], un.man[u]
    n = len(u)
    bd = births["bdate"].astype(np.int64)
    unknown = rng.random(n) < cfg.p_father_unknown
    h = cfg.risk_heritability
    c = cfg.family_risk_share
    # the origin shift (socio-economic disadvantage of a migrant lineage) is not inherited via h but re-applied
    shift = np.asarray(cfg.origin_risk_shift)
    zp = np.where(unknown, pop.z[mo] - shift[pop.origin[mo]],
                  (pop.z[mo] - shift[pop.origin[mo]] + pop.z[fa] - shift[pop.origin[fa]]) / 2)
    # a component shared by the children of one union (family environment) makes siblings alike
    fam = rng.normal(0, 1, len(un.man))[u]
    z = shift[pop.origin[mo]] + h * zp + np.sqrt(c) * fam + np.sqrt(1 - h**2 / 2 - c) * rng.normal(0, 1, n)
    death = _gompertz_death(rng, bd, z, cfg)
    # born abroad when the mother is not resident at birth; arrives at her next arrival
    mres = pop.resident(bd, mo) | (bd >= pop.death[mo])
    abroad = ~mres
    nxt = np.where(bd < pop.arr[mo], pop.arr[mo], pop.ret[mo])
    arr = np.where(abroad, nxt + rng.integers(0, 400, n) * (rng.random(n) < 0.5), bd).astype(np.int64)
    arr = np.where(arr >= BIG, BIG, arr)
    country = np.where(abroad, np.where(pop.origin[mo] == 0, rng.choice(OTHER, n), pop.country[mo]), NL)
    origin = pop.origin[mo]
    emig, ret = _emigration(rng, bd, arr, death, origin, cfg)
    return Pop(
        bdate=np.concatenate([pop.bdate, bd]),
        sex=np.concatenate([pop.sex, rng.integers(1, 3, n)]),
        mother=np.concatenate([pop.mother, mo]),
        father=np.concatenate([pop.father, np.where(unknown, -1, fa)]),
        gen=np.concatenate([pop.gen, pop.gen[mo] + 1]),
        z=np.concatenate([pop.z, z]),
        death=np.concatenate([pop.death, death]),
        country=np.concatenate([pop.country, country]),
        origin=np.concatenate([pop.origin, origin]),
        arr=np.concatenate([pop.arr, arr]),
        emig=np.concatenate([pop.emig, emig]),
        ret=np.concatenate([pop.ret, ret]),
        father_unknown=np.concatenate([pop.father_unknown, unknown]),
    )


def simulate_lineages(rng, n_founders: int, cfg: SynthConfig) -> tuple[Pop, Unions]:
    pop = founders(rng, n_founders, cfg)
    all_un: list[Unions] = []
    g = 0
    while True:
        cand = np.nonzero((pop.gen == g) & (pop.bdate + int(18 * YEAR) <= END))[0]
        if len(cand) == 0:
            break
        busy = np.full(pop.n, -(10**7), np.int64)
        free = np.ones(pop.n, bool)
        gen_unions: list[Unions] = []
        for r in range(cfg.max_unions):
            if r == 0:
                c = cand[rng.random(len(cand)) < 0.9]
                age = np.where(
                    pop.sex[c] == 2,
                    rng.normal(cfg.union_first_age_mean_women, cfg.union_first_age_sd, len(c)),
                    rng.normal(cfg.union_first_age_mean_women + cfg.union_age_gap_men, cfg.union_first_age_sd, len(c)),
                ) - cfg.union_age_risk_slope * pop.z[c] - cfg.union_age_shift_traditional_women * (
                    (pop.sex[c] == 2) & (pop.origin[c] == 1))
                target = pop.bdate[c] + (np.clip(age, 17, 45) * YEAR).astype(np.int64)
                # founders may marry and have children abroad before migrating (family reunification);
                # later generations form unions only once resident
                abroad = (pop.gen[c] == 0) & (pop.origin[c] > 0)
                target = np.where(abroad, target, np.maximum(target, np.where(pop.arr[c] < BIG, pop.arr[c], 0)))
            else:
                prev = gen_unions[-1] if gen_unions else None
                if prev is None:
                    break
                ended = np.concatenate([prev.man, prev.woman])
                endd = np.concatenate([prev.end, prev.end])
                alive = endd < np.minimum(pop.death[ended], END)
                young = endd < pop.bdate[ended] + int(55 * YEAR)
                c = ended[alive & young & (rng.random(len(ended)) < 0.75)]
                if len(c) == 0:
                    break
                target = busy[c] + (rng.exponential(2.0, len(c)) * YEAR).astype(np.int64) + 60
            un = _unions_round(rng, pop, c, target, cfg, by_origin=(r == 0), busy_until=busy)
            if un is None or len(un.man) == 0:
                break
            # a person can only be in one union at a time: keep rounds sequential via busy
            busy[un.man] = np.where(un.end >= BIG, BIG, un.end)
            busy[un.woman] = busy[un.man]
            gen_unions.append(un)
        for un in gen_unions:
            births = _births(rng, pop, un, cfg)
            pop = _add_children(rng, pop, un, births, cfg)
        all_un.extend(gen_unions)
        g += 1
    unions = Unions(
        *(np.concatenate([getattr(u, f) for u in all_un]) if all_un else np.empty(0, np.int64)
          for f in ("man", "woman", "start", "end", "married"))
    )
    unions.married = unions.married.astype(bool)
    _finalise(rng, pop, unions, cfg)
    return pop, unions


def _finalise(rng, pop: Pop, un: Unions, cfg: SynthConfig) -> None:
    n = pop.n
    s = pop.z + cfg.female_risk_shift * (pop.sex == 2)
    t0, t1, t2 = cfg.class_thresholds
    cls = np.zeros(n, np.int64)
    cls[s >= cfg.low_threshold + cfg.female_low_threshold_shift * (pop.sex == 2)] = 5
    cls[s >= t0] = 1
    mid = s >= t1
    cls[mid] = np.where(rng.random(mid.sum()) < cfg.p_epk_given_mid, 2, 3)
    cls[s >= t2] = 4
    pop.cls = cls
    # leaving the parental home: most young adults leave around 20 (men a year later); a risk-dependent share
    # stays registered at the parental address long after (no housing of their own), leaving at late_age +
    # Exp(late_years). The first union (a registered cohabitation) always ends living at home.
    late = rng.random(n) < expit(cfg.leave_home_late_logit + cfg.leave_home_late_risk * pop.z)
    early_age = rng.normal(cfg.leave_home_age_mean + 0.8 * (pop.sex == 1), 2.0, n) + cfg.leave_home_risk_slope * pop.z
    late_age = cfg.leave_home_late_age + rng.exponential(cfg.leave_home_late_years, n)
    age = np.where(late, late_age, early_age)
    lh = pop.bdate + (np.clip(age, 17, 50) * YEAR).astype(np.int64)
    first = np.full(n, BIG, np.int64)
    if len(un.man):
        np.minimum.at(first, un.man, un.start)
        np.minimum.at(first, un.woman, un.start)
    pop.leave_home = np.minimum(lh, first)
