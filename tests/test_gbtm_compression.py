"""Exactness of the fast likelihood: pattern compression, the sparse cell-type path,
duplicated persons, and the single-threaded BLAS guard."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from python_udfs.gbtm import fit_gbtm, make_data
from python_udfs.gbtm.data import compress, unique_rows
from python_udfs.gbtm.fit import BEST_TOL, _distinct_best, _Run
from python_udfs.gbtm.likelihood import ModelSpec, age_scaling, design, evaluate
from python_udfs.gbtm.simulate import planted_four_group_model, simulate
from python_udfs.gbtm.threads import _loaded_openblas_paths, _setter, single_threaded_blas

AGES = np.arange(12, 26, dtype=float)


def _random_data(seed: int, n: int, exposure: bool):
    """Random counts (many repeated rows), censoring, scattered missing cells, an empty row."""
    rng = np.random.default_rng(seed)
    y = rng.poisson(rng.choice([0.05, 0.4, 2.5], size=(n, 1)), size=(n, AGES.size)).astype(float)
    last = rng.integers(16, 26, size=n)
    y[AGES[None, :] > last[:, None]] = np.nan
    y[rng.random(y.shape) < 0.05] = np.nan
    y[0] = np.nan
    expo = None
    if exposure:
        expo = np.repeat(rng.choice([0.25, 0.5, 1.0], size=(n, 1)), AGES.size, axis=1)
        expo[: n // 4] = rng.choice([0.25, 0.5, 1.0], size=(n // 4, AGES.size))
        expo[rng.random(y.shape) < 0.01] = 0.0
    return make_data(AGES, y, expo)


def _spec(kind: str, groups: int, degree: int, zi_degree: int, data):
    center, scale = age_scaling(data.ages)
    spec = ModelSpec(kind, groups, degree, zi_degree if kind == "zip" else 0, center, scale)
    x_mat = design(data.ages, center, scale, degree)
    z_mat = design(data.ages, center, scale, spec.zi_degree) if kind == "zip" else None
    return spec, x_mat, z_mat


@pytest.mark.parametrize("seed", range(6))
def test_unique_rows_equals_numpy_unique(seed):
    rng = np.random.default_rng(seed)
    key = rng.integers(-1, 3, size=(int(rng.integers(1, 400)), int(rng.integers(1, 7)))).astype(float)
    key[rng.random(key.shape) < 0.1] = 0.5
    expected = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    got = unique_rows(key)
    assert_allclose(got[0], expected[0], rtol=0, atol=0)
    assert np.array_equal(got[1], expected[1].reshape(-1))
    assert np.array_equal(got[2], expected[2])
    assert np.array_equal(got[0][got[1]], key)


@pytest.mark.parametrize(
    ("kind", "exposure", "zi_degree"),
    [("zip", False, 0), ("zip", False, 2), ("poisson", False, 0), ("poisson", True, 0)],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sparse_path_equals_dense_products(kind, exposure, zi_degree, seed):
    """The cell-type / pattern path gives the dense (rows x ages) sums, value and gradient."""
    data = _random_data(seed, 300, exposure)
    spec, x_mat, z_mat = _spec(kind, 3, 3, zi_degree, data)
    cd = compress(data)
    rng = np.random.default_rng(seed + 100)
    for _ in range(3):
        theta = rng.normal(0.0, 0.8, size=spec.n_params)
        fast = evaluate(theta, spec, cd, x_mat, z_mat)
        slow = evaluate(theta, spec, cd, x_mat, z_mat, dense=False)
        assert_allclose(fast.loglik, slow.loglik, rtol=1e-13)
        assert_allclose(fast.row_loglik, slow.row_loglik, rtol=1e-12, atol=1e-12)
        assert_allclose(fast.posterior, slow.posterior, rtol=1e-10, atol=1e-13)
        assert_allclose(fast.gradient, slow.gradient, rtol=1e-9, atol=1e-8)


@pytest.mark.parametrize(("kind", "exposure"), [("zip", False), ("zip", True), ("poisson", False), ("poisson", True)])
def test_compressed_likelihood_equals_per_person(kind, exposure):
    """Frequency-weighted unique patterns reproduce the per-person likelihood and gradient."""
    data = _random_data(7, 400, exposure)
    spec, x_mat, z_mat = _spec(kind, 4, 2, 1, data)
    packed, per_person = compress(data), compress(data, compress_rows=False)
    assert packed.n_rows < per_person.n_rows
    assert packed.weights.sum() == data.n_persons
    theta = np.random.default_rng(8).normal(0.0, 0.6, size=spec.n_params)
    a = evaluate(theta, spec, packed, x_mat, z_mat)
    b = evaluate(theta, spec, per_person, x_mat, z_mat)
    assert_allclose(a.loglik, b.loglik, rtol=1e-12)
    assert_allclose(a.gradient, b.gradient, rtol=1e-9, atol=1e-8)
    assert_allclose(a.posterior[packed.inverse], b.posterior, rtol=1e-10, atol=1e-13)


def test_duplicated_persons_double_the_weights_and_the_fit():
    """Each person twice: weights double, same optimum, log-likelihood exactly doubles."""
    sim = simulate(planted_four_group_model(), 250, seed=5, last_age_range=(22, 35))
    twice = make_data(sim.data.ages, np.concatenate([sim.data.counts, sim.data.counts]))
    once_cd, twice_cd = compress(sim.data), compress(twice)
    assert np.array_equal(twice_cd.y, once_cd.y)
    assert_allclose(twice_cd.weights, 2 * once_cd.weights, rtol=0)
    a = fit_gbtm(sim.data, 3, degree=2, model="zip", starts=4, seed=2, bands=False)
    b = fit_gbtm(twice, 3, degree=2, model="zip", starts=0, start_values=[a.params], bands=False)
    assert_allclose(b.loglik, 2 * a.loglik, rtol=1e-9)
    assert_allclose(b.params.beta, a.params.beta, rtol=1e-4, atol=1e-4)
    assert_allclose(b.shares, a.shares, rtol=0, atol=1e-5)
    assert_allclose(b.posterior[: sim.data.n_persons], a.posterior, rtol=0, atol=1e-4)
    assert_allclose(b.posterior[sim.data.n_persons :], a.posterior, rtol=0, atol=1e-4)


def test_no_positive_cells_and_empty_rows():
    data = make_data(AGES[:4], [[0, 0, np.nan, 0], [np.nan] * 4, [0, 0, 0, 0]])
    spec, x_mat, z_mat = _spec("zip", 2, 1, 0, data)
    cd = compress(data)
    assert cd.sparse_form is not None and cd.sparse_form.type_age.size == 0
    theta = np.array([-1.0, 0.2, 0.5, -0.3, -1.0, 0.4, 0.3])
    fast = evaluate(theta, spec, cd, x_mat, z_mat)
    slow = evaluate(theta, spec, cd, x_mat, z_mat, dense=False)
    assert_allclose(fast.loglik, slow.loglik, rtol=1e-13)
    assert_allclose(fast.gradient, slow.gradient, rtol=1e-10, atol=1e-12)


def test_distinct_best_skips_repeated_optima():
    runs = [_Run(np.array([float(i)]), ll, 1, True) for i, ll in enumerate([-10.0, -5.0, -5.0 + BEST_TOL / 2, -7.0, -5.0])]
    chosen = _distinct_best(runs, 3)
    assert [r.loglik for r in chosen] == [-5.0 + BEST_TOL / 2, -7.0, -10.0]
    assert len(_distinct_best(runs, 1)) == 1


def test_subsample_fit_reaches_full_data_optimum():
    """Starts on a subsample then polishing on all persons finds the all-data optimum."""
    sim = simulate(planted_four_group_model(), 3000, seed=9, last_age_range=(24, 35))
    full = fit_gbtm(sim.data, 4, degree=3, model="zip", starts=4, seed=1, bands=False)
    sub = fit_gbtm(sim.data, 4, degree=3, model="zip", starts=4, seed=1, bands=False, start_subsample=800)
    assert "subsample of 800" in sub.start_strategy
    assert_allclose(sub.loglik, full.loglik, rtol=1e-9)
    assert_allclose(sub.trajectories, full.trajectories, rtol=1e-3, atol=1e-5)


def test_single_threaded_blas_restores_thread_count():
    paths = [p for p in _loaded_openblas_paths() if _setter(p) is not None]
    if not paths:
        pytest.skip("no OpenBLAS with openblas_set_num_threads_local loaded")
    setter = _setter(paths[0])
    original = setter(3)
    try:
        with single_threaded_blas():
            assert setter(1) == 1
        assert setter(3) == 3
    finally:
        setter(original)
    data = _random_data(4, 200, False)
    spec, x_mat, z_mat = _spec("zip", 3, 3, 0, data)
    cd = compress(data)
    theta = np.random.default_rng(3).normal(0.0, 0.5, size=spec.n_params)
    with single_threaded_blas():
        inside = evaluate(theta, spec, cd, x_mat, z_mat)
    outside = evaluate(theta, spec, cd, x_mat, z_mat)
    assert_allclose(inside.loglik, outside.loglik, rtol=1e-14)
