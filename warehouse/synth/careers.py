"""Criminal careers: study-sample enrichment, person-month offending, cases, offences, trafficking,
detention.

Offending is a person-month logistic model for persons of an offending class (1-4)::

    logit p_it = alpha_i + logit(lambda_g(age_it) / 12) - slope * max(age_it - 40, 0) + sum_k beta_k x_kit

with zero-inflated person-years (structural zeros with probability omega_g). Each offence month gives
a case (5% a second one); x = SECM category (benefit / school / other-no-income vs work), cohabiting
partner, >=1 legal child, >=1 resident non-biological child.

Study-sample persons offend differently after their index trafficking offence (``post_index_log_odds``):
a sanction phase with lower odds, and a persistent rate added to the age curve.
Their trafficking recidivism is a resumption process with an age-graded yearly hazard
(``trafficking_resumption``): each resumption is a new trafficking case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import GROUPS
from .demography import END, YEAR, Pop, Unions
from .households import M0 as HM0, M as HM
from .socio import BENEFIT, CM, CREF, OTHER, SCHOOL
from .util import day, expand_ranges, expit, month_of, seed_rows

REFERENCE_DATE = day("2021-07-02")


def offence_table():
    rows = seed_rows("offence_codes")
    df = pd.DataFrame(rows)
    df["stat_max_prison_years"] = df["stat_max_prison_years"].astype(float)
    df["is_trafficking"] = df["is_trafficking"] == "true"
    return df.reset_index(drop=True)


#: days from the index trafficking offence to its registration (uniform)
INDEX_OFFENCE_LEAD_DAYS = (20, 400)


def _topk(rng, weights, k):
    """Weighted sampling without replacement (Gumbel top-k); deterministic per rng state."""
    w = np.asarray(weights, float)
    ok = w > 0
    key = np.full(len(w), -np.inf)
    key[ok] = np.log(w[ok]) + rng.gumbel(size=ok.sum())
    k = min(k, int(ok.sum()))
    return np.argsort(-key, kind="stable")[:k]


def largest_remainder(total: int, shares: list[float]) -> np.ndarray:
    raw = np.asarray(shares) * total
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rest]] += 1
    return out


def select_sample(rng, pop: Pop, cfg, quota: int, in_households: np.ndarray) -> pd.DataFrame:
    """Choose the chunk's study-sample persons and their index trafficking registration date."""
    y0, y1 = cfg.sample_reg_years
    t = rng.integers(day(f"{y0}-01-01"), day(f"{y1}-12-31") + 1, pop.n)
    age_t = (t - pop.bdate) / YEAR
    base_ok = in_households & pop.resident(t) & (age_t >= 15.5) & (age_t <= 62)
    counts = largest_remainder(quota, [cfg.group_shares[g] for g in GROUPS])
    taken = np.zeros(pop.n, bool)
    used_parent = np.zeros(pop.n + 1, bool)  # index -1 (unknown parent) maps to the unused last slot
    chosen_p, chosen_g = [], []
    # family risk: mean risk of the simulated parents (own risk for founders, whose parents are not simulated)
    z_mo = np.where(pop.mother >= 0, pop.z[np.maximum(pop.mother, 0)], np.nan)
    z_fa = np.where(pop.father >= 0, pop.z[np.maximum(pop.father, 0)], np.nan)
    n_par = np.isfinite(z_mo).astype(int) + np.isfinite(z_fa).astype(int)
    z_family = np.where(n_par > 0, (np.nan_to_num(z_mo) + np.nan_to_num(z_fa)) / np.maximum(n_par, 1), pop.z)
    # the most persistent profiles are drawn first, from the highest-risk families; at most one sample person
    # per family (the real sample is 630 persons of 17 million, so sample siblings are rare)
    # Each profile is drawn band by band of the age at the index offence (stratified: the Fig 2.8 shares of the
    # profile), so neither the age pyramid nor the age pattern of the risk weight shifts the ages; within a band
    # the draw is weighted by the risk weight and the profile's normal age shape.
    age_offence = age_t - np.mean(INDEX_OFFENCE_LEAD_DAYS) / YEAR
    band = np.digitize(age_offence, cfg.trafficking_age_bands[1:-1])
    strata = []
    for gi in sorted(range(len(GROUPS)), key=lambda i: -cfg.sample_risk_weight[GROUPS[i]]):
        g = GROUPS[gi]
        per_band = largest_remainder(counts[gi], list(np.asarray(cfg.trafficking_age_band_shares[g], float)
                                                      / np.sum(cfg.trafficking_age_band_shares[g])))
        n_f_total = int(round(counts[gi] * cfg.female_share_by_group[g]))
        females = largest_remainder(n_f_total, list(per_band / max(counts[gi], 1))) if n_f_total else 0 * per_band
        for b, (n_b, n_f) in enumerate(zip(per_band, np.minimum(females, per_band), strict=True)):
            strata.append((gi, g, b, int(n_b), int(n_f)))
    for gi, g, b, n_b, n_f in strata:
        mu, sd = cfg.trafficking_age[g]
        dens = (band == b) * np.exp(-0.5 * ((age_t - mu) / sd) ** 2) * np.exp(
            cfg.sample_risk_weight[g] * pop.z + cfg.sample_family_weight[g] * z_family)
        for sex, n_s in ((2, n_f), (1, n_b - n_f)):
            for _ in range(8):
                free = ~used_parent[pop.mother] & ~used_parent[pop.father]
                pick = _topk(rng, dens * (base_ok & ~taken & free & (pop.sex == sex)), n_s)
                ok = np.ones(len(pick), bool)
                for par in (pop.mother[pick], pop.father[pick]):
                    _, first = np.unique(par, return_index=True)
                    dup = np.ones(len(pick), bool)
                    dup[first] = False
                    ok &= (par < 0) | ~dup
                pick = pick[ok]
                taken[pick] = True
                used_parent[pop.mother[pick]] = True
                used_parent[pop.father[pick]] = True
                used_parent[-1] = False
                chosen_p.append(pick)
                chosen_g.append(np.full(len(pick), gi + 1))
                n_s -= len(pick)
                if n_s <= 0:
                    break
    p = np.concatenate(chosen_p)
    return pd.DataFrame({"p": p, "cls": np.concatenate(chosen_g), "index_reg": t[p]})


