"""Statistical disclosure control: the one gate every published number passes through.

Every table the report writes (HTML, CSV, PNG, the DuckDB ``analytics`` schema) goes through
:func:`protect` and is then checked by :func:`assert_safe`, which raises :class:`DisclosureError`
rather than let anything unsafe be written.

Profiles
--------
``cbs`` (default)
    The standard CBS Remote Access output rules (CBS Microdata Services, *Richtlijnen voor
    output-controle / Output guidelines for microdata*, rule "minimum of 10 units": every
    reported frequency and every statistic (mean, SD, percentage) must be based on at least
    **10** persons; cells below that are suppressed), combined with the rounding the study
    agreed with CBS (SPEC §4.4, RPT §1.6.4): all absolute counts are rounded to multiples of
    **5** and percentages are computed from the rounded counts.  Concretely:

    * a count whose *unrounded* value is below ``min_count`` (10) is suppressed (NaN), zeros
      included (a structural zero such as "no woman in CON" also reveals an attribute);
    * optionally (``complement=True``; off in ``cbs`` because the rounding to 5 already blurs
      ``den - n`` by up to ±4 and the study publishes shares such as "CON 100%") a count whose
      complement in its denominator (``den - n``) is positive but below ``min_count`` is suppressed
      too ("all but 3" would otherwise be readable);
    * other counts are rounded with :func:`python_udfs.sdc.round5`;
    * a percentage is ``round5(n) / round5(den)`` in whole percent and is suppressed when its
      numerator or denominator is;
    * means, SDs, medians, odds ratios and test statistics are *not* rounded to 5 (SPEC §4.4)
      but are suppressed when their basis (``n_den`` of the row) is below ``min_count``.

``study``
    The study's own agreement (RPT §1.6.4): round to 5, percentages from rounded counts, cells
    of 5 (and 0) shown — no minimum-cell suppression.

Both profiles are :class:`Profile` instances; build your own (``Profile(name=..., min_count=...)``)
or register it in :data:`PROFILES` to make the rules configurable.

Secondary (complementary) suppression is not applied: the rounding of every count to 5 makes
differencing of totals uninformative for cells suppressed at < 10 (a difference of rounded
counts has an error of up to ±4 per term).

Table conventions (what :func:`assert_safe` checks without further hints)
-------------------------------------------------------------------------
* Count columns are named ``n`` or ``n_*`` (``n_den`` = the denominator of the row).
* A table is an aggregate: its key columns (all non-float columns other than counts) identify
  its rows uniquely (more rows than groups = row-level data), and it has at most
  ``profile.max_rows`` rows.  Statistics (means, ORs, p-values) are float columns.
* No column is named like a person key (``person_id``, ``RINPERSOON...``, ``*_id``), and no value
  looks like one (``^R?\\d{9}$``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from python_udfs.sdc import round5

__all__ = [
    "DisclosureError",
    "Profile",
    "PROFILES",
    "get_profile",
    "count_columns_of",
    "protect",
    "assert_safe",
]


class DisclosureError(ValueError):
    """Raised when a table would disclose person-level information."""


@dataclass(frozen=True)
class Profile:
    """A set of output rules.

    ``base``: rounding base for counts; ``min_count``: minimum *unrounded* count of a cell and
    minimum basis of a statistic (0 = no suppression); ``complement``: also require
    ``den - n`` to be 0 or at least ``min_count``; ``max_rows``: largest table accepted as an
    aggregate.
    """

    name: str
    base: int = 5
    min_count: int = 10
    complement: bool = False
    max_rows: int = 5000
    source: str = ""

    @property
    def min_shown(self) -> int:
        """Smallest non-zero count that can appear in a protected table."""
        return max(self.base, int(math.ceil(self.min_count / self.base) * self.base)) if self.min_count else self.base


PROFILES: dict[str, Profile] = {
    "cbs": Profile(
        name="cbs",
        base=5,
        min_count=10,
        complement=False,
        source="CBS Microdata Services output guidelines (minimum 10 units per cell/statistic) "
        "+ rounding to 5 agreed for the study (SPEC §4.4)",
    ),
    "study": Profile(
        name="study",
        base=5,
        min_count=0,
        complement=False,
        source="RPT §1.6.4 as agreed with CBS: counts rounded to 5, percentages from rounded counts, "
        "cells of 5 shown (SPEC §4.4)",
    ),
}


def get_profile(profile: str | Profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except KeyError:
        raise DisclosureError(f"unknown disclosure profile {profile!r}; known: {sorted(PROFILES)}") from None


_COUNT_NAME_RE = re.compile(r"^n(_.*)?$", re.IGNORECASE)
#: Column names that denote a person key (beyond warehouse.guard's list): RINPERSOON*, *_id, id.
_KEY_NAME_RE = re.compile(r"^(rinpersoon\w*|rin|\w*person_?id|\w*_id|id|\w*persoon\w*)$", re.IGNORECASE)
PERSON_KEY_VALUE_RE = re.compile(r"^\s*R?\d{9}\s*$")


def _is_key_name(column: str) -> bool:
    try:
        from warehouse.guard import is_person_key
    except Exception:  # pragma: no cover - guard module optional
        is_person_key = None  # type: ignore[assignment]
    if is_person_key is not None and is_person_key(column):
        return True
    return bool(_KEY_NAME_RE.match(column))


def count_columns_of(frame: pd.DataFrame) -> list[str]:
    """Count columns by the naming convention (``n`` / ``n_*``)."""
    return [c for c in frame.columns if _COUNT_NAME_RE.match(str(c))]


def _as_float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def protect(
    frame: pd.DataFrame,
    count_columns: Sequence[str] | None = None,
    *,
    profile: str | Profile = "cbs",
    denominator: str | None = "n_den",
    percentages: Mapping[str, tuple[str, str]] | None = None,
    statistic_columns: Sequence[str] | None = None,
    basis: str | None = None,
) -> pd.DataFrame:
    """Return a disclosure-controlled copy of an aggregate ``frame``.

    ``count_columns`` (default: ``n``/``n_*`` by name) are suppressed below the profile minimum
    (unrounded) and rounded to the base.  ``denominator``: the count column that is the row's
    denominator (used for the complement rule and for the default percentage ``pct`` =
    ``n / n_den`` when both exist).  ``percentages``: extra ``{pct_col: (num_col, den_col)}``.
    ``statistic_columns`` (default: every other float column) are kept unrounded but suppressed
    when ``basis`` (default: ``denominator``, else the smallest count on the row) is below the
    minimum.  Suppressed values are NaN (shown as "–").
    """
    prof = get_profile(profile)
    out = frame.copy()
    counts = list(count_columns) if count_columns is not None else count_columns_of(out)
    missing = [c for c in counts if c not in out.columns]
    if missing:
        raise DisclosureError(f"count columns not in frame: {missing}")
    raw = {c: _as_float(out[c]) for c in counts}
    den_col = denominator if denominator in raw else None
    basis_col = basis or den_col

    # which float columns are statistics (means, p-values ...) rather than counts
    if statistic_columns is None:
        statistic_columns = [
            c for c in out.columns
            if c not in counts and pd.api.types.is_float_dtype(out[c])
        ]
    pct_spec = dict(percentages or {})
    if den_col and "n" in raw and "pct" not in pct_spec and "pct" not in out.columns:
        pct_spec["pct"] = ("n", den_col)
    statistic_columns = [c for c in statistic_columns if c not in pct_spec]

    suppressed: dict[str, np.ndarray] = {}
    for c in counts:
        v = raw[c]
        bad = np.zeros(len(v), dtype=bool)
        if prof.min_count:
            bad |= ~np.isnan(v) & (v < prof.min_count)
            if prof.complement and den_col and c != den_col:
                comp = raw[den_col] - v
                bad |= ~np.isnan(comp) & (comp > 0) & (comp < prof.min_count)
        suppressed[c] = bad | np.isnan(v)
    rounded = {}
    for c in counts:
        r = (prof.base * np.floor(raw[c] / prof.base + 0.5)) if prof.base != 5 else round5(raw[c])
        r = np.where(suppressed[c], np.nan, r)
        rounded[c] = r
        out[c] = pd.array([None if np.isnan(x) else int(x) for x in r], dtype="Int64")

    for pct_col, (num_col, d_col) in pct_spec.items():
        if num_col not in rounded or d_col not in rounded:
            raise DisclosureError(f"percentage {pct_col}: {num_col}/{d_col} must both be count columns")
        num, den = rounded[num_col], rounded[d_col]
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)
        out[pct_col] = np.floor(pct + 0.5)

    if prof.min_count and statistic_columns:
        if basis_col is not None:
            base_vals = raw[basis_col]
        elif counts:
            base_vals = np.nanmin(np.vstack([raw[c] for c in counts]), axis=0) if len(out) else np.array([])
        else:
            base_vals = None
        if base_vals is not None:
            small = np.isnan(base_vals) | (base_vals < prof.min_count)
            for c in statistic_columns:
                if c in out.columns:
                    vals = _as_float(out[c])
                    out[c] = np.where(small, np.nan, vals)
    out.attrs = dict(frame.attrs)
    out.attrs["disclosure"] = {"profile": prof.name, "count_columns": counts}
    return out


def _values_look_like_keys(series: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_float_dtype(series):
        vals = pd.to_numeric(series, errors="coerce").dropna()
        return bool(((vals >= 1e8) & (vals < 1e9) & (vals == np.floor(vals))).any())
    vals = series.dropna().astype(str)
    return bool(vals.str.match(PERSON_KEY_VALUE_RE).any())


def assert_safe(
    frame: pd.DataFrame,
    profile: str | Profile = "cbs",
    count_columns: Iterable[str] | None = None,
    *,
    name: str = "table",
) -> None:
    """Raise :class:`DisclosureError` unless ``frame`` is a protected aggregate under ``profile``."""
    prof = get_profile(profile)
    if count_columns is None:
        recorded = frame.attrs.get("disclosure", {}).get("count_columns")
        counts = list(dict.fromkeys([*(recorded or []), *count_columns_of(frame)]))
    else:
        counts = list(count_columns)
    for c in frame.columns:
        if _is_key_name(str(c)):
            raise DisclosureError(f"{name}: column {c!r} is named like a person key")
        if _values_look_like_keys(frame[c]) and str(c) not in counts:
            raise DisclosureError(f"{name}: column {c!r} holds values shaped like a person key")
    if len(frame) > prof.max_rows:
        raise DisclosureError(f"{name}: {len(frame)} rows > {prof.max_rows}: looks like row-level data")
    for c in counts:
        if c not in frame.columns:
            raise DisclosureError(f"{name}: count column {c!r} missing")
        vals = pd.to_numeric(frame[c], errors="coerce")
        if frame[c].notna().sum() != vals.notna().sum():
            raise DisclosureError(f"{name}: count column {c!r} is not numeric")
        v = vals.dropna().to_numpy(dtype=float)
        if (v != np.floor(v)).any() or (np.mod(v, prof.base) != 0).any():
            raise DisclosureError(f"{name}: count column {c!r} holds values that are not multiples of {prof.base}")
        if prof.min_count and ((v < prof.min_count)).any():
            raise DisclosureError(f"{name}: count column {c!r} holds cells below the minimum {prof.min_count}")
        if (v < 0).any():
            raise DisclosureError(f"{name}: count column {c!r} holds negative counts")
    # row-level data: the key columns (non-float, non-count) must identify the rows
    keys = [c for c in frame.columns if c not in counts and not pd.api.types.is_float_dtype(frame[c])]
    if len(frame) > 1:
        if not keys:
            raise DisclosureError(f"{name}: {len(frame)} rows without group columns: looks like row-level data")
        dup = frame.duplicated(subset=keys, keep=False)
        if dup.any():
            raise DisclosureError(
                f"{name}: {int(dup.sum())} rows share their group key {keys}: more rows than groups (row-level data?)"
            )
        for c in keys:
            col = frame[c].dropna()
            if len(col) >= 50 and col.is_unique and col.astype(str).str.fullmatch(r"[A-Za-z]?\d{5,}").all():
                raise DisclosureError(f"{name}: column {c!r} holds unique id-like values (row-level data)")


@dataclass
class ProtectedTable:
    """A protected table with its name and metadata (title, SPEC ref) for writers."""

    name: str
    frame: pd.DataFrame
    title: str = ""
    spec: str = ""
    meta: dict[str, str] = field(default_factory=dict)
