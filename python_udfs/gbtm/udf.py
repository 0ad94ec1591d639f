"""Scalar functions for DuckDB (plain Python callables; registration in ``register.py``).

``trajectory_posterior(model_json, ages, counts[, exposure])`` returns the posterior
membership probabilities (Nagin 2005, eq. 5.1) of one person's record under a stored
model; ``trajectory_group`` the 1-based max-posterior group. NULL counts / exposure
elements are missing cells; a NULL model, ages or counts list gives NULL.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from python_udfs.gbtm.model import GbtmModel
from python_udfs.gbtm.scoring import posterior


@lru_cache(maxsize=64)
def parse_model(model_json: str) -> GbtmModel:
    """Parse (and cache) a model JSON string."""
    return GbtmModel.from_json(model_json)


def _floats(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def trajectory_posterior(
    model_json: str | None,
    ages: list[int] | None,
    counts: list[float | None] | None,
    exposure: list[float | None] | None = None,
) -> list[float] | None:
    """Posterior probabilities of the K groups (list of length K), or None on NULL input."""
    if model_json is None or ages is None or counts is None:
        return None
    if len(ages) != len(counts) or (exposure is not None and len(exposure) != len(counts)):
        raise ValueError("ages, counts and exposure must have the same length")
    model = parse_model(model_json)
    if len(ages) == 0:
        return model.shares.tolist()
    expo = None if exposure is None else _floats(exposure)
    post = posterior(model, np.asarray(ages, dtype=float), _floats(counts), expo)
    return [float(v) for v in post]


def trajectory_group(
    model_json: str | None,
    ages: list[int] | None,
    counts: list[float | None] | None,
    exposure: list[float | None] | None = None,
) -> int | None:
    """1-based group with the largest posterior probability (None on NULL input)."""
    post = trajectory_posterior(model_json, ages, counts, exposure)
    if post is None:
        return None
    return int(np.argmax(post)) + 1
