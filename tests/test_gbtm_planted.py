"""Planted truth: a well-separated 4-group ZIP model (incidental low, early peak, late peak,
continuous high) with right-censored ages must be recovered by assignment and by BIC."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest

from python_udfs.gbtm import select_k
from python_udfs.gbtm.simulate import planted_four_group_model, simulate


@pytest.fixture(scope="module")
def search():
    sim = simulate(planted_four_group_model(), 630, seed=2026, last_age_range=(24, 35))
    return sim, select_k(sim.data, 5, degree=3, model="zip", starts=6, seed=5)


def test_bic_selects_four_groups(search):
    _, selection = search
    assert selection.best_k == 4
    bics = [row.bic for row in selection.rows]
    assert bics[3] == min(bics)
    nagin = [row.bic_nagin for row in selection.rows]
    assert int(np.argmax(nagin)) == 3


def test_assignment_agrees_with_planted_groups(search):
    sim, selection = search
    fit = selection.fits[3]
    assigned = fit.assigned
    best = max(
        np.mean(np.array(perm)[assigned] == sim.groups) for perm in permutations(range(4))
    )
    assert best >= 0.90
    assert np.all(fit.avepp > 0.7)
    assert np.all(fit.occ > 5)


def test_recovered_trajectories_are_close_to_planted(search):
    sim, selection = search
    fit = selection.fits[3]
    truth = sim.model.expected_counts()
    order = np.argsort(truth.mean(axis=1))
    err = np.abs(fit.trajectories - truth[order])
    assert np.median(err) < 0.1
    assert fit.n_starts_at_best >= 2
