"""Seeded random starting values for the multi-start optimisation.

Each start picks ``K`` seed persons by k-means++ sampling on the ``log1p`` count profiles
(distance over jointly observed ages), assigns every response pattern to its nearest
seed, and fits a per-group Poisson regression on the pooled counts of that partition
(Newton on sufficient statistics). ZIP zero-inflation intercepts start at a random
logit around ``logit(0.2)``; mixing logits start at the log partition shares.
"""

from __future__ import annotations

import numpy as np

from python_udfs.gbtm.data import CompressedData
from python_udfs.gbtm.likelihood import ModelSpec, pack


def poisson_glm_stats(sum_y: np.ndarray, sum_e: np.ndarray, x_mat: np.ndarray, ridge: float = 1e-3) -> np.ndarray:
    """Maximise ``sum_t sum_y[t] * eta_t - sum_e[t] * exp(eta_t)``, ``eta = X beta`` (Newton)."""
    p = x_mat.shape[1]
    beta = np.zeros(p)
    total_y, total_e = float(sum_y.sum()), float(sum_e.sum())
    beta[0] = np.log(max(total_y, 0.5) / max(total_e, 1e-9))
    def objective(b: np.ndarray) -> float:
        eta = np.clip(x_mat @ b, -50, 50)
        return float(sum_y @ eta - sum_e @ np.exp(eta) - 0.5 * ridge * b[1:] @ b[1:])
    current = objective(beta)
    for _ in range(50):
        eta = np.clip(x_mat @ beta, -50, 50)
        mu = sum_e * np.exp(eta)
        grad = x_mat.T @ (sum_y - mu)
        grad[1:] -= ridge * beta[1:]
        hess = x_mat.T @ (mu[:, None] * x_mat) + ridge * np.eye(p)
        step = np.linalg.solve(hess + 1e-9 * np.eye(p), grad)
        t = 1.0
        while t > 1e-6:
            cand = beta + t * step
            val = objective(cand)
            if val >= current - 1e-12:
                break
            t /= 2
        if t <= 1e-6:
            break
        improvement = val - current
        beta, current = cand, val
        if improvement < 1e-10:
            break
    return beta


def _profile_distances(feat: np.ndarray, obs: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Mean squared difference over jointly observed cells (n x len(seeds))."""
    fs, os_ = feat[seeds], obs[seeds]
    sq = (feat**2) @ os_.T + obs @ (fs**2).T - 2.0 * feat @ fs.T
    common = obs @ os_.T
    return np.where(common > 0, np.maximum(sq, 0.0) / np.maximum(common, 1.0), np.inf)


def initial_theta(
    spec: ModelSpec, cd: CompressedData, x_mat: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One random starting parameter vector (see module docstring)."""
    k = spec.groups
    feat = np.log1p(cd.y / np.where(cd.obs > 0, np.maximum(cd.expo, 1e-9), 1.0)) * cd.obs
    prob = cd.weights * (cd.obs.sum(axis=1) > 0)
    prob = prob / prob.sum()
    seeds = [int(rng.choice(cd.n_rows, p=prob))]
    dmin = np.full(cd.n_rows, np.inf)
    for _ in range(1, k):
        d = _profile_distances(feat, cd.obs, np.array(seeds[-1:]))[:, 0]
        dmin = np.minimum(dmin, np.where(np.isfinite(d), d, 0.0))
        p = prob * dmin
        p = p / p.sum() if p.sum() > 0 else prob
        seeds.append(int(rng.choice(cd.n_rows, p=p)))
    dist = _profile_distances(feat, cd.obs, np.array(seeds))
    dist = np.where(np.isfinite(dist), dist, 1e6) + 1e-9 * rng.random(dist.shape)
    label = np.argmin(dist, axis=1)
    betas, shares = [], []
    pooled = poisson_glm_stats(cd.weights @ cd.y, cd.weights @ cd.expo, x_mat)
    for j in range(k):
        wj = cd.weights * (label == j)
        if wj.sum() == 0:
            b = pooled + rng.normal(0.0, 0.5, size=pooled.size)
        else:
            b = poisson_glm_stats(wj @ cd.y, wj @ cd.expo, x_mat)
        betas.append(np.clip(b, -15, 15))
        shares.append(max(wj.sum(), 1.0))
    beta = np.array(betas)
    gamma = None
    if spec.kind == "zip":
        gamma = np.zeros((k, spec.zi_degree + 1))
        gamma[:, 0] = rng.normal(-1.4, 0.7, size=k)
    logits = np.log(np.array(shares) / np.sum(shares))
    return pack(beta, gamma, logits)