def index_offence_days(rng, pop: Pop, sample: pd.DataFrame) -> np.ndarray:
    """Offence day of each sample person's index trafficking case: 20-400 days before its registration,
    not before age 15."""
    sp = sample["p"].to_numpy()
    ioff = sample["index_reg"].to_numpy() - rng.integers(*INDEX_OFFENCE_LEAD_DAYS, len(sp))
    return np.maximum(ioff, pop.bdate[sp] + int(15 * YEAR))


def post_index_log_odds(cfg, rate: np.ndarray, months_after: np.ndarray) -> np.ndarray:
    """Monthly log-odds of a sample person's offending after the index trafficking offence (before the
    adult age decline, frailty and covariates, which apply as before the index).

    ``rate`` is the profile's age curve lambda_g(age) in cases per year, ``months_after`` the months since
    the index month (> 0)::

        logit p = logit((lambda_g(age) + kappa) / 12) + log(s) * [months_after <= 12 * T]

    with kappa = ``post_index_persistent_rate``, s = ``post_index_suppression``, T =
    ``post_index_suppression_years``. kappa is persistence: continued involvement in the exploitation milieu
    keeps a floor of registered offending that does not decline with age (the study sees INC and LPK offend as
    often after the trafficking case as before, and recidivism still rising 5-7 years on). s is the sanction
    phase: arrest, prosecution and a (partly) suspended sentence with its probation period (proeftijd, 2-3
    years) deter new offences during the first T years (hence the low 2-year recidivism of the Dadermonitor).
    """
    p = np.clip((rate + cfg.post_index_persistent_rate) / 12.0, 1e-6, 0.9)
    sanction = months_after <= round(12 * cfg.post_index_suppression_years)
    return np.log(p / (1 - p)) + np.where(sanction, np.log(cfg.post_index_suppression), 0.0)


def lambda_curve(cfg, g: str, age):
    c = cfg.group_curves[g]
    return c["base"] + c["peak"] * np.exp(-(((age - c["centre"]) / c["width"]) ** 2))


