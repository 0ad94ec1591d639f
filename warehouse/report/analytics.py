"""Write disclosure-controlled figure tables into the DuckDB ``analytics`` schema (for BI publishing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from warehouse.disclosure import Profile, assert_safe, get_profile

SCHEMA = "analytics"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_analytics(
    con: Any,
    tables: Mapping[str, pd.DataFrame],
    *,
    profile: str | Profile = "cbs",
    schema: str = SCHEMA,
    comments: Mapping[str, str] | None = None,
) -> list[str]:
    """Create or replace ``schema.<name>`` for each protected frame; return the names written.

    Every frame is checked with :func:`warehouse.disclosure.assert_safe` first (nothing is written if
    one fails), and the written tables are validated with :func:`warehouse.analytics.validate_table`
    (no person-key columns or values) when that module is available.
    """
    prof = get_profile(profile)
    for name, frame in tables.items():
        assert_safe(frame, prof, name=name)
    con.execute(f'create schema if not exists "{schema}"')
    written = []
    for name, frame in tables.items():
        data = frame.copy()
        data.attrs = {}
        view = f"__report_{name}"
        con.register(view, data)
        try:
            con.execute(f'create or replace table "{schema}"."{name}" as select * from "{view}"')
        finally:
            con.unregister(view)
        note = (comments or {}).get(name)
        comment = f"{note} — " if note else ""
        comment += f"disclosure-controlled aggregate (profile {prof.name})"
        con.execute(f'comment on table "{schema}"."{name}" is {_sql_literal(comment)}')
        written.append(name)
    try:
        from warehouse.analytics import list_tables, validate_table
    except ImportError:  # pragma: no cover
        return written
    for table in list_tables(con, schema):
        if table.name in written:
            validate_table(con, table, schema)
    return written
