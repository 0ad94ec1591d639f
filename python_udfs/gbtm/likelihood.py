"""Log-likelihood and analytic gradient of the GBTM finite mixture.

For person ``i`` and group ``j`` (Nagin 2005, eq. 2.1; Jones, Nagin & Roeder 2001)::

    L_i = sum_j pi_j * prod_{t observed} f(y_it | j, t)
    log lambda_jt = X_t beta_j + log(exposure_it)          (X_t: powers of scaled age)
    ZIP: f(0) = w_jt + (1 - w_jt) exp(-lambda),  f(y>0) = (1 - w_jt) Pois(y; lambda)
         logit w_jt = Z_t gamma_j                          (crimCV-style ZI polynomial)
    pi = softmax(logits), logits_0 = 0.

All sums over groups use log-sum-exp. The gradient uses the identities
``d log f / d eta = (1 - s)(y - lambda)`` and ``d log f / d zeta = s - w`` where ``s`` is the
posterior probability that an observed zero is structural (0 for y > 0), weighted by the
posterior group membership. Rows are unique response patterns with frequency weights
(``data.compress``). Except for ZIP with varying exposure, every group term is a sparse
product over the cells with y > 0 plus one small product per missing-data pattern, so the
cost of an evaluation grows with the number of positive cells, not rows x ages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from python_udfs.gbtm.data import CompressedData
from python_udfs.gbtm.options import ModelKind

ETA_CLIP = 300.0


@dataclass(frozen=True)
class ModelSpec:
    """Model structure plus the age scaling ``x = (age - age_center) / age_scale``."""

    kind: ModelKind
    groups: int
    degree: int
    zi_degree: int
    age_center: float
    age_scale: float

    @property
    def n_beta(self) -> int:
        return self.groups * (self.degree + 1)

    @property
    def n_gamma(self) -> int:
        return self.groups * (self.zi_degree + 1) if self.kind == "zip" else 0

    @property
    def n_params(self) -> int:
        """Free parameters: betas, ZI coefficients, and K - 1 mixing logits."""
        return self.n_beta + self.n_gamma + self.groups - 1


def age_scaling(ages: np.ndarray) -> tuple[float, float]:
    """Centre and half-range of the ages (scaled ages lie in [-1, 1])."""
    lo, hi = float(np.min(ages)), float(np.max(ages))
    scale = (hi - lo) / 2.0
    return (lo + hi) / 2.0, scale if scale > 0 else 1.0


def design(ages: np.ndarray, center: float, scale: float, degree: int) -> np.ndarray:
    """Raw polynomial basis (T x degree+1) in scaled age."""
    x = (np.asarray(ages, dtype=float) - center) / scale
    return np.vander(x, degree + 1, increasing=True)


def unpack(theta: np.ndarray, spec: ModelSpec) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Split a parameter vector into ``beta (K, D+1)``, ``gamma (K, DZ+1) | None``, ``logits (K,)``."""
    k = spec.groups
    beta = theta[: spec.n_beta].reshape(k, spec.degree + 1)
    gamma = None
    if spec.kind == "zip":
        gamma = theta[spec.n_beta : spec.n_beta + spec.n_gamma].reshape(k, spec.zi_degree + 1)
    logits = np.concatenate([[0.0], theta[spec.n_beta + spec.n_gamma :]])
    return beta, gamma, logits


def pack(beta: np.ndarray, gamma: np.ndarray | None, logits: np.ndarray) -> np.ndarray:
    """Inverse of :func:`unpack` (logits are re-referenced to group 0)."""
    logits = np.asarray(logits, dtype=float)
    parts = [np.asarray(beta, dtype=float).ravel()]
    if gamma is not None:
        parts.append(np.asarray(gamma, dtype=float).ravel())
    parts.append((logits - logits[0])[1:])
    return np.concatenate(parts)


