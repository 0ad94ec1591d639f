"""Maximum-likelihood fitting of group-based trajectory models (multi-start L-BFGS-B).

Model: Nagin (2005) / Jones, Nagin & Roeder (2001) finite mixture of Poisson or
zero-inflated Poisson regressions of counts on a polynomial in age (as Stata ``traj`` and
R ``crimCV``, Nielsen et al. 2014). Each seeded start (``numpy.random.default_rng(seed)``)
is optimised to convergence with L-BFGS-B on the full log-likelihood with its analytic
gradient; the best optimum is polished with tighter tolerances. Groups are then ordered
by their mean expected count over the observed age range (ascending), so reported
results do not depend on which start won. The fit runs with a single-threaded BLAS
(:mod:`python_udfs.gbtm.threads`); the likelihood is evaluated on unique response patterns
by sparse products (:mod:`python_udfs.gbtm.likelihood`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from python_udfs.gbtm.data import CompressedData, TrajectoryData, compress
from python_udfs.gbtm.errors import GbtmDataError, GbtmSpecError
from python_udfs.gbtm.likelihood import ModelSpec, age_scaling, design, evaluate, pack, unpack
from python_udfs.gbtm.model import GbtmModel
from python_udfs.gbtm.options import validate_model_kind, validate_spec
from python_udfs.gbtm.result import BAND_METHOD, GbtmResult
from python_udfs.gbtm.starts import initial_theta
from python_udfs.gbtm.threads import single_threaded_blas

BETA_BOUND = 25.0
GAMMA_BOUND = 25.0
LOGIT_BOUND = 25.0
BEST_TOL = 1e-4
POLISH_WINDOW = 1.0
POLISH_GAIN_FACTOR = 10.0
Z95 = 1.959963984540054


@dataclass(frozen=True)
class _Problem:
    """Optimisation problem in an orthonormalised polynomial basis (better conditioning).

    ``x_mat = raw_x @ tx`` so raw coefficients are ``tx @ beta_orth`` (same for ZI).
    """

    spec: ModelSpec
    cd: CompressedData
    x_mat: np.ndarray
    z_mat: np.ndarray | None
    tx: np.ndarray
    tz: np.ndarray | None

    def to_raw(self, theta: np.ndarray) -> np.ndarray:
        beta, gamma, logits = unpack(theta, self.spec)
        raw_gamma = None if gamma is None or self.tz is None else gamma @ self.tz.T
        return pack(beta @ self.tx.T, raw_gamma, logits)

    def to_orth(self, theta_raw: np.ndarray) -> np.ndarray:
        beta, gamma, logits = unpack(theta_raw, self.spec)
        orth_gamma = None if gamma is None or self.tz is None else gamma @ np.linalg.inv(self.tz).T
        return pack(beta @ np.linalg.inv(self.tx).T, orth_gamma, logits)

    def jacobian_to_raw(self) -> np.ndarray:
        """d theta_raw / d theta_orth (block diagonal, linear)."""
        s = self.spec
        blocks = [np.kron(np.eye(s.groups), self.tx)]
        if s.kind == "zip" and self.tz is not None:
            blocks.append(np.kron(np.eye(s.groups), self.tz))
        blocks.append(np.eye(s.groups - 1))
        size = sum(b.shape[0] for b in blocks)
        out = np.zeros((size, size))
        at = 0
        for b in blocks:
            out[at : at + b.shape[0], at : at + b.shape[0]] = b
            at += b.shape[0]
        return out

    def objective(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        ev = evaluate(theta, self.spec, self.cd, self.x_mat, self.z_mat)
        scale = self.cd.weights.sum()
        assert ev.gradient is not None
        return -ev.loglik / scale, -ev.gradient / scale

    def bounds(self) -> list[tuple[float, float]]:
        s = self.spec
        return (
            [(-BETA_BOUND, BETA_BOUND)] * s.n_beta
            + [(-GAMMA_BOUND, GAMMA_BOUND)] * s.n_gamma
            + [(-LOGIT_BOUND, LOGIT_BOUND)] * (s.groups - 1)
        )


@dataclass(frozen=True)
class _Run:
    theta: np.ndarray
    loglik: float
    iterations: int
    success: bool


def _optimise(problem: _Problem, theta0: np.ndarray, max_iter: int, ftol: float, gtol: float) -> _Run:
    res = minimize(
        problem.objective, theta0, jac=True, method="L-BFGS-B", bounds=problem.bounds(),
        options={"maxiter": max_iter, "ftol": ftol, "gtol": gtol, "maxcor": 20},
    )
    theta = np.asarray(res.x, dtype=float)
    ll = evaluate(theta, problem.spec, problem.cd, problem.x_mat, problem.z_mat, want_gradient=False).loglik
    return _Run(theta, ll, int(res.nit), bool(res.success))


def _orthonormal(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Basis ``raw @ t`` with orthogonal columns of norm sqrt(T); returns (basis, t)."""
    r = np.linalg.qr(raw, mode="r")
    sign = np.sign(np.diag(r))
    sign[sign == 0] = 1.0
    t = np.linalg.inv(r * sign[:, None]) * np.sqrt(raw.shape[0])
    return raw @ t, t