def simulate_offending(rng, pop: Pop, un: Unions, cfg, secm_cat, partner_hh, nonbio_hh, present,
                       index_day: np.ndarray | None = None, mother: np.ndarray | None = None,
                       father: np.ndarray | None = None):
    """Returns (person, offence month) of offence months for all offending-class persons.

    ``index_day`` (pop.n,): index trafficking offence day of sample persons, negative elsewhere; their
    months after the index month follow ``post_index_log_odds``. ``bio_child`` is on from the birth month of the
    first child linked by ``mother``/``father`` (default: the true parents; the generator passes the links
    KINDOUDERTAB shows, as the warehouse sees them)."""
    mother = pop.mother if mother is None else mother
    father = pop.father if father is None else father
    off = np.nonzero(pop.cls > 0)[0]
    n = len(off)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.zeros(pop.n)
    # partner indicator: union episodes before the household register, household spells after
    partner = np.zeros((pop.n, CM), bool)
    for who in (un.man, un.woman):
        own, mm = expand_ranges(month_of(un.start) + 1, np.minimum(month_of(np.minimum(un.end, END)), HM0))
        partner[who[own], mm] = True
    partner[:, HM0 : HM0 + HM] = partner_hh
    nonbio = np.zeros((pop.n, CM), bool)
    nonbio[:, HM0 : HM0 + HM] = nonbio_hh
    first_child = np.full(pop.n, 10**9, np.int64)
    km = np.nonzero(mother >= 0)[0]
    np.minimum.at(first_child, mother[km], month_of(pop.bdate[km]))
    kf = np.nonzero(father >= 0)[0]
    np.minimum.at(first_child, father[kf], month_of(pop.bdate[kf]))

    age = (CREF[None, :] - pop.bdate[off, None]) / YEAR
    act = present[off] & (age >= 12)
    g = pop.cls[off]
    lam = np.zeros_like(age)
    for gi, gname in enumerate((*GROUPS, "LOW")):
        sel = g == gi + 1
        lam[sel] = lambda_curve(cfg, gname, age[sel])
    p0 = np.clip(lam / 12.0, 1e-6, 0.9)
    lo = np.log(p0 / (1 - p0))
    if index_day is not None:
        rows = np.nonzero(index_day[off] >= 0)[0]
        after = np.arange(CM)[None, :] - month_of(index_day[off[rows]])[:, None]
        lo[rows] = np.where(after > 0, post_index_log_odds(cfg, lam[rows], after), lo[rows])
    lo -= cfg.age_decline_slope * np.clip(age - cfg.age_decline_after, 0, None)
    b = cfg.log_odds
    s = secm_cat[off]
    lo += b["secm_benefit"] * (s == BENEFIT) + b["secm_school"] * (s == SCHOOL) + b["secm_other_no_income"] * (s == OTHER)
    lo += b["partner"] * partner[off] + b["resident_nonbio_child"] * nonbio[off]
    lo += b["bio_child"] * (np.arange(CM)[None, :] >= first_child[off, None])
    alpha = rng.normal(-(cfg.frailty_sd**2) / 2, cfg.frailty_sd, n)
    lo += alpha[:, None]
    # zero-inflation by calendar year
    zi = np.array([0.0] + [cfg.zero_inflation[gname] for gname in (*GROUPS, "LOW")])[g]
    nyears = CM // 12 + 1
    zero = rng.random((n, nyears)) < zi[:, None]
    zero_m = np.repeat(zero, 12, axis=1)[:, :CM]
    hit = act & ~zero_m & (rng.random(lo.shape) < expit(lo))
    pi, mi = np.nonzero(hit)
    pers = off[pi]
    extra = rng.random(len(pi)) < 0.05
    pers = np.concatenate([pers, pers[extra]])
    mon = np.concatenate([mi, mi[extra]])
    full_alpha = np.zeros(pop.n)
    full_alpha[off] = alpha
    return pers, mon, full_alpha


