"""Fixed-effects (conditional) logistic regression with the exact conditional likelihood.

The model is the logit model with one intercept per stratum (person), conditioned on the
number of events per stratum so that the intercepts drop out (Chamberlain 1980;
Breslow & Day 1980, ch. 7).  The likelihood is the "exact" one of R
``survival::clogit(method = "exact")`` and Stata ``xtlogit, fe``; its denominator is the
elementary symmetric polynomial computed by the recursion of Gail, Lubin & Rubinstein
(1981).  See :mod:`python_udfs._clogit_core` for the numerical details.

Fitting is quasi-Newton (BFGS, started from the exact information at beta = 0) followed
by exact Newton-Raphson, with step halving; see :func:`_fit` for the stopping rules.
Standard errors come from the inverse observed information, Wald z and p values from
the normal distribution, confidence intervals are exp(coef +- z_{0.975} se).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from python_udfs import _clogit_core as core
from python_udfs.stats_errors import ConvergenceWarning, ModelWarning, StatsError

__all__ = ["ClogitResult", "clogit", "clogit_from_frame", "significance_stars"]


@dataclass(frozen=True, slots=True)
class ClogitResult:
    """Fitted conditional logit model (arrays are indexed like ``terms``).

    ``separation`` flags coefficients that may be infinite (the likelihood keeps rising
    as the coefficient grows: the covariate separates events from non-events within
    the strata).  For a flagged coefficient the estimate is the last iterate, ``converged``
    is False and the confidence bound on the divergent side is ``inf`` (or 0).

    ``aliased`` flags covariates that are not identified: constant within every informative
    stratum, or a linear combination of earlier covariates there (as ``survival::coxph``, whose
    coefficient is then NA). Their estimates are NaN; the other terms are fitted without them.
    """

    terms: tuple[str, ...]
    coef: NDArray[np.float64]
    se: NDArray[np.float64]
    odds_ratio: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    z: NDArray[np.float64]
    p: NDArray[np.float64]
    loglik: float
    loglik_null: float
    n_obs: int
    n_groups: int
    n_groups_dropped: int
    n_obs_dropped: int
    converged: bool
    separation: NDArray[np.bool_]
    n_iter: int
    seconds: float
    aliased: NDArray[np.bool_] | None = None

    def tidy(self) -> pd.DataFrame:
        """One row per term (broom-style column names)."""
        return pd.DataFrame(
            {
                "term": list(self.terms),
                "estimate": self.coef,
                "std_error": self.se,
                "statistic": self.z,
                "p_value": self.p,
                "conf_low": self.ci_low,
                "conf_high": self.ci_high,
                "odds_ratio": self.odds_ratio,
            }
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dictionary; per-term quantities keyed by term name."""

        def by_term(values: NDArray[np.float64]) -> dict[str, float]:
            return {t: float(v) for t, v in zip(self.terms, values, strict=True)}

        return {
            "coef": by_term(self.coef),
            "se": by_term(self.se),
            "odds_ratio": by_term(self.odds_ratio),
            "ci_low": by_term(self.ci_low),
            "ci_high": by_term(self.ci_high),
            "p": by_term(self.p),
            "loglik": self.loglik,
            "n_obs": self.n_obs,
            "n_groups": self.n_groups,
            "n_groups_dropped": self.n_groups_dropped,
            "converged": self.converged,
            "separation": {t: bool(v) for t, v in zip(self.terms, self.separation, strict=True)},
            "n_iter": self.n_iter,
            "seconds": self.seconds,
        }


def significance_stars(p: float) -> str:
    """'***' p < 0.001, '**' p < 0.01, '*' p < 0.05, '' otherwise (the study's convention)."""
    if p < 0.001:
        return "***"
    if p < 0.01:
        return "**"
    if p < 0.05:
        return "*"
    return ""


