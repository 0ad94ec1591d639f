"""Speed benchmark of :func:`python_udfs.clogit.clogit` (not part of the test run).

    python -m python_udfs.clogit_bench            # 600 x 270 vs statsmodels, then 100k x 270
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import numpy as np
from numpy.typing import NDArray

from python_udfs.clogit import clogit
from python_udfs.stats_errors import ModelWarning

TRUE_BETA = np.array([0.3, 0.1, 0.2, -0.4, -0.3, 0.2, -0.05])
NAMES = ["secm[BENEFIT]", "secm[SCHOOL_STUDENT]", "secm[OTHER_NO_INCOME]", "partner", "bio_child",
         "resident_nonbio_child", "age"]


def simulate_panel(
    n_persons: int, n_months: int, seed: int
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Person-month panel from a conditional logit model (about 12 events per person)."""
    rng = np.random.default_rng(seed)
    N = n_persons * n_months
    groups = np.repeat(np.arange(n_persons), n_months)
    X = np.empty((N, 7))
    secm = rng.integers(0, 4, N)
    for j in range(3):
        X[:, j] = secm == j + 1
    X[:, 3] = rng.random(N) < 0.4
    X[:, 4] = rng.random(N) < 0.3
    X[:, 5] = rng.random(N) < 0.1
    X[:, 6] = np.repeat(rng.uniform(18, 30, n_persons), n_months) + np.tile(np.arange(n_months) / 12, n_persons)
    eta = np.repeat(rng.normal(-3.0, 1.0, n_persons), n_months) + X @ TRUE_BETA + 0.05 * 25
    y = (rng.random(N) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int64)
    return y, X, groups


def _fit_ours(y, X, g):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        t0 = time.perf_counter()
        res = clogit(y, X, groups=g, names=NAMES)
        return res, time.perf_counter() - t0


def bench_clogit(n_persons: int = 600, n_months: int = 270, seed: int = 1, statsmodels: bool = True) -> dict:
    """Time ours (and statsmodels' ConditionalLogit, BFGS default) on the same panel."""
    y, X, g = simulate_panel(n_persons, n_months, seed)
    res, ours = _fit_ours(y, X, g)
    out: dict = {"n_persons": n_persons, "n_months": n_months, "n_rows": int(y.size),
                 "mean_events_per_person": float(y.sum() / n_persons), "ours_seconds": ours,
                 "ours_iterations": res.n_iter, "ours_coef": res.coef.tolist()}
    if statsmodels:
        from statsmodels.discrete.conditional_models import ConditionalLogit

        t0 = time.perf_counter()
        sm = ConditionalLogit(y, X, groups=g).fit(disp=0)
        out["statsmodels_seconds"] = time.perf_counter() - t0
        out["speedup"] = out["statsmodels_seconds"] / ours
        out["max_abs_coef_diff"] = float(np.max(np.abs(np.asarray(sm.params) - res.coef)))
    return out


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [600, 100_000]
    for n in sizes:
        print(json.dumps(bench_clogit(n_persons=n, statsmodels=n <= 1000)), flush=True)