def _problem(spec: ModelSpec, cd: CompressedData, ages: np.ndarray) -> _Problem:
    x_mat, tx = _orthonormal(design(ages, spec.age_center, spec.age_scale, spec.degree))
    z_mat, tz = None, None
    if spec.kind == "zip":
        z_mat, tz = _orthonormal(design(ages, spec.age_center, spec.age_scale, spec.zi_degree))
    return _Problem(spec, cd, x_mat, z_mat, tx, tz)


def _order_groups(model: GbtmModel) -> GbtmModel:
    """Sort groups by mean expected count over the model's ages (ascending, stable)."""
    order = np.argsort(model.expected_counts().mean(axis=1), kind="stable")
    logits = model.logits[order]
    return GbtmModel(
        model.kind, model.groups, model.degree, model.zi_degree, model.age_center, model.age_scale,
        model.beta[order].copy(), None if model.gamma is None else model.gamma[order].copy(),
        logits - logits[0], model.ages,
    )


def observed_information(problem: _Problem, theta: np.ndarray) -> np.ndarray:
    """-Hessian of the log-likelihood by central differences of the analytic gradient."""
    p = theta.size
    hess = np.empty((p, p))
    for i in range(p):
        h = 1e-5 * max(1.0, abs(theta[i]))
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        g_up = evaluate(up, problem.spec, problem.cd, problem.x_mat, problem.z_mat).gradient
        g_dn = evaluate(down, problem.spec, problem.cd, problem.x_mat, problem.z_mat).gradient
        assert g_up is not None and g_dn is not None
        hess[:, i] = (g_up - g_dn) / (2 * h)
    return -(hess + hess.T) / 2.0


def _covariance(info: np.ndarray) -> tuple[np.ndarray, bool]:
    vals, vecs = np.linalg.eigh(info)
    ok = bool(vals.min() > 1e-10 * max(vals.max(), 1.0))
    keep = vals > 1e-10 * max(vals.max(), 1.0)
    inv_vals = np.where(keep, 1.0 / np.where(keep, vals, 1.0), 0.0)
    return (vecs * inv_vals) @ vecs.T, ok


