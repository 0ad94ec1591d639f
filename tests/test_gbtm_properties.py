"""Property tests for the GBTM likelihood, fit, result object and scoring."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import approx_fprime

from python_udfs.gbtm import (
    GbtmDataError,
    GbtmModel,
    GbtmModelJsonError,
    GbtmResult,
    GbtmSpecError,
    fit_gbtm,
    make_data,
    posterior,
)
from python_udfs.gbtm.data import compress
from python_udfs.gbtm.likelihood import ModelSpec, age_scaling, design, evaluate, unpack, pack
from python_udfs.gbtm.simulate import planted_four_group_model, simulate
from python_udfs.gbtm.udf import trajectory_group, trajectory_posterior

AGES = np.arange(12, 24, dtype=float)


def _small_data(seed: int, exposure: bool, n: int = 60):
    model = planted_four_group_model(AGES)
    sim = simulate(model, n, seed=seed, last_age_range=(15, 23), exposure_low=0.2 if exposure else None)
    counts = sim.data.counts.copy()
    rng = np.random.default_rng(seed)
    counts[rng.random(counts.shape) < 0.1] = np.nan  # scattered missing cells too
    expo = sim.data.exposure
    return make_data(AGES, counts, expo)


def _setup(kind: str, groups: int, degree: int, zi_degree: int, data):
    center, scale = age_scaling(data.ages)
    spec = ModelSpec(kind, groups, degree, zi_degree if kind == "zip" else 0, center, scale)
    x_mat = design(data.ages, center, scale, degree)
    z_mat = design(data.ages, center, scale, spec.zi_degree) if kind == "zip" else None
    return spec, compress(data), x_mat, z_mat


@pytest.mark.parametrize(
    ("kind", "exposure", "zi_degree", "dense"),
    [
        ("poisson", False, 0, None),
        ("poisson", True, 0, None),
        ("zip", False, 0, None),
        ("zip", False, 2, None),
        ("zip", True, 1, None),
        ("zip", False, 1, True),
    ],
)
def test_analytic_gradient_matches_finite_differences(kind, exposure, zi_degree, dense):
    data = _small_data(1, exposure)
    spec, cd, x_mat, z_mat = _setup(kind, 3, 2, zi_degree, data)
    rng = np.random.default_rng(11)
    for _ in range(4):
        theta = rng.normal(0.0, 0.7, size=spec.n_params)
        ev = evaluate(theta, spec, cd, x_mat, z_mat, dense=dense)
        numeric = approx_fprime(
            theta, lambda t: evaluate(t, spec, cd, x_mat, z_mat, want_gradient=False, dense=dense).loglik, 1e-6
        )
        assert_allclose(ev.gradient, numeric, rtol=1e-4, atol=1e-3)


def test_dense_path_equals_matrix_path():
    data = _small_data(2, False)
    spec, cd, x_mat, z_mat = _setup("zip", 3, 3, 1, data)
    theta = np.random.default_rng(5).normal(0.0, 0.5, size=spec.n_params)
    a = evaluate(theta, spec, cd, x_mat, z_mat, dense=False)
    b = evaluate(theta, spec, cd, x_mat, z_mat, dense=True)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)
    assert_allclose(a.gradient, b.gradient, rtol=1e-9, atol=1e-9)


def test_compression_does_not_change_loglik():
    data = _small_data(3, True)
    spec, cd, x_mat, z_mat = _setup("zip", 2, 2, 0, data)
    cd_full = compress(data, compress_rows=False)
    assert cd.n_rows < cd_full.n_rows or cd.n_rows == data.n_persons
    theta = np.random.default_rng(6).normal(0.0, 0.5, size=spec.n_params)
    a = evaluate(theta, spec, cd, x_mat, z_mat)
    b = evaluate(theta, spec, cd_full, x_mat, z_mat)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)
    assert_allclose(a.gradient, b.gradient, rtol=1e-9, atol=1e-9)


def test_loglik_invariant_to_label_permutation():
    data = _small_data(4, False)
    spec, cd, x_mat, z_mat = _setup("zip", 3, 2, 1, data)
    theta = np.random.default_rng(7).normal(0.0, 0.5, size=spec.n_params)
    beta, gamma, logits = unpack(theta, spec)
    perm = np.array([2, 0, 1])
    permuted = pack(beta[perm], gamma[perm], logits[perm])
    assert_allclose(
        evaluate(theta, spec, cd, x_mat, z_mat).loglik,
        evaluate(permuted, spec, cd, x_mat, z_mat).loglik,
        rtol=1e-12,
    )


@pytest.fixture(scope="module")
def fitted():
    sim = simulate(planted_four_group_model(), 300, seed=42, last_age_range=(22, 35))
    return sim, fit_gbtm(sim.data, 3, degree=2, model="zip", starts=6, seed=3)


def test_posteriors_sum_to_one_and_match_shapes(fitted):
    sim, res = fitted
    assert res.posterior.shape == (sim.data.n_persons, 3)
    assert_allclose(res.posterior.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert_allclose(res.shares.sum(), 1.0, rtol=0, atol=1e-12)
    assert_allclose(res.shares_assigned.sum(), 1.0, rtol=0, atol=1e-12)


def test_information_criteria_identities(fitted):
    sim, res = fitted
    n = sim.data.n_individuals
    assert res.n_params == 3 * 3 + 3 * 1 + 2
    assert res.n_observations == int(np.isfinite(sim.data.counts).sum())
    assert_allclose(res.bic, -2 * res.loglik + res.n_params * np.log(n), rtol=1e-12)
    assert_allclose(res.bic_nagin, res.loglik - res.n_params / 2 * np.log(n), rtol=1e-12)
    assert_allclose(res.aic, -2 * res.loglik + 2 * res.n_params, rtol=1e-12)
    assert_allclose(res.bic, -2 * res.bic_nagin, rtol=1e-12)


def test_groups_are_ordered_and_diagnostics_consistent(fitted):
    _, res = fitted
    means = res.trajectories.mean(axis=1)
    assert np.all(np.diff(means) >= 0)
    assigned = res.assigned
    for j in range(res.groups):
        in_j = assigned == j
        assert_allclose(res.avepp[j], res.posterior[in_j, j].mean(), rtol=1e-12)
        odds = res.avepp[j] / (1 - res.avepp[j])
        assert_allclose(res.occ[j], odds / (res.shares[j] / (1 - res.shares[j])), rtol=1e-12)
    assert np.all(res.trajectory_lower <= res.trajectories + 1e-12)
    assert np.all(res.trajectory_upper >= res.trajectories - 1e-12)
    assert res.n_starts == 6 and 1 <= res.n_starts_at_best <= 6
    assert res.start_logliks.max() <= res.loglik + 1e-6


def test_row_order_invariance(fitted):
    sim, res = fitted
    perm = np.random.default_rng(0).permutation(sim.data.n_persons)
    shuffled = make_data(sim.data.ages, sim.data.counts[perm])
    res2 = fit_gbtm(shuffled, 3, degree=2, model="zip", starts=6, seed=3)
    assert_allclose(res2.loglik, res.loglik, rtol=0, atol=1e-6)
    assert_allclose(res2.posterior, res.posterior[perm], rtol=0, atol=1e-4)
    assert_allclose(res2.trajectories, res.trajectories, rtol=1e-4, atol=1e-6)


def test_label_permutation_of_start_values(fitted):
    sim, res = fitted
    m = res.params
    perm = np.array([1, 2, 0])
    permuted = GbtmModel(m.kind, m.groups, m.degree, m.zi_degree, m.age_center, m.age_scale,
                         m.beta[perm] + 0.05, m.gamma[perm] - 0.1, m.logits[perm], m.ages)
    a = fit_gbtm(sim.data, 3, degree=2, model="zip", starts=0, start_values=[permuted], bands=False)
    assert_allclose(a.loglik, res.loglik, rtol=0, atol=1e-6)
    assert_allclose(a.params.beta, m.beta, rtol=1e-3, atol=1e-3)
    assert_allclose(a.shares, res.shares, rtol=0, atol=1e-5)


def test_scoring_training_rows_reproduces_posterior(fitted):
    sim, res = fitted
    model_json = res.params.to_json()
    post = posterior(model_json, sim.data.ages, sim.data.counts)
    assert_allclose(post, res.posterior, rtol=0, atol=1e-10)
    ages = [int(a) for a in sim.data.ages]
    for i in range(0, sim.data.n_persons, 37):
        counts = [None if np.isnan(v) else float(v) for v in sim.data.counts[i]]
        assert_allclose(trajectory_posterior(model_json, ages, counts), res.posterior[i], rtol=0, atol=1e-10)
        assert trajectory_group(model_json, ages, counts) == int(np.argmax(res.posterior[i])) + 1


def test_json_round_trip(fitted):
    _, res = fitted
    text = res.to_json(include_posterior=True)
    json.loads(text)  # strict JSON (no NaN)
    back = GbtmResult.from_json(text)
    assert_allclose(back.loglik, res.loglik, rtol=1e-15)
    assert_allclose(back.params.beta, res.params.beta, rtol=1e-15)
    assert_allclose(back.trajectories, res.trajectories, rtol=1e-15)
    assert_allclose(back.posterior, res.posterior, rtol=1e-15)
    model_back = GbtmModel.from_json(res.params.to_json())
    assert_allclose(model_back.expected_counts(), res.trajectories, rtol=1e-15)


def test_exposure_scoring_and_missing_cells():
    model = planted_four_group_model()
    ages = model.ages
    counts = np.full(ages.size, np.nan)
    assert_allclose(posterior(model, ages, counts), model.shares, rtol=1e-12)
    counts[:5] = [0, 1, 2, 3, 2]
    expo = np.ones(ages.size)
    expo[:5] = 0.5
    # exposure 0 is missing: same as NaN count
    expo_missing = expo.copy()
    expo_missing[4] = 0.0
    counts_missing = counts.copy()
    counts_missing[4] = np.nan
    assert_allclose(posterior(model, ages, counts, expo_missing), posterior(model, ages, counts_missing, expo), rtol=1e-12)
    halved = posterior(model, ages, counts, expo)
    full = posterior(model, ages, counts)
    assert not np.allclose(halved, full)


def test_udf_null_handling_and_exposure():
    model_json = planted_four_group_model().to_json()
    assert trajectory_posterior(None, [12], [1.0]) is None
    assert trajectory_group(model_json, None, [1.0]) is None
    with pytest.raises(ValueError):
        trajectory_posterior(model_json, [12, 13], [1.0])
    p = trajectory_posterior(model_json, [12, 13, 14], [0.0, None, 2.0], [1.0, 1.0, 0.5])
    assert_allclose(sum(p), 1.0, rtol=0, atol=1e-12)


def test_duckdb_registration():
    duckdb = pytest.importorskip("duckdb")
    from python_udfs.gbtm.register import register_gbtm_udfs

    model_json = planted_four_group_model().to_json()
    con = duckdb.connect()
    register_gbtm_udfs(con)
    row = con.execute(
        "select trajectory_posterior(?, [16, 17, 18], [2.0, NULL, 3.0]), "
        "trajectory_group(?, [16, 17, 18], [2.0, NULL, 3.0]), "
        "trajectory_group_exposure(?, [16, 17], [2.0, 1.0], [0.5, 1.0]), "
        "trajectory_posterior(NULL, [16], [1.0])",
        [model_json] * 3,
    ).fetchone()
    expected = trajectory_posterior(model_json, [16, 17, 18], [2.0, None, 3.0])
    assert_allclose(row[0], expected, rtol=1e-12)
    assert row[1] == int(np.argmax(expected)) + 1
    assert row[2] == trajectory_group(model_json, [16, 17], [2.0, 1.0], [0.5, 1.0])
    assert row[3] is None


@pytest.mark.parametrize(
    ("counts", "exposure"),
    [([[1.0, -1.0]], None), ([[1.5, 0.0]], None), ([[1.0, 0.0, 0.0]], None), ([[1.0, 2.0]], [[1.0]])],
)
def test_bad_data_is_rejected(counts, exposure):
    with pytest.raises(GbtmDataError):
        make_data([12, 13], counts, exposure)


def test_bad_spec_and_json_are_rejected():
    data = make_data([12, 13], [[0.0, 1.0], [2.0, 0.0]])
    with pytest.raises(GbtmSpecError):
        fit_gbtm(data, 2, degree=1, model="negbin")
    with pytest.raises(GbtmSpecError):
        fit_gbtm(data, 0, degree=1, model="poisson")
    with pytest.raises(GbtmModelJsonError):
        GbtmModel.from_json('{"format": "other"}')
    with pytest.raises(GbtmModelJsonError):
        GbtmModel.from_json("not json")