#: Quasi-Newton steps stop below this (relative to 1 + |beta|); the exact Newton step that
#: follows then changes beta by O(this^2).
_STEP_TOL = 1e-12
#: Hajek's approximate information is recomputed in the first this many steps only.
_APPROX_REFRESH = 2
#: Phase 1 hands over to exact Newton when a step shrinks by less than this factor.
_SLOW_RATIO = 0.25
#: The final exact Newton step is applied without re-evaluation when below this.
_POLISH_TOL = 1e-10
#: survival::coxph's defaults for "coefficient may be infinite" (coxph.control eps, toler.inf).
_INF_EPS = 1e-9
_INF_TOLER = 1e-9**0.5


@dataclass(frozen=True, slots=True)
class _Fit:
    beta: NDArray[np.float64]
    info: NDArray[np.float64]
    loglik: float
    loglik_null: float
    converged: bool
    separation: NDArray[np.bool_]
    n_iter: int


def _solve(info: NDArray[np.float64], grad: NDArray[np.float64]) -> NDArray[np.float64]:
    try:
        return np.linalg.solve(info, grad)
    except np.linalg.LinAlgError as exc:
        raise StatsError(
            "singular information matrix: a covariate is constant within every "
            "stratum or covariates are collinear"
        ) from exc


def _loglik_converged(ll: float, ll_old: float, grad: NDArray[np.float64], tol: float) -> bool:
    return abs(ll - ll_old) <= tol * (abs(ll) + tol) and float(np.max(np.abs(grad), initial=0.0)) <= np.sqrt(tol)


def _fit(prepared: core.PreparedStrata, p: int, tol: float, max_iter: int) -> _Fit:
    """Maximise the conditional log-likelihood.

    Phase 1, Newton-type steps with an approximate information and step halving: at
    beta = 0 the exact closed-form information, afterwards Hajek's approximation (from
    the first _APPROX_REFRESH steps, kept afterwards), both nearly free once the O(n k)
    score is computed (the contraction per step is about 0.01 on
    person-month panels).  Phase 1 ends with a step whose predicted remaining error
    (from the ratio of the last two steps) is below _STEP_TOL (1 + |beta|), or stops, from the third step on, when a step
    shrinks by less than a factor _SLOW_RATIO (the approximation is poor, as in small
    matched sets, or beta diverges).  Phase 2, Newton-Raphson with the exact O(n k p)
    information and step halving: a step below _POLISH_TOL (1 + |beta|) is applied and
    ends the fit (converged; the information is the one at the solution up to that
    step); otherwise the step is taken.  A fit whose log-likelihood has converged
    (relative change <= tol, largest |score| <= sqrt(tol)) while some Newton step
    component stays large diverges: those coefficients are flagged as possibly infinite
    (separation), with the rule and the
    thresholds of survival::coxph (eps = 1e-9, toler.inf = sqrt(eps)).
    """
    beta = np.zeros(p)
    approx: NDArray[np.float64]
    ll, grad, approx = prepared.loglik0, prepared.score0.copy(), prepared.info0.copy()
    ll_null = ll
    n_iter = 0
    last = np.inf
    while n_iter < max_iter:
        n_iter += 1
        step = _solve(approx, grad)
        size = float(np.max(np.abs(step), initial=0.0))
        ratio = size / last if np.isfinite(last) else 1.0
        if n_iter >= 3 and ratio > _SLOW_RATIO:
            break  # the approximation is poor here (small strata) or beta diverges: go exact
        if size * min(1.0, ratio) <= _STEP_TOL * (1.0 + np.max(np.abs(beta), initial=0.0)):
            # linear convergence: the error left after this step is about size * ratio,
            # so take it and let the exact Newton step below finish
            beta = beta + step
            break
        # near the solution the approximation hardly changes: refresh it only early on
        refresh = n_iter <= _APPROX_REFRESH
        new_beta = beta + step
        new_ll, new_grad, new_approx = core.gradient(prepared, new_beta, approx=refresh)
        halvings = 0
        while not np.isfinite(new_ll) or new_ll < ll - 1e-12 * abs(ll):
            halvings += 1
            if halvings > 30:
                break
            step = step / 2.0
            new_beta = beta + step
            new_ll, new_grad, new_approx = core.gradient(prepared, new_beta, approx=refresh)
        if halvings > 30:
            break  # no ascent along this direction: let exact Newton take over
        last = float(np.max(np.abs(step), initial=0.0))
        beta, ll, grad = new_beta, new_ll, new_grad
        if new_approx is not None:
            approx = new_approx

    ll_prev: float | None = None
    while True:
        ll, grad, info = core.derivatives(prepared, beta)
        step = _solve(info, grad)
        size = float(np.max(np.abs(step), initial=0.0))
        if size <= _POLISH_TOL * (1.0 + np.max(np.abs(beta), initial=0.0)):
            # one Newton step from here changes beta by O(size^2) (quadratic convergence);
            # the log-likelihood moves by grad'step / 2 to second order
            beta = beta + step
            ll = ll + 0.5 * float(grad @ step)
            return _Fit(beta, info, ll, ll_null, True, np.zeros(p, dtype=bool), n_iter)
        infinite = (np.abs(step) > _INF_EPS) & (np.abs(step) > _INF_TOLER * np.abs(beta))
        if ll_prev is not None and _loglik_converged(ll, ll_prev, grad, tol) and infinite.any():
            return _Fit(beta, info, ll, ll_null, False, infinite, n_iter)
        if n_iter >= max_iter:
            return _Fit(beta, info, ll, ll_null, False, np.zeros(p, dtype=bool), n_iter)
        n_iter += 1
        new_beta = beta + step
        new_ll = core.loglik(prepared, new_beta)
        halvings = 0
        while (not np.isfinite(new_ll) or new_ll < ll - 1e-12 * abs(ll)) and halvings < 30:
            halvings += 1
            step = step / 2.0
            new_beta = beta + step
            new_ll = core.loglik(prepared, new_beta)
        beta, ll_prev = new_beta, ll