def _bands(model: GbtmModel, cov: np.ndarray, ages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method 95% band for E[y] on the log scale."""
    spec = model.spec
    x_mat, z_mat = model.design_matrices(ages)
    omega = model.zero_inflation(ages)
    log_e = np.log(model.expected_counts(ages))
    lower, upper = np.empty_like(log_e), np.empty_like(log_e)
    nb, ng = spec.degree + 1, spec.zi_degree + 1
    for j in range(spec.groups):
        idx_b = np.arange(j * nb, (j + 1) * nb)
        grads = [x_mat]
        idx = [idx_b]
        if spec.kind == "zip" and z_mat is not None:
            idx.append(spec.n_beta + np.arange(j * ng, (j + 1) * ng))
            grads.append(-omega[j][:, None] * z_mat)
        g = np.concatenate(grads, axis=1)
        ii = np.concatenate(idx)
        var = np.einsum("tp,pq,tq->t", g, cov[np.ix_(ii, ii)], g)
        se = np.sqrt(np.maximum(var, 0.0))
        lower[j], upper[j] = np.exp(log_e[j] - Z95 * se), np.exp(log_e[j] + Z95 * se)
    return lower, upper


def _subset(data: TrajectoryData, rows: np.ndarray) -> TrajectoryData:
    return TrajectoryData(
        ages=data.ages, counts=data.counts[rows],
        exposure=None if data.exposure is None else data.exposure[rows], observed=data.observed[rows],
    )


def _distinct_best(runs: list[_Run], count: int) -> list[_Run]:
    """The ``count`` best runs with distinct optima (log-likelihoods more than BEST_TOL apart)."""
    chosen: list[_Run] = []
    for i in np.argsort([-r.loglik for r in runs], kind="stable"):
        if len(chosen) == count:
            break
        if all(abs(runs[i].loglik - c.loglik) > BEST_TOL for c in chosen):
            chosen.append(runs[i])
    return chosen


def _polish(full: _Problem, candidates: list[_Run], max_iter: int) -> tuple[_Run, _Run]:
    """Re-optimise candidate optima on the full data; return (best polished, its start).

    Candidates are ranked by their full-data log-likelihood at the start. The first is
    polished; its gain ``g`` measures how far a start from a subsample optimum lies below its
    full-data optimum (about chi-square(p) * (N/n - 1) / 2, the same order for every
    optimum). Another candidate is polished only if it starts within
    ``max(POLISH_WINDOW, POLISH_GAIN_FACTOR * g)`` of the best polished value, so optima
    that cannot catch up are not optimised to full precision.
    """
    at_start = [
        evaluate(r.theta, full.spec, full.cd, full.x_mat, full.z_mat, want_gradient=False).loglik
        for r in candidates
    ]
    order = np.argsort(at_start, kind="stable")[::-1]
    best_start = candidates[order[0]]
    best = _optimise(full, best_start.theta, max_iter, ftol=1e-14, gtol=1e-9)
    margin = max(POLISH_WINDOW, POLISH_GAIN_FACTOR * max(best.loglik - at_start[order[0]], 0.0))
    for i in order[1:]:
        if at_start[i] < best.loglik - margin:
            continue
        run = _optimise(full, candidates[i].theta, max_iter, ftol=1e-14, gtol=1e-9)
        if run.loglik > best.loglik:
            best, best_start = run, candidates[i]
    return best, best_start


def fit_gbtm(
    data: TrajectoryData,
    groups: int,
    degree: int = 3,
    model: str = "zip",
    zi_degree: int = 0,
    starts: int = 20,
    seed: int = 0,
    max_iter: int = 3000,
    bands: bool = True,
    start_subsample: int | None = None,
    polish_top: int = 3,
    start_values: Sequence[GbtmModel] = (),
) -> GbtmResult:
    """Fit a K-group (ZI)Poisson trajectory model by maximum likelihood with ``starts`` starts.

    ``start_subsample``: if given and smaller than the number of persons, all starts are
    run on a seeded random subsample of that many persons and the ``polish_top`` best
    distinct optima are then re-optimised on the full data, skipping those that start too
    far below the best polished optimum to catch up (see :func:`_polish`; for very large N);
    ``n_starts_at_best`` then refers to the subsample stage. ``start_values``: models
    (same spec) used as the first starts before the random ones; ``n_starts`` counts both.
    """
    with single_threaded_blas():
        return _fit(data, groups, degree, model, zi_degree, starts, seed, max_iter, bands,
                    start_subsample, polish_top, start_values)


def _fit(
    data: TrajectoryData,
    groups: int,
    degree: int,
    model: str,
    zi_degree: int,
    starts: int,
    seed: int,
    max_iter: int,
    bands: bool,
    start_subsample: int | None,
    polish_top: int,
    start_values: Sequence[GbtmModel],
) -> GbtmResult:
    t0 = time.perf_counter()
    kind = validate_model_kind(model)
    validate_spec(groups, degree, zi_degree)
    if starts < 0 or starts + len(start_values) < 1:
        raise GbtmSpecError("need at least one start")
    if data.n_observations == 0:
        raise GbtmDataError("no observed cells")
    center, scale = age_scaling(data.ages)
    spec = ModelSpec(kind, int(groups), int(degree), int(zi_degree) if kind == "zip" else 0, center, scale)
    full = _problem(spec, compress(data), data.ages)
    rng = np.random.default_rng(seed)
    use_sub = start_subsample is not None and start_subsample < data.n_persons
    if use_sub:
        assert start_subsample is not None
        rows = np.sort(rng.choice(data.n_persons, size=start_subsample, replace=False))
        search = _problem(spec, compress(_subset(data, rows)), data.ages)
        strategy = f"starts on a random subsample of {start_subsample} persons, best {polish_top} distinct optima polished on all"
    else:
        search = full
        strategy = "all starts on the full data"
    runs = []
    given = [search.to_orth(m.theta) for m in start_values]
    for m in start_values:
        if (m.kind, m.groups, m.degree, m.zi_degree) != (spec.kind, spec.groups, spec.degree, spec.zi_degree):
            raise GbtmSpecError("start_values must have the same model, groups and degrees")
        if not np.allclose([m.age_center, m.age_scale], [center, scale]):
            raise GbtmSpecError("start_values must use the same age scaling as the data")
    for s_i in range(starts + len(given)):
        theta0 = given[s_i] if s_i < len(given) else initial_theta(spec, search.cd, search.x_mat, rng)
        runs.append(_optimise(search, theta0, min(max_iter, 500), ftol=1e-9, gtol=1e-6))
    # stage 2: tighten every start that ended near the best (others cannot be at the best)
    stage1 = np.array([r.loglik for r in runs])
    near = stage1 >= stage1.max() - POLISH_WINDOW
    runs = [
        _Run(r2.theta, r2.loglik, r.iterations + r2.iterations, r2.success) if ok else r
        for r, ok in zip(runs, near)
        for r2 in ([_optimise(search, r.theta, min(max_iter, 1000), ftol=1e-12, gtol=1e-7)] if ok else [r])
    ]
    start_ll = np.array([r.loglik for r in runs])
    n_at_best = int(np.sum(start_ll >= start_ll.max() - BEST_TOL))
    candidates = _distinct_best(runs, polish_top if use_sub else 1)
    best, first = _polish(full, candidates, max_iter)
    if not use_sub and best.loglik < first.loglik:
        best = first
    beta, gamma, logits = unpack(full.to_raw(best.theta), spec)
    fitted = _order_groups(GbtmModel(kind, spec.groups, spec.degree, spec.zi_degree, center, scale,
                                     beta.copy(), None if gamma is None else gamma.copy(), logits, data.ages))
    theta = fitted.theta
    raw_x, raw_z = fitted.design_matrices(data.ages)
    ev = evaluate(theta, spec, full.cd, raw_x, raw_z, want_gradient=False)
    post_rows = ev.posterior
    post = post_rows[full.cd.inverse]
    observed_person = data.observed.any(axis=1)
    n_ind = int(observed_person.sum())
    assigned = np.argmax(post, axis=1)[observed_person]
    pmax = post.max(axis=1)[observed_person]
    shares = fitted.shares
    shares_assigned = np.array([np.mean(assigned == j) for j in range(spec.groups)])
    with np.errstate(divide="ignore", invalid="ignore"):
        avepp = np.array([pmax[assigned == j].mean() if np.any(assigned == j) else np.nan
                          for j in range(spec.groups)])
        occ = (avepp / (1.0 - avepp)) / (shares / (1.0 - shares))
    p = spec.n_params
    ll = float(ev.loglik)
    if bands:
        info = observed_information(full, full.to_orth(theta))
        cov_orth, hess_ok = _covariance(info)
        jac = full.jacobian_to_raw()
        cov = jac @ cov_orth @ jac.T
        lower, upper = _bands(fitted, cov, data.ages)
        se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    else:
        nan = np.full((spec.groups, data.ages.size), np.nan)
        lower, upper, hess_ok, se = nan, nan.copy(), False, np.full(p, np.nan)
    return GbtmResult(
        model=kind, groups=spec.groups, degree=spec.degree, zi_degree=spec.zi_degree,
        loglik=ll, n_params=p, n_individuals=n_ind, n_observations=data.n_observations,
        bic=-2.0 * ll + p * np.log(n_ind), bic_nagin=ll - 0.5 * p * np.log(n_ind), aic=-2.0 * ll + 2.0 * p,
        shares=shares, shares_assigned=shares_assigned, avepp=avepp, occ=occ,
        converged=bool(best.success), iterations=int(first.iterations + best.iterations),
        n_starts=int(starts) + len(given), n_starts_at_best=n_at_best, start_logliks=start_ll, start_strategy=strategy,
        seconds=time.perf_counter() - t0, params=fitted, trajectory_ages=data.ages.copy(),
        trajectories=fitted.expected_counts(), trajectory_lower=lower, trajectory_upper=upper,
        band_method=BAND_METHOD, hessian_ok=hess_ok, param_se=se, posterior=post,
    )


__all__ = ["fit_gbtm", "observed_information", "pack"]
