"""Household spells from kinship: a person x month grid (Oct 1994 - Dec 2022) of household units.

Units: every adult's own single household (id = person), every union (id = P + union),
every institutional episode (id = P + U + episode). Children at home follow their custodial
parent's unit; foster placements join a grandmother's unit as 'other member'. A household spell
is a run of months in which a unit's membership (a signature over members and roles) is constant,
so all members share (HUISHOUDNR, DATUMAANVANGHH, DATUMEINDEHH) by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .demography import YEAR, Pop, Unions
from .util import BIG, day, month_of, month_start

M0 = int(month_of(day("1994-10-01")))
M = int(month_of(day("2022-12-31"))) - M0 + 1
REF = month_start(M0 + np.arange(M))  # state on the first day of each month

R_NONE, R_PARTNER, R_SINGLE, R_CHILD, R_OTHER, R_INST = 0, 1, 2, 3, 4, 5


@dataclass
class Grid:
    U: np.ndarray  # (P, M) int64 unit id, -1 = not registered in a household
    role: np.ndarray  # (P, M) int8
    married: np.ndarray  # per unit
    inst_size: dict  # institution unit -> AANTALPERSHH
    n_units: int
    move_period: np.ndarray | None = None  # per unit: months between moves (a move starts a new spell)


def _month_range(start, end):
    """Grid indices [k0, k1) whose reference day lies in [start, end)."""
    k0 = np.searchsorted(REF, start, side="left")
    k1 = np.searchsorted(REF, end, side="left")
    return k0, k1


def _assign(U, role, rows, k0, k1, unit, r, mask=None):
    from .util import expand_ranges

    own, k = expand_ranges(k0, k1)
    p = rows[own]
    u = unit[own] if np.ndim(unit) else np.full(len(own), unit)
    ok = np.ones(len(own), bool) if mask is None else mask[p, k]
    U[p[ok], k[ok]] = u[ok]
    role[p[ok], k[ok]] = r


def build_grid(rng, pop: Pop, un: Unions, cfg) -> Grid:
    P = pop.n
    ref = REF[None, :]
    present = (
        (ref >= pop.arr[:, None]) & (ref < pop.death[:, None]) & (ref > pop.bdate[:, None])
        & ~((ref >= pop.emig[:, None]) & (ref < pop.ret[:, None]))
    )
    U = np.full((P, M), -1, np.int64)
    role = np.zeros((P, M), np.int8)
    adult = present & (ref >= pop.leave_home[:, None])
    U[adult] = np.nonzero(adult)[0]
    role[adult] = R_SINGLE
    nU = len(un.man)
    k0, k1 = _month_range(un.start, np.where(un.end >= BIG, BIG, un.end))
    uid = P + np.arange(nU)
    _assign(U, role, un.man, k0, k1, uid, R_PARTNER, adult)
    _assign(U, role, un.woman, k0, k1, uid, R_PARTNER, adult)
    # unregistered gaps for some adults without custodial duties (applied before children follow)
    gp = np.nonzero(rng.random(P) < cfg.p_hh_gap)[0]
    gk = rng.integers(0, M, len(gp))
    gl = rng.integers(1, 7, len(gp))
    _assign(U, role, gp, gk, np.minimum(gk + gl, M), np.full(len(gp), -1), R_NONE, role == R_SINGLE)
    inst_units: list[np.ndarray] = []
    inst_size: dict = {}
    next_unit = P + nU
    # children at home, generation by generation (parents' units are final for those months)
    athome = present & ~adult
    zpar = np.where(pop.mother >= 0, pop.z[np.maximum(pop.mother, 0)], 0.0)
    for g in range(1, int(pop.gen.max()) + 1 if P else 0):
        idx = np.nonzero((pop.gen == g) & athome.any(axis=1))[0]
        if len(idx) == 0:
            continue
        ah = athome[idx]
        mo, fa = pop.mother[idx], pop.father[idx]
        gm = np.where(mo >= 0, pop.mother[np.maximum(mo, 0)], -1)

        def ok(par):
            Up = U[np.maximum(par, 0)]
            rp = role[np.maximum(par, 0)]
            return (par[:, None] >= 0) & (Up >= 0) & ((rp == R_PARTNER) | (rp == R_SINGLE)), Up

        okm, Um = ok(mo)
        okf, Uf = ok(fa)
        okg, Ug = ok(gm)
        u = np.where(okm, Um, np.where(okf, Uf, np.where(okg, Ug, -1)))
        r = np.where(okm | okf, R_CHILD, np.where(okg, R_OTHER, R_NONE)).astype(np.int8)
        # foster placement with the grandmother for some minors of high-risk parents
        pf = cfg.p_foster_minor * np.exp(cfg.foster_risk_slope * zpar[idx])
        fo = (rng.random(len(idx)) < pf)
        fs = np.searchsorted(REF, pop.bdate[idx] + (rng.uniform(*cfg.foster_age, len(idx)) * YEAR).astype(np.int64))
        fl = rng.integers(12, 48, len(idx))
        kk = np.arange(M)[None, :]
        fmask = fo[:, None] & (kk >= fs[:, None]) & (kk < (fs + fl)[:, None]) & okg
        fmask &= (REF[None, :] < (pop.bdate[idx] + int(18 * YEAR))[:, None])
        u = np.where(fmask, Ug, u)
        r = np.where(fmask, R_OTHER, r).astype(np.int8)
        # youth institution episodes (12-17) and minors without any carer
        pi = cfg.p_institution_minor * np.exp(cfg.institution_risk_slope[0] * zpar[idx]
                                             + cfg.institution_risk_slope[1] * pop.z[idx])
        io = rng.random(len(idx)) < pi
        istart = pop.bdate[idx] + ((12 + rng.random(len(idx)) * 5) * YEAR).astype(np.int64)
        ilen = (rng.uniform(0.25, 2.0, len(idx)) * YEAR).astype(np.int64)
        ik0, ik1 = _month_range(istart, np.minimum(istart + ilen, pop.bdate[idx] + int(18 * YEAR)))
        imask = io[:, None] & (kk >= ik0[:, None]) & (kk < ik1[:, None])
        nocarer = (u < 0) & (REF[None, :] < (pop.bdate[idx] + int(18 * YEAR))[:, None])
        imask = (imask | nocarer) & ah
        # adult children without a parent household get their own single unit
        selfm = ah & (u < 0) & ~imask
        rows_i = np.nonzero(imask.any(axis=1))[0]
        iu = np.full(len(idx), -1, np.int64)
        iu[rows_i] = next_unit + np.arange(len(rows_i))
        size = rng.integers(12, 240, len(rows_i))
        inst_units.append(iu[rows_i])
        inst_size.update(dict(zip(iu[rows_i].tolist(), size.tolist())))
        next_unit += len(rows_i)
        u = np.where(imask, iu[:, None], u)
        r = np.where(imask, R_INST, r).astype(np.int8)
        u = np.where(selfm, idx[:, None], u)
        r = np.where(selfm, R_SINGLE, r).astype(np.int8)
        sub_u = U[idx]
        sub_r = role[idx]
        sub_u[ah] = u[ah]
        sub_r[ah] = r[ah]
        U[idx] = sub_u
        role[idx] = sub_r
    married = np.zeros(next_unit + 1, bool)
    married[P : P + nU] = un.married
    # residential moves: a private household moves every Exp(mean) years, more often in high-risk households
    risk = np.zeros(next_unit + 1)
    risk[:P] = pop.z
    risk[P : P + nU] = (pop.z[un.man] + pop.z[un.woman]) / 2
    # Gamma(4, 1/4) spread around the household's mean period: an exponential spread put a fixed
    # period of a few months on 6% of households (E[1/period] diverges), i.e. dozens of moves a decade
    period = 12 * cfg.move_years_mean * np.exp(-cfg.move_risk_slope * risk) * rng.gamma(4.0, 0.25, next_unit + 1)
    period = np.where(np.arange(next_unit + 1) < P + nU, np.maximum(period, 3), 10**9).astype(np.int64)
    return Grid(U=U, role=role, married=married, inst_size=inst_size, n_units=next_unit, move_period=period)


def add_detention(grid: Grid, person: np.ndarray, start: np.ndarray, end: np.ndarray, rng) -> None:
    """Adults in detention move to an institutional household for the months covered."""
    k0, k1 = _month_range(start, end + 1)
    keep = k1 > k0
    person, k0, k1 = person[keep], k0[keep], k1[keep]
    uid = grid.n_units + np.arange(len(person))
    grid.n_units += len(person)
    grid.married = np.concatenate([grid.married, np.zeros(len(person), bool)])
    grid.inst_size.update(dict(zip(uid.tolist(), rng.integers(80, 600, len(person)).tolist())))
    mask = grid.U >= 0
    _assign(grid.U, grid.role, person, k0, k1, uid, R_INST, mask)


@dataclass
class Composition:
    """Per person-month (P x M) household attributes; ``valid`` marks registered cells."""

    valid: np.ndarray
    typ: np.ndarray
    plhh: np.ndarray
    sig: np.ndarray
    n_mem: np.ndarray
    n_child: np.ndarray
    n_other: np.ndarray
    young: np.ndarray
    old: np.ndarray


def compose(grid: Grid, pop: Pop, weights: np.ndarray, base: Composition | None = None,
            months: np.ndarray | None = None, touched: tuple[np.ndarray, np.ndarray] | None = None) -> Composition:
    """Unit-month statistics by month (bincount over unit ids), broadcast back to the members.

    With ``base`` and ``months`` only those months are recomputed (in place on ``base``). ``touched``
    = (month, unit) pairs whose membership changed: then only the cells of those units are recomputed
    (a unit's statistics depend on its own members only, so the result is the same)."""
    nu = grid.n_units + 1
    UT = np.ascontiguousarray(grid.U.T)  # month-major: per-month columns are contiguous
    RT = np.ascontiguousarray(grid.role.T)
    valid = UT >= 0
    shape = UT.shape
    if base is None:
        typ = np.zeros(shape, np.int8)
        plhh = np.zeros(shape, np.int8)
        sig = np.zeros(shape, np.float64)
        n_mem = np.zeros(shape, np.int32)
        n_child = np.zeros(shape, np.int16)
        n_other = np.zeros(shape, np.int16)
        young = np.zeros(shape, np.int32)
        old = np.zeros(shape, np.int32)
        months = np.arange(shape[0])
    else:
        typ, plhh, sig, n_mem = base.typ.T, base.plhh.T, base.sig.T, base.n_mem.T
        n_child, n_other, young, old = base.n_child.T, base.n_other.T, base.young.T, base.old.T
    bm = month_of(pop.bdate).astype(np.int64)
    inst_size = np.ones(nu, np.int64)
    if grid.inst_size:
        iu = np.fromiter(grid.inst_size.keys(), np.int64)
        inst_size[iu] = np.fromiter(grid.inst_size.values(), np.int64)
    married = np.zeros(nu, bool)
    married[: len(grid.married)] = grid.married[:nu]
    touched_in: dict[int, np.ndarray] = {}
    if touched is not None:
        tk, tu = touched
        o = np.argsort(tk, kind="stable")
        tk, tu = tk[o], tu[o]
        cuts = np.nonzero(np.diff(tk))[0] + 1
        touched_in = {int(g[0]): np.unique(u) for g, u in zip(np.split(tk, cuts), np.split(tu, cuts)) if len(g)}
    move = np.full(nu, 10**9, np.int64)
    if grid.move_period is not None:
        move[: len(grid.move_period)] = grid.move_period[:nu]
    phase = np.arange(nu) % move  # deterministic offset per unit
    for k in np.asarray(months).tolist():
        ok = np.nonzero(valid[k])[0]
        if touched is not None:
            ok = ok[np.isin(UT[k, ok], touched_in.get(k, ok[:0]))]
        if len(ok) == 0:
            continue
        u = UT[k, ok]
        r = RT[k, ok]
        nm = np.bincount(u, minlength=nu)
        npart = np.bincount(u[r == R_PARTNER], minlength=nu)
        nsing = np.bincount(u[r == R_SINGLE], minlength=nu)
        ckid = r == R_CHILD
        nkid = np.bincount(u[ckid], minlength=nu)
        noth = np.bincount(u[r == R_OTHER], minlength=nu)
        ninst = np.bincount(u[r == R_INST], minlength=nu)
        sg = np.bincount(u, weights=weights[ok] + 3.0 * r, minlength=nu) + 1000.0 * ((k + phase) // move)
        yo = np.full(nu, -1, np.int64)
        od = np.full(nu, 10**9, np.int64)
        cu, cb = u[ckid], bm[ok[ckid]]
        o = np.argsort(cb, kind="stable")
        yo[cu[o]] = cb[o]  # ascending: the last (largest) birth month wins
        od[cu[o[::-1]]] = cb[o[::-1]]
        kids = nkid > 0
        heads = npart + nsing
        gt = np.where(
            npart == 2, np.where(married, np.where(kids, 5, 3), np.where(kids, 4, 2)),
            np.where(heads >= 1, np.where(kids, 6, np.where(noth > 0, 7, 1)), 7),
        )
        gt = np.where(ninst > 0, 8, gt)
        kg = kids[u]
        mar = married[u]
        pl = np.full(len(u), 9, np.int8)
        head = (r == R_PARTNER) | (r == R_SINGLE)
        pl[(r == R_CHILD) & (heads > 0)[u]] = 1
        pl[head] = 2
        pl[head & (noth > 0)[u]] = 8
        pl[head & kg] = 7
        cpl = (r == R_PARTNER) & (npart == 2)[u]
        pl[cpl] = np.where(mar[cpl], np.where(kg[cpl], 6, 4), np.where(kg[cpl], 5, 3))
        pl[r == R_INST] = 10
        typ[k, ok] = gt[u]
        plhh[k, ok] = pl
        sig[k, ok] = sg[u]
        n_mem[k, ok] = np.where(ninst[u] > 0, inst_size[u], nm[u])
        n_child[k, ok] = nkid[u]
        n_other[k, ok] = noth[u]
        young[k, ok] = yo[u]
        old[k, ok] = od[u]
    return Composition(valid.T, typ.T, plhh.T, sig.T, n_mem.T, n_child.T, n_other.T, young.T, old.T)


def covariates(grid: Grid, comp: Composition, pop: Pop, mother: np.ndarray | None = None,
               father: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Monthly partner and resident-non-biological-child indicators (P x M bool).

    A resident child counts as the person's own if ``mother``/``father`` (default: the true parents; the
    generator passes the links KINDOUDERTAB shows, as the warehouse sees them) name the person."""
    mother = pop.mother if mother is None else mother
    father = pop.father if father is None else father
    partner = (comp.plhh >= 3) & (comp.plhh <= 6)
    own = np.zeros(grid.U.shape, np.int16)
    cp, ck = np.nonzero(grid.role == R_CHILD)
    cu = grid.U[cp, ck]
    for par in (mother[cp], father[cp]):
        ok = (par >= 0) & (grid.U[np.maximum(par, 0), ck] == cu)
        own += np.bincount(par[ok] * own.shape[1] + ck[ok], minlength=own.size).reshape(own.shape).astype(np.int16)
    head = (comp.plhh == 5) | (comp.plhh == 6) | (comp.plhh == 7)
    nonbio = head & (comp.n_child > own)
    return partner, nonbio


def spells(comp: Composition, grid: Grid, imputed_p: float) -> pd.DataFrame:
    """Runs of constant (unit, signature) per person -> one row per household spell."""
    p, k = np.nonzero(comp.valid)  # row-major: sorted by person, then month
    u = grid.U[p, k]
    s = comp.sig[p, k]
    new = np.ones(len(p), bool)
    new[1:] = (p[1:] != p[:-1]) | (k[1:] != k[:-1] + 1) | (u[1:] != u[:-1]) | (s[1:] != s[:-1])
    first = np.nonzero(new)[0]
    last = np.append(first[1:] - 1, len(p) - 1)
    fp, fk = p[first], k[first]
    df = pd.DataFrame(
        {
            "p": fp, "k0": fk, "k1": k[last], "unit": u[first],
            "typ": comp.typ[fp, fk], "plhh": comp.plhh[fp, fk], "role": grid.role[fp, fk],
            "n_mem": comp.n_mem[fp, fk], "n_child": comp.n_child[fp, fk], "n_other": comp.n_other[fp, fk],
            "young": comp.young[fp, fk], "old": comp.old[fp, fk],
        }
    )
    h = (df["unit"].to_numpy() * 2_654_435_761 + df["k0"].to_numpy() * 40_503) % 10_007
    df["imputed"] = h < imputed_p * 10_007
    return df
