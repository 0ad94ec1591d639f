"""DuckDB connections with the warehouse UDFs registered."""

from __future__ import annotations

from pathlib import Path

import duckdb

from python_udfs.registration import register_udfs
from warehouse.config import duckdb_settings


def connect(db: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse database (read-only for analysts) with UDFs registered."""
    if read_only and not db.exists():
        raise FileNotFoundError(f"warehouse database {db} does not exist: run `warehouse ingest` first")
    config = {k: v for k, v in duckdb_settings().items() if k != "preserve_insertion_order"}
    con = duckdb.connect(str(db), read_only=read_only, config=config)
    register_udfs(con)
    return con
