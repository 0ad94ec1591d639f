"""Numerical core of the exact conditional logistic likelihood (no pandas, no DuckDB).

For a stratum with rows i = 1..n, linear predictors eta_i = x_i'beta and k events, the
conditional likelihood (Chamberlain 1980; Breslow & Day 1980, ch. 7) is

    L = exp(sum_{events} eta_i) / e_k(r),   r_i = exp(eta_i),

where e_k is the k-th elementary symmetric polynomial: the sum over all size-k subsets.
e_k is computed by the recursion of Gail, Lubin & Rubinstein (1981),

    B(m, j) = B(m-1, j) + r_m B(m-1, j-1),

run here as a scaled forward/backward pair (as in the forward-backward algorithm of
hidden Markov models):

* forward  F_m(j) = e_j(r_1..r_m)                       (j = 0..k)
* backward Q_m(j) = weight of completing "j events among rows 1..m" to exactly k events
  with rows m+1..n;  Q_n(j) = 1{j = k},  Q_{m-1}(j) = Q_m(j) + r_m Q_m(j+1).

Then D = e_k(r) = Q_0(0), and the inclusion probability of row i in the conditional
distribution of the event set is

    pi_i = r_i sum_j F_{i-1}(j) Q_i(j+1) / D.

Gradient of log L: sum_{events} x_i - sum_i pi_i x_i; it costs O(n k) per stratum.
Hessian of -log L: X' C X with C = Cov(event indicators). Splitting C into its diagonal
pi_i (1 - pi_i) and the strictly lower triangle, the lower triangle is obtained by
forward-mode differentiation of F only:  sum_{l<i} C_il x_l =
r_i sum_j dF_{i-1}(j) Q_i(j+1) / D - pi_i sum_{l<i} pi_l x_l,  with
dF_m(j) = dF_{m-1}(j) + r_m (dF_{m-1}(j-1) + x_m F_{m-1}(j-1)).
This costs O(n k p) per stratum instead of O(n k p^2) for differentiating the recursion
twice, and needs no subtraction of large numbers.

At beta = 0 everything is closed-form: the event set is a uniform random k-subset, so
pi_i = k/n, C is the hypergeometric covariance and, with x centred within the stratum,
the information is k(n-k)/(n(n-1)) X'X and log L = -log C(n, k).  The fit
(:mod:`python_udfs.clogit`) starts from these, iterates with O(n k) gradients and
evaluates the exact O(n k p) information once, at the solution.

Numerical stability: x is centred within each stratum (so each stratum's linear
predictor is centred), strata with k > n/2 are replaced by the complement problem
(y -> 1 - y, x -> -x, identical likelihood), and F and Q are rescaled by their maximum
over j with the log scale kept separately (every 8 rows, every row if some weight
exceeds 1e15), so n = 270 rows with k = 135 events neither overflow nor underflow.

Strata are grouped by their number of events k (after complementing) and sorted by size
within a group, and every group is cut into batches laid out as arrays of shape
(p, rows, strata); the recursions then run once per row position for a whole batch.
Padding rows get r = 0 and contribute nothing.  Batches run in threads (numpy releases
the GIL in its loops).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Target number of cells in the rolling (k + 2) x strata vectors of the O(n k) recursions.
_ROW_CELLS = 40_000
#: Upper bounds per batch on rows * (k + 2) * strata (stored backward table) and on
#: rows * p * strata (the design array), in doubles.
_TABLE_CELLS = 6_000_000
_DESIGN_CELLS = 4_000_000
#: Rescale F and Q every this many rows unless a weight exceeds _BIG_WEIGHT.
_RESCALE_EVERY = 8
_BIG_WEIGHT = 1e15
#: Largest linear predictor used as such in exp(); strata beyond are shifted (see _weights).
_MAX_ETA = 30.0
_N_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class StrataBatch:
    """Strata with outcome variation, laid out for vectorised recursions.

    X has shape (p, n_max, S), centred within each stratum and negated for complemented
    strata; pad is 0 on real rows and -inf on padding rows, shape (n_max, S); k holds the
    number of events per stratum (after complementing, k <= n/2); xsum is the sum of x
    over event rows, shape (p, S).
    """

    X: FloatArray
    pad: FloatArray
    k: IntArray
    xsum: FloatArray

    @property
    def cost(self) -> int:
        """Cells touched per row sweep (for ordering the work)."""
        return int(self.X.shape[1] * (int(self.k.max()) + 2) * self.X.shape[2])


@dataclass(frozen=True, slots=True)
class PreparedStrata:
    """All informative strata in batches, plus the closed-form quantities at beta = 0.

    loglik0, score0 and info0 are the log-likelihood, score and information at beta = 0.
    """

    batches: tuple[StrataBatch, ...]
    n_obs: int
    n_groups: int
    n_groups_dropped: int
    n_obs_dropped: int
    loglik0: float
    score0: FloatArray
    info0: FloatArray


def _k_groups(k_sorted: IntArray) -> list[tuple[int, int]]:
    """Cut strata sorted by k into [start, end) runs of equal k; runs too small to fill a
    batch (_ROW_CELLS cells per row) are merged with the next k values, padding k + 2 by
    at most a quarter."""
    edges = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]]).tolist()
    runs: list[tuple[int, int]] = []
    start = 0
    for nxt in edges[1:]:
        k_lo, k_next = int(k_sorted[start]), int(k_sorted[nxt])
        if (nxt - start) * (k_next + 2) >= _ROW_CELLS or 4 * (k_next + 2) > 5 * (k_lo + 2):
            runs.append((start, nxt))
            start = nxt
    runs.append((start, len(k_sorted)))
    return runs


def prepare_strata(y: IntArray, X: FloatArray, group_codes: IntArray) -> PreparedStrata:
    """Group rows by stratum, drop strata without outcome variation, build the batches.

    Everything is vectorised and done one covariate column at a time (memory); the only
    Python loops run over columns and batches.
    """
    N, p = X.shape
    codes = np.asarray(group_codes)
    if N and bool(np.all(codes[1:] >= codes[:-1])):
        order = None  # already grouped (the usual person-period layout)
        g = codes
    else:
        order = np.argsort(codes, kind="stable")
        g = codes[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if N else np.zeros(0, dtype=np.int64)
    sizes = np.diff(np.r_[starts, N]).astype(np.int64)
    ys = np.asarray(y, dtype=np.int64)
    ys = ys if order is None else ys[order]
    events = np.add.reduceat(ys, starts) if N else np.zeros(0, dtype=np.int64)
    keep = (events > 0) & (events < sizes)
    n_groups = int(keep.sum())
    n_obs = int(sizes[keep].sum())
    dropped = int((~keep).sum())
    dropped_obs = int(sizes[~keep].sum())
    if n_groups == 0:
        return PreparedStrata((), n_obs, n_groups, dropped, dropped_obs, 0.0, np.zeros(p), np.zeros((p, p)))

    row_keep = np.repeat(keep, sizes)
    rows = np.flatnonzero(row_keep) if order is None else order[row_keep]  # kept rows, grouped
    n_s = sizes[keep]
    k_s = events[keep]
    y_rows = ys[row_keep].astype(np.float64)
    kstarts = np.r_[0, np.cumsum(n_s)[:-1]]
    flip = 2 * k_s > n_s
    k_eff = np.where(flip, n_s - k_s, k_s)
    sign_rows = np.repeat(np.where(flip, -1.0, 1.0), n_s)
    loglik0 = -float(np.sum(gammaln(n_s + 1.0) - gammaln(k_s + 1.0) - gammaln(n_s - k_s + 1.0)))

    # batches: strata grouped by k, sorted by size; where each kept row goes
    by_k = np.lexsort((n_s, k_eff))
    layout: list[tuple[IntArray, IntArray, IntArray, int]] = []  # strata, source rows, flat target, n_max
    for lo, hi in _k_groups(k_eff[by_k]):
        group = by_k[lo:hi]
        group = group[np.argsort(n_s[group], kind="stable")]
        k_max = int(k_eff[group].max())
        n_max = int(n_s[group].max())
        s_max = max(1, min(_ROW_CELLS // (k_max + 2), _TABLE_CELLS // (n_max * (k_max + 2)),
                           _DESIGN_CELLS // (n_max * max(p, 1))))
        for sel in np.array_split(group, -(-len(group) // s_max)):
            nb = n_s[sel]
            S = len(sel)
            pos = np.arange(int(nb.sum())) - np.repeat(np.cumsum(nb) - nb, nb)
            src = np.repeat(kstarts[sel], nb) + pos
            layout.append((sel, src, pos * S + np.repeat(np.arange(S), nb), int(nb.max())))

    Xbs = [np.zeros((p, n_max, len(sel))) for sel, _, _, n_max in layout]
    xsum = np.empty((p, n_groups))
    for q in range(p):
        col = X[:, q] if order is None and n_obs == N else np.asarray(X[:, q])[rows]
        col = np.array(col, dtype=np.float64)
        col -= np.repeat(np.add.reduceat(col, kstarts) / n_s, n_s)
        # with x centred, the complement problem's sum over its events of -x equals this
        xsum[q] = np.add.reduceat(col * y_rows, kstarts)
        col *= sign_rows
        for Xb, (_, src, flat, _) in zip(Xbs, layout, strict=True):
            Xb[q].reshape(-1)[flat] = col[src]

    hyper = k_s * (n_s - k_s) / (n_s * (n_s - 1.0))
    info0 = np.zeros((p, p))
    batches: list[StrataBatch] = []
    for Xb, (sel, _, flat, n_max) in zip(Xbs, layout, strict=True):
        S = len(sel)
        pad = np.full((n_max, S), -np.inf)
        pad.reshape(-1)[flat] = 0.0
        Xf = Xb.reshape(p, n_max * S)
        info0 += (Xf * np.broadcast_to(hyper[sel], (n_max, S)).reshape(-1)) @ Xf.T
        batches.append(StrataBatch(Xb, pad, k_eff[sel].astype(np.int64), np.ascontiguousarray(xsum[:, sel])))
    batches.sort(key=lambda b: -b.cost)  # largest first: balances the threads
    return PreparedStrata(tuple(batches), n_obs, n_groups, dropped, dropped_obs, loglik0,
                          xsum.sum(axis=1), info0)


_T = TypeVar("_T")


def _map(func: Callable[[StrataBatch], _T], batches: Sequence[StrataBatch]) -> list[_T]:
    """Apply func to every batch; batches run in threads (numpy releases the GIL)."""
    if len(batches) < 2 or _N_THREADS < 2:
        return [func(b) for b in batches]
    with ThreadPoolExecutor(max_workers=min(_N_THREADS, len(batches))) as pool:
        return list(pool.map(func, batches))


def _weights(batch: StrataBatch, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """r = exp(eta - shift) per row and stratum (0 on padding rows), shape (n, S), and the shift.

    The conditional likelihood is unchanged when every eta of a stratum moves by the same
    constant (numerator and e_k both gain the factor exp(k shift)). A stratum whose largest eta
    exceeds _MAX_ETA (separation, a Newton step far out) is shifted by the mean of its k largest
    eta, so the leading term of e_k (the product of the k largest weights) is 1 and neither r nor
    e_k overflows or underflows; others are left as they are (eta is centred, and the scaled
    recursions are tuned for weights around 1 and above). log e_k(exp(eta)) = log e_k(r) + k shift."""
    p, n, S = batch.X.shape
    eta = (beta @ batch.X.reshape(p, n * S)).reshape(n, S)
    eta += batch.pad
    shift = np.zeros(S)
    far = np.nonzero(eta.max(axis=0) > _MAX_ETA)[0]
    if len(far):
        k = batch.k[far]
        ranked = np.cumsum(-np.sort(-eta[:, far], axis=0), axis=0)  # running sums of the largest eta
        shift[far] = ranked[k - 1, np.arange(len(far))] / k
    eta -= shift
    return np.exp(eta), shift


def _rescale_rows(n: int, r: FloatArray) -> NDArray[np.bool_]:
    """Rows after which the running tables are rescaled."""
    if n and float(r.max()) > _BIG_WEIGHT:
        return np.ones(n, dtype=bool)
    marks = np.zeros(n, dtype=bool)
    marks[_RESCALE_EVERY - 1 :: _RESCALE_EVERY] = True
    return marks


def _backward(r: FloatArray, k: IntArray) -> tuple[FloatArray, FloatArray]:
    """Scaled backward table Q[m] (m = 0..n), shape (n+1, kmax+2, S), and its log scales.

    Row kmax+1 of every Q[m] is zero; it lets F_{i-1}(j) Q_i(j+1) be read for j = kmax.
    """
    n, S = r.shape
    kmax = int(k.max())
    Q = np.empty((n + 1, kmax + 2, S))
    logscale = np.empty((n + 1, S))
    Q[n] = 0.0
    Q[n, k, np.arange(S)] = 1.0
    logscale[n] = 0.0
    ls = np.zeros(S)
    rescale = _rescale_rows(n, r[::-1])
    for step, m in enumerate(range(n, 0, -1)):
        prev, cur = Q[m], Q[m - 1]
        np.multiply(prev[1:], r[m - 1], out=cur[:-1])
        cur[:-1] += prev[:-1]
        cur[-1] = 0.0
        if rescale[step]:
            mx = cur.max(axis=0)
            cur /= mx
            ls = ls + np.log(mx)
        logscale[m - 1] = ls
    return Q, logscale


def _log_denominator(r: FloatArray, k: IntArray) -> FloatArray:
    """log e_k(r) per stratum by the scaled forward recursion only."""
    n, S = r.shape
    kmax = int(k.max())
    F = np.zeros((kmax + 1, S))
    F[0] = 1.0
    ls = np.zeros(S)
    rescale = _rescale_rows(n, r)
    for m in range(n):
        F[1:] += r[m] * F[:-1]
        if rescale[m]:
            mx = F.max(axis=0)
            F /= mx
            ls += np.log(mx)
    return np.log(F[k, np.arange(S)]) + ls


def _batch_loglik(batch: StrataBatch, beta: FloatArray) -> float:
    r, shift = _weights(batch, beta)
    return float((batch.xsum.T @ beta - _log_denominator(r, batch.k) - batch.k * shift).sum())


def loglik(prepared: PreparedStrata, beta: FloatArray) -> float:
    """Conditional log-likelihood summed over strata."""
    return sum(_map(lambda b: _batch_loglik(b, beta), prepared.batches))


def _inclusion(
    batch: StrataBatch, beta: FloatArray, exact: bool, approx: bool = True
) -> tuple[float, FloatArray, FloatArray | None]:
    """Log-likelihood, score and information of one batch.

    With exact=False the information is Hajek's approximation of the covariance of
    the event indicators, diag(d) - d d' / sum(d) with d_i = pi_i (1 - pi_i) (Hajek
    1964; exact when every pi_i is equal), which costs nothing once pi is known.
    """
    X = batch.X
    p, n, S = X.shape
    k = batch.k
    kmax = int(k.max())
    r, shift = _weights(batch, beta)
    Q, lsQ = _backward(r, k)
    logD = np.log(Q[0, 0]) + lsQ[0]  # of the shifted weights: pi below is shift-free

    F = np.zeros((kmax + 1, S))
    F[0] = 1.0
    lsF = np.zeros(S)
    lsF_row = np.empty((n, S))  # log scale of F_{i-1}
    pi = np.empty((n, S))
    prod = np.empty((kmax + 1, S))
    rescale = _rescale_rows(n, r)
    if exact:
        dF = np.zeros((kmax + 1, p, S))
        tmp = np.empty((kmax, p, S))
        A = np.empty((p, n, S))  # sum_j dF_{i-1}(j) Q_i(j+1), unscaled
    for i in range(n):
        Qn = Q[i + 1, 1:]  # Q_i(j+1), j = 0..kmax
        lsF_row[i] = lsF
        np.multiply(F, Qn, out=prod)
        prod.sum(axis=0, out=pi[i])
        if exact:
            np.einsum("jps,js->ps", dF, Qn, out=A[:, i, :])
            np.multiply(X[:, i, :][None, :, :], F[:-1, None, :], out=tmp)
            tmp += dF[:-1]
            tmp *= r[i]
            dF[1:] += tmp
        F[1:] += r[i] * F[:-1]
        if rescale[i]:
            mx = F.max(axis=0)
            inv = 1.0 / mx
            F *= inv
            if exact:
                dF *= inv
            lsF += np.log(mx)
    scale = r * np.exp(lsF_row + lsQ[1:] - logD)
    pi *= scale
    Xf = X.reshape(p, n * S)
    pif = pi.reshape(n * S)
    score = batch.xsum.sum(axis=1) - Xf @ pif
    ll = float((batch.xsum.T @ beta - logD - k * shift).sum())
    if not exact and not approx:
        return ll, score, None
    d = pi * (1.0 - pi)
    diag = (Xf * d.reshape(n * S)) @ Xf.T
    if not exact:
        Xd = np.einsum("pns,ns->ps", X, d)
        return ll, score, diag - (Xd / d.sum(axis=0)) @ Xd.T
    A *= scale
    pix = X * pi  # (p, n, S)
    cum = np.cumsum(pix, axis=1)
    cum -= pix  # sum over l < i of pi_l x_l
    cum *= pi
    A -= cum
    lower = Xf @ A.reshape(p, n * S).T
    return ll, score, diag + lower + lower.T


def _combine(
    prepared: PreparedStrata, beta: FloatArray, exact: bool, approx: bool = True
) -> tuple[float, FloatArray, FloatArray | None]:
    p = beta.shape[0]
    ll = 0.0
    grad = np.zeros(p)
    info = np.zeros((p, p)) if exact or approx else None
    for l_b, g_b, i_b in _map(lambda b: _inclusion(b, beta, exact, approx), prepared.batches):
        ll += l_b
        grad += g_b
        if info is not None:
            info += i_b
    return ll, grad, info


def gradient(
    prepared: PreparedStrata, beta: FloatArray, approx: bool = True
) -> tuple[float, FloatArray, FloatArray | None]:
    """Log-likelihood, score and (if approx) Hajek-approximate information, O(n k) per stratum."""
    return _combine(prepared, beta, exact=False, approx=approx)


def derivatives(prepared: PreparedStrata, beta: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, score vector and exact observed information (= -Hessian), O(n k p) per stratum."""
    ll, grad, info = _combine(prepared, beta, exact=True)
    assert info is not None
    return ll, grad, info
