"""Seeded simulation of trajectory data from a known GBTM (for tests and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from python_udfs.gbtm.data import TrajectoryData, make_data
from python_udfs.gbtm.likelihood import age_scaling, design
from python_udfs.gbtm.model import GbtmModel

STUDY_AGES = np.arange(12, 36, dtype=float)


@dataclass(frozen=True)
class SimulatedData:
    """Simulated data and the planted (0-based) group of each person."""

    data: TrajectoryData
    groups: np.ndarray
    model: GbtmModel


def model_from_curves(
    ages: np.ndarray,
    log_rates: np.ndarray,
    shares: np.ndarray,
    degree: int,
    zero_inflation: np.ndarray | None = None,
) -> GbtmModel:
    """Project target log-rate curves (K x T) onto a polynomial of ``degree`` in scaled age."""
    center, scale = age_scaling(ages)
    x_mat = design(ages, center, scale, degree)
    beta = np.linalg.lstsq(x_mat, np.asarray(log_rates).T, rcond=None)[0].T
    k = beta.shape[0]
    gamma = None
    kind = "poisson"
    if zero_inflation is not None:
        kind = "zip"
        gamma = np.log(zero_inflation / (1 - zero_inflation)).reshape(k, 1)
    logits = np.log(np.asarray(shares, dtype=float))
    return GbtmModel(kind, k, degree, 0, center, scale, beta, gamma, logits - logits[0], np.asarray(ages, float))


def planted_four_group_model(ages: np.ndarray = STUDY_AGES) -> GbtmModel:
    """Well separated 4-group ZIP: incidental low, early peak (~18), late peak (~28), high."""
    a = np.asarray(ages, dtype=float)
    curves = np.array([
        np.full(a.size, np.log(0.06)),
        np.log(2.0) - ((a - 17.5) / 3.5) ** 2,
        np.log(1.6) - ((a - 28.0) / 4.0) ** 2,
        np.log(2.6) - ((a - 24.0) / 14.0) ** 2,
    ])
    return model_from_curves(a, curves, np.array([0.55, 0.18, 0.17, 0.10]), 3,
                             zero_inflation=np.array([0.3, 0.2, 0.2, 0.15]))


def simulate(
    model: GbtmModel,
    n_persons: int,
    seed: int,
    last_age_range: tuple[float, float] | None = None,
    exposure_low: float | None = None,
) -> SimulatedData:
    """Draw persons from ``model`` at ``model.ages``.

    ``last_age_range=(lo, hi)``: each person is right-censored at a uniform integer age in
    [lo, hi] (later ages are missing). ``exposure_low``: exposure ~ U(exposure_low, 1).
    """
    rng = np.random.default_rng(seed)
    ages = model.ages
    groups = rng.choice(model.groups, size=n_persons, p=model.shares)
    lam = model.rate(ages)[groups]
    omega = model.zero_inflation(ages)[groups]
    expo = None
    if exposure_low is not None:
        expo = rng.uniform(exposure_low, 1.0, size=lam.shape)
        lam = lam * expo
    y = rng.poisson(lam).astype(float)
    y[rng.random(lam.shape) < omega] = 0.0
    if last_age_range is not None:
        last = rng.integers(int(last_age_range[0]), int(last_age_range[1]) + 1, size=n_persons)
        y[ages[None, :] > last[:, None]] = np.nan
    return SimulatedData(make_data(ages, y, expo), groups, model)
