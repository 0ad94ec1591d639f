"""Take a query result OUT of the warehouse: guard, disclosure check, CSV.

Every output path (``warehouse export``, reports, ``warehouse publish``) goes through
:func:`warehouse.guard.check_export` and then :func:`disclosure_check`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse.guard import check_export, check_frame_values


@dataclass(frozen=True)
class ExportResult:
    out: Path
    rows: int
    columns: list[str]
    disclosure_checked: bool


def disclosure_check(frame: pd.DataFrame, profile: str = "cbs") -> pd.DataFrame:
    """Apply disclosure control (round/suppress counts) and verify the result is safe to leave."""
    from warehouse.disclosure import assert_safe, protect

    protected = protect(frame, profile=profile)
    assert_safe(protected, profile)
    return protected


def guarded_frame(con: Any, sql: str, profile: str = "cbs") -> tuple[pd.DataFrame, bool]:
    """The result of an export query after the lineage guard and the disclosure check."""
    check_export(sql, con)
    relation = con.execute(sql)
    columns = [d[0] for d in relation.description]
    rows = relation.fetchall()
    check_frame_values(columns, rows)
    frame = pd.DataFrame.from_records(rows, columns=columns)
    return disclosure_check(frame, profile), True


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


def export_query(con: Any, sql: str, out: Path, profile: str = "cbs") -> ExportResult:
    """Guard and disclosure-check ``sql``, then write its result to ``out`` as CSV."""
    frame, checked = guarded_frame(con, sql, profile)
    write_csv_atomically(frame, out)
    return ExportResult(out=out, rows=len(frame), columns=list(frame.columns), disclosure_checked=checked)
