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

Then D = e_k(r) = sum_j F_m(j) Q_m(j) for every m, and the inclusion probability of
row i in the conditional distribution of the event set is

    pi_i = r_i sum_j F_{i-1}(j) Q_i(j+1) / D.

Gradient of log L: sum_{events} x_i - sum_i pi_i x_i.
Hessian of -log L: X' C X with C = Cov(event indicators). Splitting C into its diagonal
pi_i (1 - pi_i) and the strictly lower triangle, the lower triangle is obtained by
forward-mode differentiation of F only:  sum_{l<i} C_il x_l =
r_i sum_j dF_{i-1}(j) Q_i(j+1) / D - pi_i sum_{l<i} pi_l x_l,  with
dF_m(j) = dF_{m-1}(j) + r_m (dF_{m-1}(j-1) + x_m F_{m-1}(j-1)).
This costs O(n k p) per stratum instead of O(n k p^2) for differentiating the recursion
twice, and needs no subtraction of large numbers.

Numerical stability: each stratum's linear predictor is centred, strata with k > n/2
are replaced by the complement problem (y -> 1 - y, x -> -x, identical likelihood), and
after every row F and Q are rescaled by their maximum over j with the log scale kept
separately, so n = 270 rows with k = 135 events neither overflow nor underflow.

Strata are processed in batches (arrays of shape (rows, ..., strata)); padding rows get
r = 0 and therefore contribute nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Upper bound on (k_max + 1) * p * n_strata doubles in the rolling derivative table
#: (kept near the size of a CPU cache) and on n_rows * (k_max + 2) * n_strata doubles
#: in the stored backward table.
_ROLLING_CELLS = 262_144
_TABLE_CELLS = 8_000_000
#: Below this many rolling cells a batch is cheap, so padding k is preferred to splitting.
_SMALL_CELLS = 65_536
_N_THREADS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class StrataBatch:
    """Strata with outcome variation, laid out for vectorised recursions.

    X has shape (n_max, p, S); valid marks real (non-padding) rows, shape (n_max, S);
    k holds the number of events per stratum (after complementing, k <= n/2);
    xsum is the sum of x over event rows, shape (p, S).
    """

    X: FloatArray
    valid: NDArray[np.bool_]
    k: NDArray[np.int64]
    xsum: FloatArray


@dataclass(frozen=True, slots=True)
class PreparedStrata:
    batches: tuple[StrataBatch, ...]
    n_obs: int
    n_groups: int
    n_groups_dropped: int
    n_obs_dropped: int


