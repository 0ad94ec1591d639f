"""Take a query result OUT of the warehouse: the output gate, the disclosure conventions, CSV, the log.

Every output path (``warehouse export``, reports, ``warehouse publish``) goes through the output gate
(:func:`warehouse.gate.release`: person counts per cell from the query's structure) and then
:func:`disclosure_check` (the table conventions of :mod:`warehouse.disclosure`).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse.gate import Release, release
from warehouse.guard import check_frame_values


@dataclass(frozen=True)
class ExportResult:
    out: Path
    rows: int
    columns: list[str]
    disclosure_checked: bool
    release: Release | None = None
    log: Path | None = None


def disclosure_check(frame: pd.DataFrame, profile: str = "cbs", counts: list[str] | None = None) -> pd.DataFrame:
    """Apply the table conventions (round/suppress counts, percentages from rounded counts) and verify the
    result is safe to leave; ``counts``: the columns the gate classed as counts (default: ``n``/``n_*``)."""
    from warehouse.disclosure import assert_safe, count_columns_of, protect

    columns = list(counts) if counts is not None else count_columns_of(frame)
    for column in columns:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    protected = protect(frame, columns, profile=profile)
    assert_safe(protected, profile, columns)
    return protected


def guarded_frame(con: Any, sql: str, profile: str = "cbs") -> tuple[pd.DataFrame, Release]:
    """The result of an export query after the output gate and the disclosure conventions."""
    gated = release(con, sql, profile)
    frame = gated.frame
    check_frame_values(list(frame.columns), list(frame.itertuples(index=False, name=None)))
    counts = [column for column, kind in gated.classes.items() if "count" in kind.split("+")]
    frame = frame.copy()
    for column, kind in gated.classes.items():  # integral group keys stay integers (NULL made them floats)
        values = pd.to_numeric(frame[column], errors="coerce") if kind == "key" else None
        if values is not None and values.notna().sum() == frame[column].notna().sum() and \
                pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            frame[column] = values.astype("Int64")
    return disclosure_check(frame, profile, counts), gated


def write_csv_atomically(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            frame.to_csv(handle, index=False)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_query(con: Any, sql: str, out: Path, profile: str = "cbs", *, db: Path | None = None) -> ExportResult:
    """Gate and disclosure-check ``sql``, write its result to ``out`` as CSV, and log the release
    (``out.log.json`` beside it; ``meta.outputs`` of ``db`` when given)."""
    from warehouse.outputs import record, store_in, write_log_file

    frame, gated = guarded_frame(con, sql, profile)
    entry = record(gated, command="export", target=str(out))
    if db is not None:  # logged before it is written: no release without its log entry
        con.close()
        store_in(db, [entry])
    write_csv_atomically(frame, out)
    log = write_log_file(entry, out)
    return ExportResult(out=out, rows=len(frame), columns=list(frame.columns), disclosure_checked=True,
                        release=gated, log=log)
