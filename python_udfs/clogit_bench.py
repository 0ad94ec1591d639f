"""Speed benchmark of :func:`python_udfs.clogit.clogit` (not part of the test run).

Both fits run on the same simulated person-month panel (:func:`simulate_panel`, about 12
events per person).  Each line of output is one JSON object::

    python -m python_udfs.clogit_bench 600 100000          # ours only, 600 and 100k persons x 270 months
    python -m python_udfs.clogit_bench 50 100 200 --statsmodels
                                                           # ours and statsmodels, estimates compared
    timeout 75m python -m python_udfs.clogit_bench 600 --statsmodels-only
                                                           # statsmodels alone (run it under `timeout`)

statsmodels' ``ConditionalLogit.fit()`` runs with its defaults (method BFGS, maxiter 100,
statsmodels 0.15.0); ``--sm-method newton`` selects Newton-Raphson instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
import warnings
from typing import Any

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


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fit_ours(y: NDArray[np.int64], X: NDArray[np.float64], g: NDArray[np.int64]) -> dict[str, Any]:
    """Fit ours; wall and CPU seconds, iterations and coefficients."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        c0, t0 = _cpu_seconds(), time.perf_counter()
        res = clogit(y, X, groups=g, names=NAMES)
        wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    return {"ours_seconds": wall, "ours_cpu_seconds": cpu, "ours_iterations": res.n_iter,
            "ours_converged": res.converged, "ours_coef": res.coef.tolist(), "ours_se": res.se.tolist(),
            "ours_loglik": res.loglik}


def fit_statsmodels(
    y: NDArray[np.int64], X: NDArray[np.float64], g: NDArray[np.int64], method: str = "bfgs"
) -> dict[str, Any]:
    """Fit statsmodels' ConditionalLogit with ``method``; wall and CPU seconds and estimates."""
    from statsmodels.discrete.conditional_models import ConditionalLogit

    started = _now()
    c0, t0 = _cpu_seconds(), time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm = ConditionalLogit(y, X, groups=g).fit(method=method, disp=0)
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    retvals = getattr(sm, "mle_retvals", None)  # not every statsmodels results class has it
    converged = bool(retvals.get("converged", False)) if isinstance(retvals, dict) else None
    return {"statsmodels_method": method, "statsmodels_started": started, "statsmodels_ended": _now(),
            "statsmodels_seconds": wall, "statsmodels_cpu_seconds": cpu, "statsmodels_converged": converged,
            "statsmodels_coef": np.asarray(sm.params).tolist(), "statsmodels_se": np.asarray(sm.bse).tolist(),
            "statsmodels_loglik": float(sm.llf)}


def bench_clogit(
    n_persons: int = 600, n_months: int = 270, seed: int = 1, ours: bool = True,
    statsmodels: bool = False, sm_method: str = "bfgs",
) -> dict[str, Any]:
    """Time ours and/or statsmodels on the same simulated panel and compare the estimates."""
    y, X, g = simulate_panel(n_persons, n_months, seed)
    out: dict[str, Any] = {"n_persons": n_persons, "n_months": n_months, "seed": seed, "n_rows": int(y.size),
                           "mean_events_per_person": float(y.sum() / n_persons),
                           "threads_available": len(os.sched_getaffinity(0))}
    if ours:
        out.update(fit_ours(y, X, g))
    if statsmodels:
        out.update(fit_statsmodels(y, X, g, sm_method))
    if ours and statsmodels:
        out["speedup_wall"] = out["statsmodels_seconds"] / out["ours_seconds"]
        out["speedup_cpu"] = out["statsmodels_cpu_seconds"] / out["ours_cpu_seconds"]
        out["max_abs_coef_diff"] = float(np.max(np.abs(np.subtract(out["statsmodels_coef"], out["ours_coef"]))))
        out["max_rel_se_diff"] = float(np.max(np.abs(np.divide(out["statsmodels_se"], out["ours_se"]) - 1.0)))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("persons", nargs="*", type=int, default=[600, 100_000], help="panel sizes (persons)")
    parser.add_argument("--months", type=int, default=270)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--statsmodels", action="store_true", help="also fit statsmodels' ConditionalLogit")
    parser.add_argument("--statsmodels-only", action="store_true", help="fit only statsmodels")
    parser.add_argument("--sm-method", default="bfgs", help="statsmodels fit method (default its own, bfgs)")
    args = parser.parse_args(argv)
    for n in args.persons:
        result = bench_clogit(n_persons=n, n_months=args.months, seed=args.seed,
                              ours=not args.statsmodels_only,
                              statsmodels=args.statsmodels or args.statsmodels_only, sm_method=args.sm_method)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