def prepare_strata(
    y: NDArray[np.int64], X: FloatArray, group_codes: NDArray[np.int64]
) -> PreparedStrata:
    """Sort rows by stratum, drop strata without outcome variation, build batches."""
    order = np.argsort(group_codes, kind="stable")
    g = group_codes[order]
    ys = y[order].astype(np.int64)
    Xs = np.ascontiguousarray(X[order], dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    events = np.add.reduceat(ys, starts) if len(g) else np.zeros(0, dtype=np.int64)
    keep = (events > 0) & (events < sizes)
    n_groups = int(keep.sum())
    n_obs = int(sizes[keep].sum())
    dropped = int((~keep).sum())
    dropped_obs = int(sizes[~keep].sum())

    kept = np.flatnonzero(keep)
    flip = 2 * events[kept] > sizes[kept]
    k_eff = np.where(flip, sizes[kept] - events[kept], events[kept])
    # sort strata by effective k, then by size, so padding within a batch is small
    sort_idx = np.lexsort((sizes[kept], k_eff))
    kept, flip, k_eff = kept[sort_idx], flip[sort_idx], k_eff[sort_idx]
    p = X.shape[1]

    batches: list[StrataBatch] = []
    pos = 0
    while pos < len(kept):
        end = pos
        n_max = 0
        k_max = 0
        while end < len(kept):
            n_new = max(n_max, int(sizes[kept[end]]))
            k_new = max(k_max, int(k_eff[end]))
            width = end - pos + 1
            if end > pos and (
                (
                    k_new > k_eff[pos] + max(2, k_eff[pos] // 4)
                    and (k_new + 1) * max(p, 1) * width > _SMALL_CELLS
                )
                or (k_new + 1) * max(p, 1) * width > _ROLLING_CELLS
                or n_new * (k_new + 2) * width > _TABLE_CELLS
            ):
                break
            n_max, k_max = n_new, k_new
            end += 1
        idx = kept[pos:end]
        S = len(idx)
        Xb = np.zeros((n_max, p, S))
        valid = np.zeros((n_max, S), dtype=bool)
        xsum = np.zeros((p, S))
        for col, (s, fl) in enumerate(zip(idx, flip[pos:end], strict=True)):
            a, b = starts[s], starts[s] + sizes[s]
            xs = -Xs[a:b] if fl else Xs[a:b]
            yy = 1 - ys[a:b] if fl else ys[a:b]
            Xb[: b - a, :, col] = xs
            valid[: b - a, col] = True
            xsum[:, col] = yy @ xs
        batches.append(StrataBatch(Xb, valid, k_eff[pos:end].astype(np.int64), xsum))
        pos = end
    return PreparedStrata(tuple(batches), n_obs, n_groups, dropped, dropped_obs)


_T = TypeVar("_T")


def _map(func: Callable[[StrataBatch], _T], batches: Sequence[StrataBatch]) -> list[_T]:
    """Apply func to every batch; batches run in threads (numpy releases the GIL)."""
    if len(batches) < 2 or _N_THREADS < 2:
        return [func(b) for b in batches]
    with ThreadPoolExecutor(max_workers=min(_N_THREADS, len(batches))) as pool:
        return list(pool.map(func, batches))


def _weights(batch: StrataBatch, beta: FloatArray) -> FloatArray:
    """r_i = exp(eta_i - centre) per stratum, 0 on padding rows; shape (n, S)."""
    eta = np.einsum("ips,p->is", batch.X, beta)
    n_valid = batch.valid.sum(axis=0)
    centre = np.where(batch.valid, eta, 0.0).sum(axis=0) / n_valid
    eta = eta - centre
    eta[~batch.valid] = -np.inf
    return np.exp(eta)


def _backward(r: FloatArray, k: NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """Scaled backward table Q[m] (m = 0..n), shape (n+1, kmax+2, S), and log scales."""
    n, S = r.shape
    kmax = int(k.max())
    Q = np.zeros((n + 1, kmax + 2, S))
    logscale = np.zeros((n + 1, S))
    Q[n, k, np.arange(S)] = 1.0
    cur = Q[n].copy()
    ls = np.zeros(S)
    for m in range(n, 0, -1):
        cur[:-1] += r[m - 1] * cur[1:]
        mx = cur.max(axis=0)
        cur /= mx
        ls = ls + np.log(mx)
        Q[m - 1] = cur
        logscale[m - 1] = ls
    return Q, logscale


def _log_denominator(r: FloatArray, k: NDArray[np.int64]) -> FloatArray:
    """log e_k(r) per stratum by the scaled forward recursion only."""
    n, S = r.shape
    kmax = int(k.max())
    F = np.zeros((kmax + 1, S))
    F[0] = 1.0
    ls = np.zeros(S)
    for m in range(n):
        F[1:] += r[m] * F[:-1]
        mx = F.max(axis=0)
        F /= mx
        ls += np.log(mx)
    return np.log(F[k, np.arange(S)]) + ls


def _batch_loglik(batch: StrataBatch, beta: FloatArray) -> float:
    r = _weights(batch, beta)
    eta = np.einsum("ips,p->is", batch.X, beta)
    n_valid = batch.valid.sum(axis=0)
    centre = np.where(batch.valid, eta, 0.0).sum(axis=0) / n_valid
    num = batch.xsum.T @ beta - batch.k * centre
    return float((num - _log_denominator(r, batch.k)).sum())


def loglik(prepared: PreparedStrata, beta: FloatArray) -> float:
    """Conditional log-likelihood summed over strata."""
    return sum(_map(lambda b: _batch_loglik(b, beta), prepared.batches))


def _batch_derivatives(
    batch: StrataBatch, beta: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    X = batch.X
    n, p, S = X.shape
    k = batch.k
    kmax = int(k.max())
    r = _weights(batch, beta)
    Q, lsQ = _backward(r, k)
    # log D from m = 0: F_0 = e_0 = 1 at j = 0
    logD = np.log(Q[0, 0]) + lsQ[0]

    F = np.zeros((kmax + 1, S))
    F[0] = 1.0
    dF = np.zeros((kmax + 1, p, S))
    lsF = np.zeros(S)
    per_step = bool(r.max() > 1e15)
    pi = np.empty((n, S))
    a = np.empty((n, p, S))
    tmp = np.empty((kmax, p, S))
    for i in range(n):
        Qn = Q[i + 1, 1 : kmax + 2]  # Q_i(j+1), j = 0..kmax
        scale = r[i] * np.exp(lsF + lsQ[i + 1] - logD)
        pi[i] = scale * np.einsum("js,js->s", F, Qn)
        a[i] = scale * np.einsum("jps,js->ps", dF, Qn)
        # forward-mode update of dF, then F
        np.multiply(X[i][None, :, :], F[:-1, None, :], out=tmp)
        tmp += dF[:-1]
        tmp *= r[i]
        dF[1:] += tmp
        F[1:] += r[i] * F[:-1]
        if per_step or i % 8 == 7:
            # F only grows with i; rescaling every 8 rows suffices unless weights are huge
            mx = F.max(axis=0)
            inv = 1.0 / mx
            F *= inv
            dF *= inv
            lsF += np.log(mx)
    pix = pi[:, None, :] * X  # (n, p, S)
    expected = pix.sum(axis=0)
    grad = (batch.xsum - expected).sum(axis=1)
    cum = np.cumsum(pix, axis=0) - pix  # sum over l < i of pi_l x_l
    v = a - pi[:, None, :] * cum
    w = pi * (1.0 - pi)
    lower = np.einsum("ips,iqs->pq", X, v)
    info = np.einsum("ips,iqs,is->pq", X, X, w) + lower + lower.T
    eta = np.einsum("ips,p->is", X, beta)
    n_valid = batch.valid.sum(axis=0)
    centre = np.where(batch.valid, eta, 0.0).sum(axis=0) / n_valid
    ll = float((batch.xsum.T @ beta - k * centre - logD).sum())
    return ll, grad, info


def derivatives(
    prepared: PreparedStrata, beta: FloatArray
) -> tuple[float, FloatArray, FloatArray]:
    """Log-likelihood, score vector and observed information (= -Hessian)."""
    p = beta.shape[0]
    ll = 0.0
    grad = np.zeros(p)
    info = np.zeros((p, p))
    for l_b, g_b, i_b in _map(lambda b: _batch_derivatives(b, beta), prepared.batches):
        ll += l_b
        grad += g_b
        info += i_b
    return ll, grad, info


def iter_batches(prepared: PreparedStrata) -> Iterator[StrataBatch]:
    yield from prepared.batches
