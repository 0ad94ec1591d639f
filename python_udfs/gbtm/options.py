"""Literal option types and their single validation helper."""

from __future__ import annotations

from typing import Literal, cast, get_args

from python_udfs.gbtm.errors import GbtmSpecError

ModelKind = Literal["zip", "poisson"]
"""``"poisson"``: finite mixture of Poisson regressions; ``"zip"``: zero-inflated Poisson
(Nagin 2005, ch. 2; Jones, Nagin & Roeder 2001)."""

MODEL_KINDS: tuple[str, ...] = get_args(ModelKind)


def validate_model_kind(value: str) -> ModelKind:
    """Return ``value`` as a :data:`ModelKind` or raise :class:`GbtmSpecError`."""
    normalised = str(value).strip().lower()
    if normalised not in MODEL_KINDS:
        raise GbtmSpecError(f"model must be one of {MODEL_KINDS}, got {value!r}")
    return cast(ModelKind, normalised)


def validate_spec(groups: int, degree: int, zi_degree: int) -> None:
    """Check group count and polynomial degrees (raise :class:`GbtmSpecError`)."""
    if int(groups) != groups or groups < 1:
        raise GbtmSpecError(f"groups must be a positive integer, got {groups!r}")
    if int(degree) != degree or degree < 0:
        raise GbtmSpecError(f"degree must be a non-negative integer, got {degree!r}")
    if int(zi_degree) != zi_degree or zi_degree < 0:
        raise GbtmSpecError(f"zi_degree must be a non-negative integer, got {zi_degree!r}")
