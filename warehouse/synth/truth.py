"""Ground-truth rows: persons.csv, kinship.csv (derivable relations), planted.json.

Kinship conventions (documented in docs/synthetic-population.md):

* parent/child rows exist only where KINDOUDERTAB shows the link (child row present, parent key not
  masked); ``valid_from`` = child's birth date, ``valid_to`` empty.
* siblings share at least one *visible* legal parent: ``full_sibling`` = same visible mother and same
  visible father; ``half_sibling_maternal`` = same visible mother, fathers not both visible and equal;
  ``half_sibling_paternal`` = same visible father, mothers not both visible and equal.
  ``valid_from`` = the later of the two birth dates.
* partner rows: each cohabitation episode as visible in GBAHUISHOUDENSBUS, i.e. a maximal run of
  consecutive household spells in which both persons hold partner positions (PLHH 3-6) in the same
  household spell; ``valid_from``/``valid_to`` = first spell start / last spell end (so episodes are cut
  at 1994-10-01 and open episodes end 2022-12-31). All relations are written in both directions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import CLASSES
from .util import expand_ranges


def _iso(days) -> np.ndarray:
    return np.datetime_as_string(np.asarray(days, dtype=np.int64).astype("datetime64[D]")).astype(object)


def person_rows(pop, rin, registered, insample, sample, alpha, index_of, creg, idx_case, cp,
                vis_mother, vis_father, in_ko) -> pd.DataFrame:
    r = np.nonzero(registered)[0]
    grp = np.where(insample[r], np.array(CLASSES, dtype=object)[pop.cls[r]], "")
    mo, fa = pop.mother[r], pop.father[r]
    true_mo = np.where(mo >= 0, rin[np.maximum(mo, 0)], "")
    true_fa = np.where(fa >= 0, rin[np.maximum(fa, 0)], "")
    ireg = pd.Series(creg[idx_case], index=cp[idx_case])
    death = np.where(pop.death[r] < 10**6, _iso(np.minimum(pop.death[r], 10**6 - 1)), "")
    return pd.DataFrame({
        "RINPERSOON": rin[r], "RINPERSOONS": "R",
        "latent_class": np.array(CLASSES, dtype=object)[pop.cls[r]],
        "trajectory_group": grp, "is_study_sample": insample[r].astype(int),
        "sex": pop.sex[r], "birth_date": _iso(pop.bdate[r]), "death_date": death,
        "birth_country": pop.country[r], "generation_in_lineage": pop.gen[r],
        "latent_risk_z": np.round(pop.z[r], 4), "frailty_alpha": np.round(alpha[r], 4),
        "true_mother": true_mo, "true_father": true_fa,
        "mother_known": (vis_mother[r] >= 0).astype(int), "father_known": (vis_father[r] >= 0).astype(int),
        "in_kindoudertab": in_ko[r].astype(int),
        "index_case": index_of.reindex(r).fillna("").to_numpy(),
        "index_registration_date": np.where(insample[r], _iso(ireg.reindex(r).fillna(0).to_numpy().astype(np.int64)), ""),
    })


def _sibling_pairs(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    kids = np.nonzero(parent >= 0)[0]
    o = np.argsort(parent[kids], kind="stable")
    kids = kids[o]
    par = parent[kids]
    if len(kids) == 0:
        return kids, kids
    start = np.r_[0, np.nonzero(par[1:] != par[:-1])[0] + 1]
    size = np.diff(np.r_[start, len(kids)])
    gstart = np.repeat(start, size)
    gend = gstart + np.repeat(size, size)
    own, other = expand_ranges(gstart, gend)
    a = kids[own]
    b = kids[other]
    keep = a != b
    return a[keep], b[keep]


def kinship_rows(pop, rin, vis_mother, vis_father, hh: pd.DataFrame, s_day, e_day) -> pd.DataFrame:
    parts = []
    bd = pop.bdate
    for col, rel in ((vis_mother, "mother"), (vis_father, "father")):
        c = np.nonzero(col >= 0)[0]
        p = col[c]
        parts.append(pd.DataFrame({"a": c, "b": p, "relation": rel, "from": bd[c], "to": -1}))
        parts.append(pd.DataFrame({"a": p, "b": c, "relation": "child", "from": bd[c], "to": -1}))
    am, bm = _sibling_pairs(vis_mother)
    af, bf = _sibling_pairs(vis_father)
    sib = pd.concat([pd.DataFrame({"a": am, "b": bm, "m": True}), pd.DataFrame({"a": af, "b": bf, "m": False})])
    g = sib.groupby(["a", "b"], sort=True)["m"].agg(["min", "max"]).reset_index()
    rel = np.where(g["min"] != g["max"], "full_sibling", np.where(g["max"], "half_sibling_maternal", "half_sibling_paternal"))
    parts.append(pd.DataFrame({"a": g["a"], "b": g["b"], "relation": rel,
                               "from": np.maximum(bd[g["a"]], bd[g["b"]]), "to": -1}))
    # partners from household spells
    hp = hh.assign(s=s_day, e=e_day)
    hp = hp[hp["plhh"].isin([3, 4, 5, 6])]
    pair = hp.merge(hp[["unit", "k0", "p"]], on=["unit", "k0"], suffixes=("", "_q"))
    pair = pair[pair["p"] != pair["p_q"]].sort_values(["p", "p_q", "k0"], kind="stable")
    pp, qq = pair["p"].to_numpy(), pair["p_q"].to_numpy()
    k0, k1 = pair["k0"].to_numpy(), pair["k1"].to_numpy()
    new = np.ones(len(pair), bool)
    new[1:] = (pp[1:] != pp[:-1]) | (qq[1:] != qq[:-1]) | (k0[1:] != k1[:-1] + 1)
    ep = np.cumsum(new) - 1
    agg = pd.DataFrame({"a": pp, "b": qq, "ep": ep, "s": pair["s"].to_numpy(), "e": pair["e"].to_numpy()}).groupby(
        "ep").agg(a=("a", "first"), b=("b", "first"), s=("s", "min"), e=("e", "max"))
    parts.append(pd.DataFrame({"a": agg["a"], "b": agg["b"], "relation": "partner", "from": agg["s"], "to": agg["e"]}))
    k = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({
        "person_id": rin[k["a"].to_numpy()], "relative_id": rin[k["b"].to_numpy()], "relation": k["relation"].to_numpy(),
        "valid_from": _iso(k["from"].to_numpy()),
        "valid_to": np.where(k["to"].to_numpy() >= 0, _iso(np.maximum(k["to"].to_numpy(), 0)), ""),
    })
    return out.sort_values(["person_id", "relation", "relative_id", "valid_from"], kind="stable").reset_index(drop=True)
