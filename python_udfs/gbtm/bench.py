"""Benchmark: K = 1..k_max ZIP search on study-sized data and a 4-group fit on 100k persons.

    .venv/bin/python -c "from python_udfs.gbtm.bench import bench_gbtm; print(bench_gbtm())"
"""

from __future__ import annotations

import time

from python_udfs.gbtm.fit import fit_gbtm
from python_udfs.gbtm.selection import select_k
from python_udfs.gbtm.simulate import planted_four_group_model, simulate


def bench_gbtm(
    n_persons: int = 630,
    k_max: int = 5,
    starts: int = 20,
    seed: int = 1,
    big_n: int = 100_000,
    big_starts: int = 10,
) -> dict:
    """Time the model search (ZIP, cubic, ``starts`` per K) and a large 4-group fit.

    The large fit runs its starts on a 10k-person subsample and polishes the best (up to
    three distinct) optima on all persons (see :func:`fit_gbtm` ``start_subsample``).
    """
    model = planted_four_group_model()
    sim = simulate(model, n_persons, seed=seed, last_age_range=(24, 35))
    t0 = time.perf_counter()
    selection = select_k(sim.data, k_max, degree=3, model="zip", starts=starts, seed=seed)
    search_seconds = time.perf_counter() - t0
    out: dict = {
        "search_seconds": search_seconds,
        "search_selected_k": selection.best_k,
        "search_table": selection.table(),
    }
    if big_n:
        big = simulate(model, big_n, seed=seed + 1, last_age_range=(24, 35))
        t0 = time.perf_counter()
        res = fit_gbtm(big.data, 4, degree=3, model="zip", starts=big_starts, seed=seed,
                       start_subsample=min(10_000, big_n))
        out.update(
            big_seconds=time.perf_counter() - t0, big_n=big_n, big_loglik=res.loglik,
            big_n_starts_at_best=res.n_starts_at_best, big_n_starts=res.n_starts,
            big_converged=res.converged, big_start_strategy=res.start_strategy,
        )
    return out