@dataclass(frozen=True)
class Evaluation:
    """Log-likelihood (frequency-weighted), its gradient, and per-row quantities."""

    loglik: float
    gradient: np.ndarray | None
    log_joint: np.ndarray
    row_loglik: np.ndarray

    @property
    def posterior(self) -> np.ndarray:
        return np.exp(self.log_joint - self.row_loglik[:, None])


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log(softmax(logits)) of a vector, by log-sum-exp."""
    m = float(np.max(logits))
    return logits - (m + np.log(np.sum(np.exp(logits - m))))


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """Row-wise log-sum-exp of a 2-D array."""
    m = a.max(axis=1)
    return m + np.log(np.exp(a - m[:, None]).sum(axis=1))


def evaluate(
    theta: np.ndarray,
    spec: ModelSpec,
    cd: CompressedData,
    x_mat: np.ndarray,
    z_mat: np.ndarray | None,
    want_gradient: bool = True,
    dense: bool | None = None,
) -> Evaluation:
    """Evaluate the mixture log-likelihood (and gradient) at ``theta``.

    ``dense=None`` picks the (n, K, T) path for ZIP with varying exposure, else the sparse
    path if ``cd.sparse_form`` exists, else the dense-matrix-product path; ``dense=True`` forces the (n, K, T) path and ``dense=False`` the
    dense-matrix-product path (both used in tests to cross-check the sparse path).
    """
    if dense is None:
        per_cell = spec.kind == "zip" and cd.varying_exposure
        if per_cell or cd.sparse_form is None:
            return _evaluate_dense(theta, spec, cd, x_mat, z_mat, want_gradient, per_cell=per_cell)
        return _evaluate_sparse(theta, spec, cd, x_mat, z_mat, want_gradient)
    return _evaluate_dense(theta, spec, cd, x_mat, z_mat, want_gradient, per_cell=dense)


def _finish(
    comp: np.ndarray, logits: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """Add log pi, then log-sum-exp over groups: (log_pi, log_joint, row_ll, posterior, loglik)."""
    log_pi = log_softmax(logits)
    comp += log_pi[None, :]
    m = comp.max(axis=1)
    e = np.exp(comp - m[:, None])
    total = e.sum(axis=1)
    row_ll = m + np.log(total)
    e /= total[:, None]
    return log_pi, comp, row_ll, e, float(weights @ row_ll)


def _evaluate_sparse(
    theta: np.ndarray,
    spec: ModelSpec,
    cd: CompressedData,
    x_mat: np.ndarray,
    z_mat: np.ndarray | None,
    want_gradient: bool,
) -> Evaluation:
    """Same sums as the dense path, grouped by cell type and missing-data pattern.

    Per row and group, ``sum_t log f = sum_{positive cells} (y eta_t + a_t) + sum_{observed
    cells} b_t + const`` with ``a = log(1-w) - mu - log f(0)``, ``b = log f(0)`` (ZIP) or
    ``a = 0``, ``b = -mu`` (Poisson). A positive cell's term depends only on its type
    ``(t, y)`` and the observed-cell sum only on the row's pattern, so the whole
    (rows x groups) matrix is ``indicators @ coefficients``; the gradient's cell sums are
    ``indicators.T @ posterior`` mapped back to ages. Work is laid out groups x rows so the
    log-sum-exp over groups runs along contiguous rows.
    """
    sf = cd.sparse_form
    assert sf is not None
    beta, gamma, logits = unpack(theta, spec)
    eta0 = np.clip(beta @ x_mat.T, -ETA_CLIP, ETA_CLIP)  # K x T
    mu0 = np.exp(eta0)
    if spec.kind == "poisson":
        coef_pos = np.zeros_like(eta0)
        coef_obs = -mu0
    else:
        assert gamma is not None and z_mat is not None
        zeta = gamma @ z_mat.T
        log_w = -_softplus(-zeta)
        log_1mw = -_softplus(zeta)
        log_f0 = np.logaddexp(log_w, log_1mw - mu0)
        coef_pos = log_1mw - mu0 - log_f0
        coef_obs = log_f0
    n_types = sf.type_age.size
    coef = np.empty((n_types + sf.mask_patterns.shape[0], spec.groups))
    coef[:n_types] = (sf.type_count[:, None] * eta0.T[sf.type_age]) + coef_pos.T[sf.type_age]
    if sf.expo_sparse is None:
        coef[n_types:] = sf.mask_patterns @ coef_obs.T
    else:  # Poisson with varying exposure: the observed-cell term is per row
        coef[n_types:] = 0.0
    comp = np.ascontiguousarray((sf.indicators @ coef).T)  # K x n
    if sf.expo_sparse is not None:
        comp += (sf.expo_sparse @ coef_obs.T).T
    log_pi = log_softmax(logits)
    comp += cd.y_log_exposure - cd.log_y_factorial
    comp += log_pi[:, None]
    m = comp.max(axis=0)
    post = np.exp(comp - m)
    total = post.sum(axis=0)
    row_ll = m + np.log(total)
    loglik = float(cd.weights @ row_ll)
    if not want_gradient:
        return Evaluation(loglik, None, comp.T, row_ll)
    post *= cd.weights / total  # q = weighted posterior, K x n
    sums = np.asarray(sf.indicators_t @ post.T)  # (types + patterns) x K
    by_type = sums[:n_types]
    a_y = (sf.type_count[:, None] * by_type).T @ sf.type_onehot  # K x T
    a_p = by_type.T @ sf.type_onehot
    if sf.expo_sparse is None:
        a_obs = sums[n_types:].T @ sf.mask_patterns  # K x T
    else:
        a_obs = np.asarray(sf.expo_sparse.T @ post.T).T
    if spec.kind == "poisson":
        g_eta = a_y - a_obs * mu0
        g_zeta = None
    else:
        omega = np.exp(log_w)
        s0 = np.exp(log_w - log_f0)
        a_z = a_obs - a_p
        g_eta = a_y - a_p * mu0 - a_z * mu0 * (1.0 - s0)
        g_zeta = -a_p * omega + a_z * (s0 - omega)
    return Evaluation(loglik, _gradient(g_eta, g_zeta, x_mat, z_mat, post.T, cd.weights, log_pi), comp.T, row_ll)


def _gradient(
    g_eta: np.ndarray,
    g_zeta: np.ndarray | None,
    x_mat: np.ndarray,
    z_mat: np.ndarray | None,
    q: np.ndarray,
    weights: np.ndarray,
    log_pi: np.ndarray,
) -> np.ndarray:
    """Chain rule from per-(group, age) derivatives to (beta, gamma, logits)."""
    grads = [(g_eta @ x_mat).ravel()]
    if g_zeta is not None:
        assert z_mat is not None
        grads.append((g_zeta @ z_mat).ravel())
    grads.append((q.sum(axis=0) - weights.sum() * np.exp(log_pi))[1:])
    return np.concatenate(grads)


def _evaluate_dense(
    theta: np.ndarray,
    spec: ModelSpec,
    cd: CompressedData,
    x_mat: np.ndarray,
    z_mat: np.ndarray | None,
    want_gradient: bool,
    per_cell: bool,
) -> Evaluation:
    """Dense matrix products over (rows x ages); ``per_cell``: the (n, K, T) form (needed
    for ZIP with varying exposure, where f(0) differs per cell)."""
    beta, gamma, logits = unpack(theta, spec)
    eta0 = np.clip(beta @ x_mat.T, -ETA_CLIP, ETA_CLIP)  # K x T
    mu0 = np.exp(eta0)
    const = cd.y_log_exposure - cd.log_y_factorial
    comp = cd.y @ eta0.T + const[:, None]
    cache: dict[str, np.ndarray] = {}
    if spec.kind == "poisson":
        comp -= cd.expo @ mu0.T
    else:
        assert gamma is not None and z_mat is not None
        zeta = gamma @ z_mat.T
        log_w = -_softplus(-zeta)
        log_1mw = -_softplus(zeta)
        cache.update(omega=expit(zeta))
        if not per_cell:
            log_f0 = np.logaddexp(log_w, log_1mw - mu0)
            comp += cd.positive @ (log_1mw - mu0).T + cd.zero @ log_f0.T
            cache.update(s0=np.exp(log_w - log_f0))
        else:
            mu = mu0[None, :, :] * cd.expo[:, None, :]
            log_f0 = np.logaddexp(log_w[None], log_1mw[None] - mu)
            comp += cd.positive @ log_1mw.T - (cd.positive * cd.expo) @ mu0.T
            comp += np.einsum("nt,nkt->nk", cd.zero, log_f0)
            cache.update(s=np.exp(log_w[None] - log_f0))
    log_pi, log_joint, row_ll, post, loglik = _finish(comp, logits, cd.weights)
    if not want_gradient:
        return Evaluation(loglik, None, log_joint, row_ll)
    q = post * cd.weights[:, None]  # n x K
    a_y = q.T @ cd.y
    if spec.kind == "poisson":
        g_eta = a_y - (q.T @ cd.expo) * mu0
        g_zeta = None
    else:
        omega = cache["omega"]
        a_p = q.T @ cd.positive
        a_z = q.T @ cd.zero
        if not per_cell:
            s0 = cache["s0"]
            g_eta = a_y - a_p * mu0 - a_z * mu0 * (1.0 - s0)
            g_zeta = -a_p * omega + a_z * (s0 - omega)
        else:
            s = cache["s"]
            g_eta = a_y - (q.T @ (cd.positive * cd.expo)) * mu0
            g_eta -= mu0 * np.einsum("nk,nt,nkt->kt", q, cd.zero * cd.expo, 1.0 - s)
            g_zeta = -a_p * omega + np.einsum("nk,nt,nkt->kt", q, cd.zero, s) - a_z * omega
    return Evaluation(loglik, _gradient(g_eta, g_zeta, x_mat, z_mat, q, cd.weights, log_pi), log_joint, row_ll)
