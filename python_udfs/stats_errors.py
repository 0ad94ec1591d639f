"""Errors and warnings raised by the statistics modules (clogit, stat_tests)."""

from __future__ import annotations


class StatsError(ValueError):
    """Invalid input to a statistical routine (shapes, empty groups, bad options)."""


class ModelWarning(UserWarning):
    """A model was fitted but something deserves attention (dropped strata, no convergence)."""


class ConvergenceWarning(ModelWarning):
    """Newton-Raphson stopped before meeting the convergence criterion."""