def build_cases(rng, pop: Pop, cfg, pers, mon, sample: pd.DataFrame, codes: pd.DataFrame, rng_sample=None):
    """Cases (one row per case) and offences (case x offence) including the index trafficking cases and the
    sample's trafficking resumptions (drawn from ``rng_sample``, default ``rng``)."""
    rng_sample = rng if rng_sample is None else rng_sample
    n = len(pers)
    off_day = CREF[mon] + rng.integers(0, 28, n)
    # index trafficking cases of the sample
    sp = sample["p"].to_numpy()
    ireg = sample["index_reg"].to_numpy()
    ioff = sample["index_off"].to_numpy() if "index_off" in sample else index_offence_days(rng_sample, pop, sample)
    # trafficking recidivism: new trafficking cases of sample persons
    rp, rday = trafficking_resumption(rng_sample, cfg, ioff, np.minimum(pop.death[sp], END), pop.bdate[sp])
    nr = len(rp)
    cp = np.concatenate([pers, sp, sp[rp]])
    cday = np.concatenate([off_day, ioff, rday]).astype(np.int64)
    lag = 7 + rng.exponential(cfg.registration_lag_days_mean, n + nr).astype(np.int64)
    reg = np.concatenate([off_day + lag[:n], ireg, rday + lag[n:]])
    is_index = np.concatenate([np.zeros(n, bool), np.ones(len(sp), bool), np.zeros(nr, bool)])
    is_resumption = np.concatenate([np.zeros(n + len(sp), bool), np.ones(nr, bool)])
    o = np.lexsort((reg, cday, cp))
    cases = pd.DataFrame({"p": cp[o], "offence": cday[o], "reg": reg[o].astype(np.int64), "is_index": is_index[o],
                          "is_resumption": is_resumption[o]})
    cases = cases[cases["offence"] < np.minimum(pop.death[cases["p"].to_numpy()], END)].reset_index(drop=True)
    nc = len(cases)
    k = rng.choice(3, nc, p=cfg.offences_per_case_probs) + 1
    ci = np.repeat(np.arange(nc), k)
    seq = np.arange(len(ci)) - np.repeat(np.cumsum(k) - k, k) + 1
    cls = pop.cls[cases["p"].to_numpy()[ci]]
    nontraf = codes[~codes["is_trafficking"]]
    cats = sorted(next(iter(cfg.category_mix.values())).keys())
    cat_codes = {c: nontraf.index[nontraf["category8"] == c].to_numpy() for c in cats}
    # cumulative frequency of the codes within a category (config offence_code_weights, default 1)
    code_weight = nontraf["offence"].map(cfg.offence_code_weights).fillna(1.0)
    cat_cum = {c: np.cumsum(code_weight.loc[cat_codes[c]].to_numpy()) / code_weight.loc[cat_codes[c]].sum()
               for c in cats}
    code_idx = np.zeros(len(ci), np.int64)
    u = rng.random(len(ci))
    # the mix shifts with age at the offence (property and vandalism give way to 'other' offences)
    age_c = (cases["offence"].to_numpy()[ci] - pop.bdate[cases["p"].to_numpy()[ci]]) / YEAR - 20.0
    slope = np.array([cfg.category_age_slope.get(c, 0.0) for c in cats])
    for gi, gname in enumerate(GROUPS):
        sel = (cls == gi + 1) | ((cls >= 5) & (gi == 0)) | ((cls == 0) & (gi == 0))
        pr = np.array([cfg.category_mix[gname][c] for c in cats])[None, :] * np.exp(
            np.clip(age_c[sel], -8, 25)[:, None] * slope[None, :])
        cum = np.cumsum(pr, axis=1)
        cat_i = (u[sel][:, None] * cum[:, -1:] >= cum).sum(axis=1).clip(0, len(cats) - 1)
        v = rng.random(sel.sum())
        for j, c in enumerate(cats):
            s2 = cat_i == j
            pool = cat_codes[c]
            pick = np.searchsorted(cat_cum[c], v[s2], side="right").clip(0, len(pool) - 1)
            code_idx[np.nonzero(sel)[0][s2]] = pool[pick]
    # first offence of an index or resumption case is trafficking (old article before 2005)
    first_of_index = (seq == 1) & (cases["is_index"].to_numpy() | cases["is_resumption"].to_numpy())[ci]
    old = cases["offence"].to_numpy()[ci] < day("2005-01-01")
    tr_new = codes.index[codes["code"] == "3.6.1"][0]
    tr_old = codes.index[codes["code"] == "3.6.2"][0]
    code_idx[first_of_index] = np.where(old[first_of_index], tr_old, tr_new)
    offences = pd.DataFrame({"case": ci, "seq": seq, "code_idx": code_idx})
    return cases, offences


def sample_kin(pop: Pop, un: Unions, insample: np.ndarray) -> np.ndarray:
    """Persons who are a (half-)sibling or a union partner of a study-sample person."""
    kin = np.zeros(pop.n, bool)
    for par in (pop.mother, pop.father):
        has = par >= 0
        fam = np.zeros(pop.n, bool)
        fam[par[has & insample]] = True  # parents with a child in the sample
        kin |= has & fam[np.maximum(par, 0)]
    kin[un.man[insample[un.woman]]] = True
    kin[un.woman[insample[un.man]]] = True
    return kin


