"""Socio-economic category per month (latent from 1970, written from 1999), education, Zvw costs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .demography import YEAR, Pop
from .util import day, expit, month_of, month_start

C0 = int(month_of(day("1970-01-01")))  # = 0
CM = int(month_of(day("2022-12-31"))) + 1  # months 1970-01 .. 2022-12
CREF = month_start(np.arange(CM))
WORK, BENEFIT, SCHOOL, OTHER = 0, 1, 2, 3
SECM1999 = int(month_of(day("1999-01-01")))


def present_months(pop: Pop) -> np.ndarray:
    ref = CREF[None, :]
    return (
        (ref >= pop.arr[:, None]) & (ref < pop.death[:, None]) & (ref > pop.bdate[:, None])
        & ~((ref >= pop.emig[:, None]) & (ref < pop.ret[:, None]))
    )


def secm_latent(rng, pop: Pop, cfg) -> np.ndarray:
    """(P, CM) int8 SECM analysis category per month; -1 where not present. Markov chain by month.

    School until an age ~ N(mean, sd) - slope * z (at least 18); then the stationary mix of the chain; each month
    a worker moves to benefit / other with P = expit(a_b + s z) / expit(a_o + s z) and a non-worker returns to
    work with P = expit(r0 - r1 z) (config ``secm_*``); pension from 65."""
    P = pop.n
    out = np.full((CM, P), -1, np.int8)  # month-major while filling (contiguous rows), transposed at the end
    z = pop.z
    school_end = np.clip(rng.normal(cfg.secm_school_end_mean, cfg.secm_school_end_sd, P) - cfg.secm_school_end_risk * z,
                         cfg.secm_school_end_min, 30) * YEAR
    state = np.full(P, -1, np.int8)
    pres = np.ascontiguousarray(present_months(pop).T)
    hb = expit(cfg.secm_benefit_logit + cfg.secm_risk_slope * z)
    ho = expit(cfg.secm_other_logit + cfg.secm_risk_slope * z)
    back = expit(cfg.secm_return_logit - cfg.secm_return_risk * z)
    # at school exit a person enters the chain's stationary distribution (work share back / (back + exits),
    # benefit : other as hb : ho), so the SECM mix does not drift with age after school (a drift would be
    # confounded with the age curve of offending in the fixed-effects model of Table 5.1)
    p_work = back / (back + hb + ho)
    p_benefit = p_work + (1 - p_work) * hb / (hb + ho)
    for m in range(CM):
        agedays = CREF[m] - pop.bdate
        pr = pres[m]
        school = agedays < school_end
        pension = agedays >= 65 * YEAR
        adult = ~school & ~pension
        u = rng.random(P)
        new = adult & (state < 0) | adult & (state == SCHOOL)
        init = np.where(u < p_work, WORK, np.where(u < p_benefit, BENEFIT, OTHER))
        s = state.copy()
        s[new] = init[new]
        w = adult & ~new & (state == WORK)
        s[w & (u < hb)] = BENEFIT
        s[w & (u >= hb) & (u < hb + ho)] = OTHER
        b = adult & ~new & ((state == BENEFIT) | (state == OTHER))
        s[b & (u < back)] = WORK
        s[b & (u > 0.995)] = np.where(state[b & (u > 0.995)] == BENEFIT, OTHER, BENEFIT)
        s[school] = SCHOOL
        s[pension] = BENEFIT
        state = s.astype(np.int8)
        out[m] = np.where(pr, state, -1)
    return np.ascontiguousarray(out.T)


_CODES = {
    WORK: (np.array([11, 13, 14, 12, 15]), np.array([0.9, 0.05, 0.03, 0.01, 0.01])),
    BENEFIT: (np.array([21, 22, 23, 24]), np.array([0.25, 0.4, 0.1, 0.25])),
    OTHER: (np.array([32]), np.array([1.0])),
}
FLAG_OF = {
    11: ("XKOPPELWERKNSECM",), 12: ("XKOPPELDGASECM",), 13: ("XKOPPELZELFSTSECM",),
    14: ("XKOPPELOVACTIEFSECM",), 15: ("XKOPPELMEEWERKENDSECM",), 21: ("XKOPPELWERKLUITKSECM",),
    22: ("XKOPPELBIJSTANDSECM",), 23: ("XKOPPELSOCVOORZOVSECM",), 24: ("XKOPPELZIEKTEAOSECM",),
    25: ("XKOPPELPENSIOENSECM",), 26: ("XKOPPELSCHOLSTUDSECM", "XKOPPELWERKNSECM"),
    31: ("XKOPPELSCHOLSTUDSECM",), 32: (),
}


def secm_spells(rng, pop: Pop, cat: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    """Spells from January 1999 for persons ``keep``: new record when the code changes."""
    sub = cat[keep][:, SECM1999:]
    p_loc, k = np.nonzero(sub >= 0)
    p = np.nonzero(keep)[0][p_loc]
    c = sub[p_loc, k]
    if len(p) == 0:
        return pd.DataFrame(columns=["p", "m0", "m1", "code"])
    new = np.ones(len(p), bool)
    new[1:] = (p[1:] != p[:-1]) | (k[1:] != k[:-1] + 1) | (c[1:] != c[:-1])
    # school spells: switch between 31 and 26 (income) at age 16+; other codes chosen per run
    run = np.cumsum(new) - 1
    first = np.nonzero(new)[0]
    rc = c[first].astype(np.int64)
    n = len(first)
    code = np.zeros(n, np.int64)
    u = rng.random(n)
    for cat_, (codes, pr) in _CODES.items():
        sel = rc == cat_
        code[sel] = codes[np.searchsorted(np.cumsum(pr), u[sel], side="right").clip(0, len(codes) - 1)]
    mon = SECM1999 + k
    agey = (month_start(mon[first]) - pop.bdate[p[first]]) / YEAR
    code[(rc == BENEFIT) & (agey >= 64.9)] = 25
    code[rc == SCHOOL] = np.where((agey[rc == SCHOOL] >= 16) & (u[rc == SCHOOL] < 0.45), 26, 31)
    last = np.append(first[1:] - 1, len(p) - 1)
    df = pd.DataFrame({"p": p[first], "m0": mon[first], "m1": mon[last], "code": code})
    # merge adjacent runs that drew the same code (keeps 'new record only on change')
    same = np.zeros(len(df), bool)
    same[1:] = (df["p"].to_numpy()[1:] == df["p"].to_numpy()[:-1]) & (
        df["m0"].to_numpy()[1:] == df["m1"].to_numpy()[:-1] + 1) & (df["code"].to_numpy()[1:] == df["code"].to_numpy()[:-1])
    grp = np.cumsum(~same) - 1
    out = df.groupby(grp, sort=False).agg(p=("p", "first"), m0=("m0", "first"), m1=("m1", "last"), code=("code", "first"))
    return out.reset_index(drop=True)


EDU_SK = np.array([2111, 2112, 2121, 2131, 2132, 3111, 3112, 3113, 3211, 3212, 3213])
#: highest completed level without a startkwalificatie: primary / practical / vmbo (left school at that level) ...
EDU_NOSK_LOW = np.array([1112, 1211, 1212, 1221])
EDU_NOSK_LOW_P = np.array([0.25, 0.15, 0.35, 0.25])
#: ... or started a qualifying track without its diploma (mbo-1 entree, havo/vwo lower years)
EDU_NOSK_HIGH = np.array([1213, 1222])
EDU_NOSK_HIGH_P = np.array([0.6, 0.4])


def education(rng, pop: Pop, cfg, adolescent_case: np.ndarray | None = None) -> dict:
    """Per person final attained (HB) / followed (HG) level and the age they are reached.

    Startkwalificatie (havo/vwo, mbo-2 or higher): logit P = a - b*z - k*[criminal case at ages 16-22]
    (``adolescent_case``: school dropout after justice contact in the years the qualification is obtained).
    Without one, the person left school with primary/practical/vmbo (logit P = c + d*z: high-risk persons
    leave earlier) or else holds mbo-1 or the lower years of havo/vwo."""
    P = pop.n
    adol = np.zeros(P, bool) if adolescent_case is None else adolescent_case
    logit_sk = (cfg.p_startkwalificatie_intercept - cfg.p_startkwalificatie_risk * pop.z
                - cfg.p_startkwalificatie_adolescent_case * adol)
    sk = rng.random(P) < expit(logit_sk)
    # higher levels for lower risk: index into EDU_SK by a risk-shifted uniform
    u = np.clip(rng.random(P) - 0.15 * pop.z, 0, 0.999)
    hb_sk = EDU_SK[(u * len(EDU_SK)).astype(int)]
    low = rng.random(P) < expit(cfg.edu_low_level_intercept + cfg.edu_low_level_risk * pop.z)
    hb_no = np.where(low, rng.choice(EDU_NOSK_LOW, P, p=EDU_NOSK_LOW_P), rng.choice(EDU_NOSK_HIGH, P, p=EDU_NOSK_HIGH_P))
    hb = np.where(sk, hb_sk, hb_no)
    up = rng.random(P) < np.where(sk, 0.25, 0.55)
    nxt = np.where(sk, EDU_SK[np.minimum(np.searchsorted(EDU_SK, hb) + 1, len(EDU_SK) - 1)], 2111)
    hg = np.where(up, nxt, hb)
    age_done = np.where(sk, np.where(hb >= 3000, rng.uniform(21, 26, P), rng.uniform(17, 21, P)), rng.uniform(16, 18.5, P))
    return {"hb": hb, "hg": hg, "age_done": age_done}


def hoogsteopl_rows(rng, pop: Pop, edu: dict, year: int, registered: np.ndarray, cfg) -> pd.DataFrame:
    ref = day(f"{year}-10-01")
    age = (ref - pop.bdate) / YEAR
    res = pop.resident(np.full(pop.n, ref)) & registered
    p_in = cfg.p_in_hoogsteopl * np.where(age > 45, 0.7, 1.0)
    sel = np.nonzero(res & (age >= 15) & (rng.random(pop.n) < p_in))[0]
    a = age[sel]
    done = a >= edu["age_done"][sel]
    final = edu["hb"][sel]
    # on the way to hbo/wo a person already holds a havo/vwo or mbo-4 diploma (a startkwalificatie) from 18
    interim = np.where(final >= 3000, np.where(a >= 18, np.where(final % 2 == 0, 2132, 2131), 1222),
                       np.where(final >= 2000, 1221, 1212))
    hb = np.where(done, final, np.where(a < 16, 1112, interim))
    hg = np.where(done, edu["hg"][sel], np.where(a < 16, 1221, edu["hg"][sel]))
    missing = rng.random(len(sel)) < 0.02
    return pd.DataFrame({
        "p": sel, "hb": np.where(missing, -1, hb), "hg": hg,
        "weight": np.where(a < 30, 1.0, np.round(rng.uniform(1.0, 4.0, len(sel)), 3)),
    })


def zvw_rows(rng, pop: Pop, year: int, registered: np.ndarray, cfg) -> pd.DataFrame:
    ref = day(f"{year}-07-01")
    age = (ref - pop.bdate) / YEAR
    res = pop.resident(np.full(pop.n, ref)) & registered & (age >= 0)
    sel = np.nonzero(res & (rng.random(pop.n) < cfg.p_in_zvw))[0]
    n = len(sel)
    a = age[sel]
    z = pop.z[sel]
    pg = expit(cfg.ggz_logit_intercept + cfg.ggz_logit_risk * z + 0.4 * ((a >= 14) & (a < 45)))
    if year >= 2015:
        pg = np.where(a < 18, 0.0, pg)
    ggz = rng.random(n) < pg
    amt = np.round(np.exp(rng.normal(6.6, 1.2, n)), 2) * ggz
    share = rng.random(n)
    df = pd.DataFrame({"p": sel})
    df["ZVWKOPHOOGFACTOR"] = 1.0
    df["ZVWKHUISARTS"] = np.round(np.exp(rng.normal(4.8, 0.6, n)) * (rng.random(n) < 0.85), 2)
    df["ZVWKFARMACIE"] = np.round(np.exp(rng.normal(5.0, 1.3, n)) * (rng.random(n) < 0.6 + 0.3 * (a > 60)), 2)
    df["ZVWKZIEKENHUIS"] = np.round(np.exp(rng.normal(7.0, 1.5, n)) * (rng.random(n) < 0.25 + 0.3 * (a > 60)), 2)
    nan = np.full(n, np.nan)
    if year <= 2013:
        df["ZVWKEERSTELIJNSPSYCHO"] = np.round(np.where(share < 0.35, amt, np.where(share < 0.5, amt * 0.3, 0.0)), 2)
        df["ZVWKGGZ"] = np.round(np.where(share < 0.35, 0.0, np.where(share < 0.5, amt * 0.7, amt)), 2)
        df["ZVWKGENBASGGZ"] = nan
        df["ZVWKSPECGGZ"] = nan
    else:
        df["ZVWKEERSTELIJNSPSYCHO"] = nan
        df["ZVWKGGZ"] = nan
        df["ZVWKGENBASGGZ"] = np.round(np.where(share < 0.5, amt, 0.0), 2)
        df["ZVWKSPECGGZ"] = np.round(np.where(share < 0.5, 0.0, amt), 2)
    neg = rng.random(n) < cfg.p_negative_correction
    df.loc[neg, "ZVWKZIEKENHUIS"] = -np.round(rng.uniform(5, 400, neg.sum()), 2)
    cost = [c for c in df.columns if c.startswith("ZVWK") and c != "ZVWKOPHOOGFACTOR"]
    df["ZVWKTOTAAL"] = np.round(df[cost].sum(axis=1, skipna=True), 2) if year >= 2017 else nan
    df["ggz_truth"] = ggz
    return df
