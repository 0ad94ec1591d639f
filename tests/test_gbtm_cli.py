"""CLI contract of ``warehouse gbtm fit`` via typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from python_udfs.gbtm import fit_gbtm
from python_udfs.gbtm.simulate import planted_four_group_model, simulate
from warehouse.commands.gbtm import app, read_wide_csv

RUNNER = CliRunner()
REQUIRED = {
    "model", "groups", "degree", "loglik", "n_params", "n_individuals", "n_observations", "bic", "bic_nagin",
    "aic", "shares", "shares_assigned", "avepp", "occ", "converged", "iterations", "seconds", "trajectories",
    "n_starts", "n_starts_at_best",
}


def _write(path: Path, ages, values, fmt="{:.0f}") -> None:
    lines = ["id," + ",".join(str(int(a)) for a in ages)]
    for i, row in enumerate(values):
        lines.append(f"x{i}," + ",".join("" if np.isnan(v) else fmt.format(v) for v in row))
    path.write_text("\n".join(lines) + "\n")


def _sim(n=80, exposure=False):
    ages = np.arange(14, 24, dtype=float)
    return simulate(planted_four_group_model(ages), n, seed=9, last_age_range=(18, 23),
                    exposure_low=0.5 if exposure else None)


def test_fit_json_output(tmp_path):
    sim = _sim()
    path = tmp_path / "counts.csv"
    _write(path, sim.data.ages, sim.data.counts)
    out = RUNNER.invoke(app, ["fit", "--counts", str(path), "--groups", "2", "--degree", "2", "--model", "poisson",
                              "--starts", "3", "--seed", "4", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert REQUIRED <= payload.keys()
    assert payload["n_individuals"] == sim.data.n_individuals
    assert payload["n_observations"] == sim.data.n_observations
    _, ages, counts = read_wide_csv(path)
    assert_allclose(counts, sim.data.counts, rtol=0, atol=0)
    direct = fit_gbtm(sim.data, 2, degree=2, model="poisson", starts=3, seed=4)
    assert_allclose(payload["loglik"], direct.loglik, rtol=1e-10)
    assert len(payload["trajectories"]) == 2
    assert_allclose(payload["trajectories"][1]["expected"], direct.trajectories[1], rtol=1e-8)


def test_fit_table_with_exposure_and_select_k(tmp_path):
    sim = _sim(exposure=True)
    cpath, epath = tmp_path / "c.csv", tmp_path / "e.csv"
    _write(cpath, sim.data.ages, sim.data.counts)
    expo = np.where(sim.data.observed, sim.data.exposure, np.nan)
    _write(epath, sim.data.ages, expo, "{:.6f}")
    out = RUNNER.invoke(app, ["fit", "--counts", str(cpath), "--exposure", str(epath), "--groups", "2", "--degree", "1",
                              "--model", "zip", "--starts", "2"])
    assert out.exit_code == 0, out.output
    assert "BIC" in out.stdout and "AvePP" in out.stdout
    out = RUNNER.invoke(app, ["fit", "--counts", str(cpath), "--groups", "1", "--degree", "1", "--model", "zip",
                              "--starts", "2", "--select-k", "2", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["selected_k"] in (1, 2)
    assert [row["groups"] for row in payload["selection"]] == [1, 2]


def test_bad_model_and_bad_csv(tmp_path):
    sim = _sim()
    path = tmp_path / "counts.csv"
    _write(path, sim.data.ages, sim.data.counts)
    out = RUNNER.invoke(app, ["fit", "--counts", str(path), "--groups", "2", "--model", "negbin"])
    assert out.exit_code == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("id,age12,13\na,1,2\n")
    out = RUNNER.invoke(app, ["fit", "--counts", str(bad), "--groups", "1", "--model", "poisson"])
    assert out.exit_code == 2
