"""Exceptions raised by the group-based trajectory modelling (GBTM) package."""

from __future__ import annotations


class GbtmError(ValueError):
    """Base class for all GBTM errors (a ``ValueError`` so callers may catch either)."""


class GbtmDataError(GbtmError):
    """The count / exposure data are malformed (negative or non-integer counts, shape mismatch...)."""


class GbtmSpecError(GbtmError):
    """The model specification is invalid (unknown model kind, bad degree, too few groups...)."""


class GbtmModelJsonError(GbtmError):
    """A serialised model (JSON) cannot be parsed or has an unsupported format."""
