"""Choosing the number of groups by BIC (Nagin 2005, ch. 4; Jones, Nagin & Roeder 2001)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from python_udfs.gbtm.data import TrajectoryData
from python_udfs.gbtm.fit import fit_gbtm
from python_udfs.gbtm.result import GbtmResult


@dataclass(frozen=True)
class SelectionRow:
    """Diagnostics of one K in the search."""

    groups: int
    loglik: float
    n_params: int
    bic: float
    bic_nagin: float
    aic: float
    min_avepp: float
    min_occ: float
    min_share: float
    n_starts_at_best: int
    seconds: float


@dataclass(frozen=True, eq=False)
class Selection:
    """Fits for K = 1..k_max and the BIC-chosen K (minimum -2LL + p ln N)."""

    rows: tuple[SelectionRow, ...]
    fits: tuple[GbtmResult, ...]
    best_k: int
    seconds: float

    @property
    def best(self) -> GbtmResult:
        return self.fits[self.best_k - 1]

    def table(self) -> list[dict[str, float | int]]:
        return [row.__dict__.copy() for row in self.rows]


def select_k(
    data: TrajectoryData,
    k_max: int,
    degree: int = 3,
    model: str = "zip",
    zi_degree: int = 0,
    starts: int = 20,
    seed: int = 0,
    bands: bool = False,
) -> Selection:
    """Fit K = 1..k_max groups and pick K with the smallest BIC (largest Nagin BIC)."""
    fits = []
    rows = []
    total = 0.0
    for k in range(1, int(k_max) + 1):
        res = fit_gbtm(data, k, degree=degree, model=model, zi_degree=zi_degree,
                       starts=starts if k > 1 else min(starts, 2), seed=seed + k, bands=bands)
        fits.append(res)
        total += res.seconds
        rows.append(SelectionRow(
            groups=k, loglik=res.loglik, n_params=res.n_params, bic=res.bic, bic_nagin=res.bic_nagin,
            aic=res.aic, min_avepp=float(np.nanmin(res.avepp)), min_occ=float(np.nanmin(res.occ)) if k > 1 else float("nan"),
            min_share=float(res.shares.min()), n_starts_at_best=res.n_starts_at_best, seconds=res.seconds,
        ))
    best_k = int(np.argmin([r.bic for r in rows])) + 1
    return Selection(tuple(rows), tuple(fits), best_k, total)
