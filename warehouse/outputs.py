"""The output log: every file or table released through the gate, as output checkers (and ACRO) keep it.

One row per released output in ``meta.outputs`` of the warehouse (time, command, target, query text,
profile, rows released and dropped, cells suppressed per column and rule, the smallest number of persons
behind a released cell), and a readable ``<output>.log.json`` beside each released file. Person counts stay in
the warehouse: the readable log holds per-rule tallies only (the smallest cell is in ``meta.outputs`` alone).
"""

from __future__ import annotations

import getpass
import json
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from warehouse.gate import Release

SCHEMA = "meta"
TABLE = "outputs"
_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{TABLE} (
    output_id varchar primary key,
    released_at timestamptz not null,
    released_by varchar,
    command varchar not null,
    target varchar not null,
    query varchar not null,
    profile varchar not null,
    rows_released bigint not null,
    rows_dropped bigint not null,
    cells_suppressed bigint not null,
    smallest_cell_persons bigint,
    columns json not null,
    suppressed json not null
)
"""


def record(release: Release, *, command: str, target: str) -> dict[str, Any]:
    """The log entry of one released output (JSON-serialisable)."""
    now = datetime.now(timezone.utc)
    smallest = None
    if not release.persons.empty:
        values = release.persons.to_numpy(dtype=float).ravel()
        values = values[(values > 0) & (values < (1 << 61))]
        smallest = int(values.min()) if values.size else None
    return {
        "output_id": f"{now:%Y%m%dT%H%M%S%f}-{abs(hash((target, release.sql))) % 10**6:06d}",
        "released_at": now.isoformat(),
        "released_by": _user(),
        "command": command,
        "target": target,
        "query": release.sql,
        "profile": release.profile,
        "rows_released": len(release.frame),
        "rows_dropped": release.rows_dropped,
        "cells_suppressed": sum(sum(rules.values()) for rules in release.suppressed.values()),
        "smallest_cell_persons": smallest,
        "columns": release.classes,
        "suppressed": release.suppressed,
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


#: Log fields that stay inside the warehouse (meta.outputs): an exact, unrounded person count.
INTERNAL_FIELDS = ("smallest_cell_persons",)


def readable(entry: dict[str, Any]) -> dict[str, Any]:
    """A log entry as it may travel with its output: without the unrounded person counts."""
    return {k: v for k, v in entry.items() if k not in INTERNAL_FIELDS}


def write_log_file(entry: dict[str, Any], path: Path) -> Path:
    """The readable log beside a released file: ``<file>.log.json``."""
    log = path.with_name(path.name + ".log.json")
    log.write_text(json.dumps(readable(entry), indent=2, default=_json_default) + "\n", encoding="utf-8")
    return log


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def store(con: Any, entries: list[dict[str, Any]]) -> None:
    """Append entries to ``meta.outputs`` (needs a read-write connection)."""
    con.execute(_DDL)
    for e in entries:
        con.execute(
            f"insert into {SCHEMA}.{TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [e["output_id"], e["released_at"], e["released_by"], e["command"], e["target"], e["query"],
             e["profile"], e["rows_released"], e["rows_dropped"], e["cells_suppressed"],
             e["smallest_cell_persons"], json.dumps(e["columns"]), json.dumps(e["suppressed"])],
        )


def store_in(db: Path, entries: list[dict[str, Any]]) -> None:
    """Append entries through a short read-write connection of its own (for read-only commands)."""
    from warehouse.db import connect

    con = connect(db)
    try:
        store(con, entries)
    finally:
        con.close()


def list_outputs(con: Any, limit: int = 50) -> list[tuple[Any, ...]]:
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [SCHEMA, TABLE]
    ).fetchone()[0]
    if not exists:
        return []
    return con.execute(
        f"select strftime(released_at, '%Y-%m-%d %H:%M:%S'), command, target, profile, rows_released, rows_dropped, "
        f"cells_suppressed "
        f"from {SCHEMA}.{TABLE} order by released_at desc limit ?",
        [limit],
    ).fetchall()


def released_tables(con: Any) -> dict[str, int]:
    """Analytics tables recorded as released by the last report: table -> rows."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?", [SCHEMA, TABLE]
    ).fetchone()[0]
    if not exists:
        return {}
    rows = con.execute(
        f"""
        select target, rows_released from (
            select target, rows_released,
                   row_number() over (partition by target order by released_at desc) as rank
            from {SCHEMA}.{TABLE} where target like 'analytics.%'
        ) where rank = 1
        """
    ).fetchall()
    return {target.split(".", 1)[1]: rows for target, rows in rows}
