"""DuckDB connections with the warehouse UDFs registered."""

from __future__ import annotations

from pathlib import Path

import duckdb

from python_udfs.registration import register_udfs
from warehouse.config import connect_config


def connect(db: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse database (read-only for analysts) with UDFs registered.

    Extensions are never installed or loaded automatically (see ``config.NO_EXTENSION_AUTOLOAD``).
    """
    if read_only and not db.exists():
        raise FileNotFoundError(f"warehouse database {db} does not exist: run `warehouse ingest` first")
    con = duckdb.connect(str(db), read_only=read_only, config=connect_config())
    register_udfs(con)
    return con


def error_line(error: BaseException) -> str:
    """DuckDB's message on one line: its first line, without the advice to install extensions (the
    warehouse never installs or loads them for a query)."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(error).__name__
    if "extension" in str(error).lower() and ("INSTALL" in str(error) or "autoload" in str(error)):
        first = first.rstrip(".") + ": DuckDB extensions are not installed or loaded in the warehouse"
    return first
