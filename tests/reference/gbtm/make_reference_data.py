"""Regenerate the seeded simulated datasets used by the flexmix reference (run once).

    .venv/bin/python tests/reference/gbtm/make_reference_data.py

Writes tests/data/gbtm/poisson_mixture.csv and poisson_mixture_exposure.csv (+ its
exposure file): wide CSV, first column id, one column per age 12..35, empty = missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from python_udfs.gbtm.simulate import model_from_curves, simulate

DATA = Path(__file__).resolve().parents[2] / "data" / "gbtm"
AGES = np.arange(12, 36, dtype=float)


def three_group_poisson():
    a = AGES
    curves = np.array([
        np.full(a.size, np.log(0.1)),
        np.log(1.2) - ((a - 18.0) / 5.0) ** 2,
        np.log(1.5) - ((a - 27.0) / 8.0) ** 2,
    ])
    return model_from_curves(a, curves, np.array([0.5, 0.3, 0.2]), 2)


def write_wide(path: Path, values: np.ndarray, fmt: str) -> None:
    header = "id," + ",".join(str(int(a)) for a in AGES)
    rows = [header]
    for i, row in enumerate(values):
        cells = ["" if not np.isfinite(v) else format(v, fmt) for v in row]
        rows.append(f"p{i + 1:04d}," + ",".join(cells))
    path.write_text("\n".join(rows) + "\n")


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    model = three_group_poisson()
    sim = simulate(model, 300, seed=20261123, last_age_range=(20, 35))
    write_wide(DATA / "poisson_mixture.csv", sim.data.counts, ".0f")
    sim_e = simulate(model, 250, seed=20261124, last_age_range=(22, 35), exposure_low=0.3)
    assert sim_e.data.exposure is not None
    expo = np.where(sim_e.data.observed, np.round(sim_e.data.exposure, 3), np.nan)
    write_wide(DATA / "poisson_mixture_exposure_counts.csv", sim_e.data.counts, ".0f")
    write_wide(DATA / "poisson_mixture_exposure_exposure.csv", expo, ".3f")


if __name__ == "__main__":
    main()