def clogit(
    y: ArrayLike,
    X: ArrayLike,
    *,
    groups: ArrayLike,
    names: Sequence[str] | None = None,
    tol: float = 1e-10,
    max_iter: int = 50,
) -> ClogitResult:
    """Fit a conditional (fixed-effects) logit model with the exact likelihood.

    Parameters
    ----------
    y : 0/1 outcome, length N.
    X : covariates, shape (N, p); no intercept (it is conditioned away).
    groups : stratum (person) identifier per row, any hashable labels.
    names : term names, default ``x0..x{p-1}``.

    Strata with no or only events carry no information and are dropped (warned with a
    :class:`~python_udfs.stats_errors.ModelWarning` giving the counts).
    """
    t0 = time.perf_counter()
    y_arr = np.asarray(y)
    X_arr = np.asarray(X, dtype=np.float64)
    if X_arr.ndim == 1:
        X_arr = X_arr[:, None]
    if X_arr.ndim != 2 or y_arr.ndim != 1 or X_arr.shape[0] != y_arr.shape[0]:
        raise StatsError("y must be 1-D and X must be 2-D with the same number of rows")
    g_arr = np.asarray(groups)
    if g_arr.shape != y_arr.shape:
        raise StatsError("groups must have one label per row")
    if not np.all(np.isin(y_arr, (0, 1))):
        raise StatsError("y must be coded 0/1")
    if not np.all(np.isfinite(X_arr)):
        raise StatsError("X contains missing or infinite values")
    p = X_arr.shape[1]
    terms = tuple(names) if names is not None else tuple(f"x{i}" for i in range(p))
    if len(terms) != p:
        raise StatsError(f"{len(terms)} names given for {p} covariates")
    _, codes = np.unique(g_arr, return_inverse=True)
    aliased = _aliased_columns(y_arr.astype(np.int64), X_arr, codes.astype(np.int64))
    if aliased.any():
        warnings.warn(
            f"not identified within the strata, estimated as NaN: {', '.join(t for t, a in zip(terms, aliased, strict=True) if a)}",
            ModelWarning,
            stacklevel=2,
        )
        if aliased.all():
            raise StatsError("no covariate varies within the informative strata")
        kept = clogit(y_arr, X_arr[:, ~aliased], groups=g_arr, names=[t for t, a in zip(terms, aliased, strict=True) if not a],
                      tol=tol, max_iter=max_iter)
        return _expand(kept, terms, aliased, time.perf_counter() - t0)
    prepared = core.prepare_strata(y_arr.astype(np.int64), X_arr, codes.astype(np.int64))
    if prepared.n_groups_dropped:
        warnings.warn(
            f"{prepared.n_groups_dropped} strata ({prepared.n_obs_dropped} rows) without "
            "outcome variation were dropped",
            ModelWarning,
            stacklevel=2,
        )
    if prepared.n_groups == 0:
        raise StatsError("no stratum has outcome variation")
    fit = _fit(prepared, p, tol, max_iter)
    if fit.separation.any():
        flagged = ", ".join(t for t, f in zip(terms, fit.separation, strict=True) if f)
        warnings.warn(
            f"log-likelihood converged before {flagged}: coefficient may be infinite (separation)",
            ConvergenceWarning,
            stacklevel=2,
        )
    elif not fit.converged:
        warnings.warn(f"no convergence after {fit.n_iter} iterations", ConvergenceWarning, stacklevel=2)
    beta = fit.beta
    q = stats.norm.ppf(0.975)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # exp overflows to inf for separated (huge) coefficients: that is the answer
        se = np.sqrt(np.diag(np.linalg.inv(fit.info)))
        z = beta / se
        odds_ratio = np.exp(beta)
        ci_low = np.exp(beta - q * se)
        ci_high = np.exp(beta + q * se)
    ci_high = np.where(fit.separation & (beta > 0), np.inf, ci_high)
    ci_low = np.where(fit.separation & (beta < 0), 0.0, ci_low)
    pval = 2.0 * stats.norm.sf(np.abs(z))
    return ClogitResult(
        terms=terms,
        coef=beta,
        se=se,
        odds_ratio=odds_ratio,
        ci_low=ci_low,
        ci_high=ci_high,
        z=z,
        p=pval,
        loglik=fit.loglik,
        loglik_null=fit.loglik_null,
        n_obs=prepared.n_obs,
        n_groups=prepared.n_groups,
        n_groups_dropped=prepared.n_groups_dropped,
        n_obs_dropped=prepared.n_obs_dropped,
        converged=fit.converged,
        separation=fit.separation,
        n_iter=fit.n_iter,
        seconds=time.perf_counter() - t0,
        aliased=np.zeros(p, dtype=bool),
    )