def trafficking_resumption(rng, cfg, index_day: np.ndarray, end_day: np.ndarray, birth_day: np.ndarray,
                           rounds: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Trafficking recidivism of sample persons: (position in ``index_day``, offence day) of new trafficking cases.

    Exploitation resumes (a new victim is recruited) as a Poisson process from the index offence on, while the
    person is observed (before ``end_day``), with the yearly intensity::

        h(age, t) = h0 * exp(-b * max(age - a0, 0)) * (s if t <= T else 1)

    h0 = ``trafficking_resumption_rate``, b = ``trafficking_resumption_age_decline``, a0 =
    ``trafficking_resumption_age``, t = years since the index offence, s and T the sanction phase of
    ``post_index_log_odds`` (``post_index_suppression``, ``post_index_suppression_years``); each resumption is a
    new trafficking case. Recruiting victims ('loverboy' exploitation) is a young adult's crime that follows the
    age-crime curve, and it does not scale with the person's other offending, so h depends on age but not on the
    profile; the sanction phase deters it like any other offence. Drawn by thinning: candidate events at rate h0,
    each kept with probability h / h0; at most ``rounds`` candidates per person.
    """
    who = np.arange(len(index_day))
    at = np.asarray(index_day, np.int64)
    out_p, out_d = [], []
    for _ in range(rounds):
        at = at + np.ceil(rng.exponential(YEAR / cfg.trafficking_resumption_rate, len(who))).astype(np.int64)
        alive = at < end_day[who]
        who, at = who[alive], at[alive]
        age = (at - birth_day[who]) / YEAR
        sanction = at - index_day[who] <= cfg.post_index_suppression_years * YEAR
        keep = rng.random(len(who)) < np.exp(
            -cfg.trafficking_resumption_age_decline * np.maximum(age - cfg.trafficking_resumption_age, 0.0)
        ) * np.where(sanction, cfg.post_index_suppression, 1.0)
        out_p.append(who[keep])
        out_d.append(at[keep])
        if len(who) == 0:
            break
    return np.concatenate(out_p), np.concatenate(out_d)


def add_trafficking(rng, pop: Pop, cfg, cases: pd.DataFrame, offences: pd.DataFrame, sample: pd.DataFrame, codes,
                    un: Unions):
    """Trafficking register rows: sample index cases (rule-matching), sample recidivism and other
    trafficking cases of non-sample persons (never matching the sample rule)."""
    tr_new = codes.index[codes["code"] == "3.6.1"][0]
    tr_old = codes.index[codes["code"] == "3.6.2"][0]
    cp = cases["p"].to_numpy()
    reg = cases["reg"].to_numpy()
    y0, y1 = cfg.sample_reg_years
    ry = reg.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    idx_cases = np.nonzero(cases["is_index"].to_numpy())[0]
    insample = np.zeros(pop.n, bool)
    insample[sample["p"].to_numpy()] = True
    # sample recidivism: the resumption cases (their first offence is already trafficking)
    later = np.nonzero(cases["is_resumption"].to_numpy())[0]
    # other trafficking suspects (not in the sample): co-offending relatives (siblings, partners) of sample
    # persons, and a rare trafficking case anywhere else in the population
    kin = sample_kin(pop, un, insample) & ~insample
    window = ~insample[cp] & (pop.cls[cp] >= 1) & (ry >= 1996) & (ry <= 2021)
    other = []
    for sel, n_pick in (
        (window & kin[cp], int(round(cfg.kin_trafficking_ratio * len(sample)))),
        (window & ~kin[cp] & (pop.cls[cp] <= 4),
         int(rng.binomial((window & ~kin[cp]).sum(), cfg.population_trafficking_rate))),
    ):
        cand = np.nonzero(sel)[0]
        w = (pop.cls[cp[cand]] % 5 + 1.0) * (rng.random(len(cand)) + 0.01)
        pick = cand[_topk(rng, w, n_pick * 3)]
        _, first = np.unique(cp[pick], return_index=True)  # at most one per person
        other.append(np.sort(pick[first][:n_pick]))
    other = np.sort(np.concatenate(other))
    conv = other
    # add the trafficking offence as an extra offence of those cases
    nseq = offences.groupby("case")["seq"].max()
    add = pd.DataFrame({
        "case": conv, "seq": nseq.reindex(conv).fillna(0).to_numpy().astype(np.int64) + 1,
        "code_idx": np.where(cases["offence"].to_numpy()[conv] < day("2005-01-01"), tr_old, tr_new),
    })
    offences = pd.concat([offences, add], ignore_index=True).sort_values(["case", "seq"], kind="stable").reset_index(drop=True)

    def forms(n, matching):
        f = rng.choice(np.array(["S", "SC", "SA"]), n, p=[0.82, 0.1, 0.08])
        return f

    ni = len(idx_cases)
    mh_idx = pd.DataFrame({"case": idx_cases, "form": forms(ni, True), "dom": "1", "summ": "1"})
    nl = len(later)
    f = rng.choice(np.array(["S", "A", "C", "SC", "O"]), nl, p=[0.6, 0.1, 0.1, 0.1, 0.1])
    mh_l = pd.DataFrame({"case": later, "form": f, "dom": np.where(rng.random(nl) < 0.7, "1", "0"),
                         "summ": np.where(rng.random(nl) < 0.7, "1", "0")})
    no = len(other)
    inwin = (ry[other] >= y0) & (ry[other] <= y1)
    kind = rng.random(no)
    f = np.where(kind < 0.5, rng.choice(np.array(["A", "C", "O"]), no), rng.choice(np.array(["S", "SC", "SA"]), no))
    dom = np.where(kind < 0.5, np.where(rng.random(no) < 0.5, "1", "0"), np.where(kind < 0.75, "0", "1"))
    summ = np.where(kind < 0.75, np.where(rng.random(no) < 0.6, "1", "0"), "0")
    # outside the registration window any combination may occur (trap for the sample rule)
    f = np.where(~inwin & (rng.random(no) < 0.5), "S", f)
    dom = np.where(~inwin & (f == "S"), "1", dom)
    summ = np.where(~inwin & (f == "S"), "1", summ)
    mh_o = pd.DataFrame({"case": other, "form": f, "dom": dom, "summ": summ})
    mh = pd.concat([mh_idx, mh_l, mh_o], ignore_index=True)
    nm = len(mh)
    mh["verdict"] = np.where(mh["summ"] == "1", rng.choice(np.array(["21", "22", "23"]), nm, p=[0.82, 0.03, 0.15]),
                             rng.choice(np.array(["02", "03", "06"]), nm))
    mh = mh.sort_values("case", kind="stable").reset_index(drop=True)
    return offences, mh


def detention(rng, pop: Pop, cfg, cases: pd.DataFrame, case_max: np.ndarray):
    cp = cases["p"].to_numpy()
    reg = cases["reg"].to_numpy()
    adult = reg >= pop.bdate[cp] + int(18 * YEAR)
    pr = cfg.p_detention_base * np.where(case_max >= 8, 3.0, 1.0) * np.where(pop.cls[cp] == 4, 2.0, 1.0)
    pr = np.where(pop.cls[cp] == 5, pr * 0.3, pr)
    go = adult & (rng.random(len(cp)) < pr) & (reg <= END)
    start = reg + rng.integers(0, 60, len(cp))
    dur = np.clip(np.exp(rng.normal(np.log(cfg.detention_days_median), 1.0, len(cp))), 7, 1500).astype(np.int64)
    d = pd.DataFrame({"p": cp[go], "start": start[go], "end": start[go] + dur[go]})
    d = d[(d["start"] < pop.death[d["p"].to_numpy()]) & (d["start"] <= END)]
    d["end"] = np.minimum(d["end"].to_numpy(), pop.death[d["p"].to_numpy()] - 1)
    d = d.sort_values(["p", "start"], kind="stable").reset_index(drop=True)
    # drop spells overlapping any earlier spell of the same person (vectorised running max)
    p = d["p"].to_numpy()
    key = np.maximum.accumulate(p * np.int64(10**8) + d["end"].to_numpy())
    prev = np.concatenate([[-1], key[:-1]])
    first = np.concatenate([[True], p[1:] != p[:-1]])
    prev_end = np.where(first, -(10**9), prev - p * np.int64(10**8))
    d = d[first | (d["start"].to_numpy() > prev_end)].reset_index(drop=True)
    return d
