"""The offending model's child covariates use the parent links the warehouse sees (KINDOUDERTAB), not the true
parents (warehouse/synth/households.py::covariates, careers.py::simulate_offending; issue #9, Table 5.1 coverage).

A resident child without a KINDOUDERTAB link to the household head is a resident non-biological child for the
warehouse (int_resident_children: not a legal child); the generator plants the non-bio child odds ratio on the same
state, so the two agree."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from warehouse.synth.households import R_CHILD, R_SINGLE, Composition, Grid, covariates

M = 3  # months


def _single_parent_with_two_children() -> tuple[Grid, Composition, SimpleNamespace]:
    """Person 0 heads a single-parent household (PLHH 7) with her children 1 and 2 in unit 0, three months."""
    U = np.zeros((3, M), np.int64)
    role = np.array([[R_SINGLE] * M, [R_CHILD] * M, [R_CHILD] * M], np.int8)
    grid = Grid(U=U, role=role, married=np.zeros(1, bool), inst_size={}, n_units=1)
    full = np.ones((3, M), bool)
    plhh = np.array([[7] * M, [1] * M, [1] * M], np.int64)
    n_child = np.array([[2] * M, [0] * M, [0] * M], np.int64)
    zero = np.zeros((3, M), np.int64)
    comp = Composition(valid=full, typ=zero, plhh=plhh, sig=zero, n_mem=np.full((3, M), 3), n_child=n_child,
                       n_other=zero, young=zero, old=zero)
    pop = SimpleNamespace(mother=np.array([-1, 0, 0]), father=np.array([-1, -1, -1]))
    return grid, comp, pop


def test_own_children_are_not_non_biological():
    grid, comp, pop = _single_parent_with_two_children()
    _, nonbio = covariates(grid, comp, pop)
    assert not nonbio.any()


def test_child_without_a_kindoudertab_link_counts_as_non_biological():
    grid, comp, pop = _single_parent_with_two_children()
    legal_mother = np.array([-1, 0, -1])  # child 2 is not listed in KINDOUDERTAB (or its mother is masked)
    _, nonbio = covariates(grid, comp, pop, legal_mother, pop.father)
    assert nonbio[0].all() and not nonbio[1:].any()