def _aliased_columns(y: NDArray[np.int64], X: NDArray[np.float64], codes: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Covariates without identified effect: after removing stratum means over the informative strata
    (0 < events < rows), a column that is zero, or in the span of earlier columns (pivot-free Gram-Schmidt
    in column order, relative tolerance 1e-10, as coxph's ``toler.chol``)."""
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    rows = np.bincount(codes, minlength=n_groups)
    events = np.bincount(codes, weights=y, minlength=n_groups)
    keep = ((events > 0) & (events < rows))[codes]
    Xi, ci = X[keep], codes[keep]
    p = X.shape[1]
    aliased = np.zeros(p, dtype=bool)
    if Xi.shape[0] == 0:
        return aliased
    counts = np.bincount(ci, minlength=n_groups).astype(np.float64)
    counts[counts == 0] = 1.0
    basis: list[NDArray[np.float64]] = []
    for j in range(p):
        col = Xi[:, j] - (np.bincount(ci, weights=Xi[:, j], minlength=n_groups) / counts)[ci]
        scale = float(np.sqrt(col @ col))
        reference = float(np.sqrt(Xi[:, j] @ Xi[:, j])) or 1.0
        for b in basis:
            col = col - (b @ col) * b
        norm = float(np.sqrt(col @ col))
        if norm <= 1e-10 * max(scale, reference) or scale == 0.0:
            aliased[j] = True
        else:
            basis.append(col / norm)
    return aliased


def _expand(res: ClogitResult, terms: tuple[str, ...], aliased: NDArray[np.bool_], seconds: float) -> ClogitResult:
    """The result of the fit without the aliased columns, with NaN rows put back for them."""
    def full(values: NDArray[Any], fill: Any) -> NDArray[Any]:
        out = np.full(len(terms), fill, dtype=np.asarray(values).dtype)
        out[~aliased] = values
        return out

    return ClogitResult(
        terms=terms, coef=full(res.coef, np.nan), se=full(res.se, np.nan), odds_ratio=full(res.odds_ratio, np.nan),
        ci_low=full(res.ci_low, np.nan), ci_high=full(res.ci_high, np.nan), z=full(res.z, np.nan), p=full(res.p, np.nan),
        loglik=res.loglik, loglik_null=res.loglik_null, n_obs=res.n_obs, n_groups=res.n_groups,
        n_groups_dropped=res.n_groups_dropped, n_obs_dropped=res.n_obs_dropped, converged=res.converged,
        separation=full(res.separation, False), n_iter=res.n_iter, seconds=seconds, aliased=aliased.copy(),
    )


def design_matrix(
    df: pd.DataFrame,
    covariates: Sequence[str],
    categorical: Mapping[str, str] | None = None,
) -> tuple[NDArray[np.float64], list[str]]:
    """Numeric design matrix; categorical columns are dummy-coded against their reference.

    Dummy columns are named ``col[level]`` with levels in sorted order.
    """
    categorical = dict(categorical or {})
    unknown = set(categorical) - set(covariates)
    if unknown:
        raise StatsError(f"categorical columns not among covariates: {sorted(unknown)}")
    cols: list[NDArray[np.float64]] = []
    names: list[str] = []
    for cov in covariates:
        if cov not in df.columns:
            raise StatsError(f"column {cov!r} not in data")
        if cov in categorical:
            ref = categorical[cov]
            values = df[cov].astype(str).to_numpy()
            levels = sorted(set(values))
            if ref not in levels:
                raise StatsError(f"reference level {ref!r} does not occur in {cov!r}")
            for level in levels:
                if level != ref:
                    cols.append((values == level).astype(np.float64))
                    names.append(f"{cov}[{level}]")
        else:
            cols.append(pd.to_numeric(df[cov], errors="raise").to_numpy(dtype=np.float64))
            names.append(cov)
    return np.column_stack(cols) if cols else np.zeros((len(df), 0)), names


def clogit_from_frame(
    df: pd.DataFrame,
    *,
    outcome: str,
    covariates: Sequence[str],
    subject_id: str,
    categorical: Mapping[str, str] | None = None,
    tol: float = 1e-10,
    max_iter: int = 50,
) -> ClogitResult:
    """Fit :func:`clogit` from a long (person-period) data frame.

    ``categorical`` maps a covariate column to its reference level; the other levels
    become dummies named ``col[level]``.  Rows with missing values in the outcome, the
    covariates or the subject id are removed.
    """
    needed = [outcome, subject_id, *covariates]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise StatsError(f"columns not in data: {missing}")
    data = df.dropna(subset=needed)
    X, names = design_matrix(data, covariates, categorical)
    y = pd.to_numeric(data[outcome], errors="raise").to_numpy()
    return clogit(y, X, groups=data[subject_id].to_numpy(), names=names, tol=tol, max_iter=max_iter)
