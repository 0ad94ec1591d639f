"""Identical-result check between our model output and the pandas baseline's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from pandas.api import types


@dataclass(frozen=True, slots=True)
class Comparison:
    """Outcome of comparing two tables as multisets of rows (order ignored).

    ``identical`` needs the same columns, the same number of rows and, after sorting both on all
    columns, equal values in every cell (exact, including floats; NULL equals NULL).
    ``rows_only_ours`` / ``rows_only_theirs`` count rows without an equal partner (counts only:
    no person-level rows leave the comparison).
    """

    identical: bool
    rows_ours: int
    rows_theirs: int
    columns_missing: tuple[str, ...]
    columns_extra: tuple[str, ...]
    rows_only_ours: int
    rows_only_theirs: int
    columns_differing: tuple[str, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON record of the comparison."""
        return {
            "identical": self.identical,
            "rows_ours": self.rows_ours,
            "rows_theirs": self.rows_theirs,
            "columns_missing": list(self.columns_missing),
            "columns_extra": list(self.columns_extra),
            "rows_only_ours": self.rows_only_ours,
            "rows_only_theirs": self.rows_only_theirs,
            "columns_differing": list(self.columns_differing),
        }


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """One representation per kind of column: datetimes in ns, nullable booleans/integers, strings, floats."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if types.is_datetime64_any_dtype(column) or isinstance(column.dtype, pd.ArrowDtype) and "date" in str(column.dtype):
            out[name] = pd.to_datetime(column).astype("datetime64[ns]")
        elif types.is_bool_dtype(column) or (column.dtype == object and column.dropna().map(type).eq(bool).all()
                                             and column.notna().any()):
            out[name] = column.astype("boolean")
        elif types.is_integer_dtype(column):
            out[name] = column.astype("Int64")
        elif types.is_float_dtype(column):
            out[name] = column.astype("float64")
        elif column.dtype == object and column.dropna().map(lambda v: hasattr(v, "year")).all() and column.notna().any():
            out[name] = pd.to_datetime(column).astype("datetime64[ns]")
        else:
            out[name] = column.astype("string")
    return pd.DataFrame(out)


def compare_frames(ours: pd.DataFrame, theirs: pd.DataFrame) -> Comparison:
    """Compare two outputs as multisets of rows over our column set."""
    missing = tuple(c for c in ours.columns if c not in theirs.columns)
    extra = tuple(c for c in theirs.columns if c not in ours.columns)
    columns = [c for c in ours.columns if c in theirs.columns]
    left = canonical(ours[columns])
    right = canonical(theirs[columns])
    left = left.sort_values(columns, na_position="first", ignore_index=True)
    right = right.sort_values(columns, na_position="first", ignore_index=True)
    differing: list[str] = []
    if len(left) == len(right):
        for column in columns:
            a, b = left[column], right[column]
            equal = (a == b).fillna(False) | (a.isna() & b.isna())
            if not bool(equal.all()):
                differing.append(column)
    # multiset difference on all columns (NULLs compared as equal via a placeholder)
    only_ours = only_theirs = 0
    if differing or len(left) != len(right):
        key_left = left.astype("string").fillna("<NULL>")
        key_right = right.astype("string").fillna("<NULL>")
        key_left["_n"] = key_left.groupby(columns).cumcount()
        key_right["_n"] = key_right.groupby(columns).cumcount()
        merged = key_left.merge(key_right, on=[*columns, "_n"], how="outer", indicator=True)
        only_ours = int((merged["_merge"] == "left_only").sum())
        only_theirs = int((merged["_merge"] == "right_only").sum())
    identical = not missing and not extra and not differing and len(left) == len(right) and only_ours == only_theirs == 0
    return Comparison(
        identical=identical,
        rows_ours=len(ours),
        rows_theirs=len(theirs),
        columns_missing=missing,
        columns_extra=extra,
        rows_only_ours=only_ours,
        rows_only_theirs=only_theirs,
        columns_differing=tuple(differing),
    )
