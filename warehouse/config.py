"""Paths and settings shared by the CLI, ingest and the dbt driver."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = PROJECT_ROOT / "seeds"
SQL_DIR = PROJECT_ROOT / "sql"

DEFAULT_DB = Path("warehouse.duckdb")


def resolve_db(db: Path | str | None = None) -> Path:
    """The warehouse database: ``--db``, else ``$WAREHOUSE_DB``, else ``./warehouse.duckdb``."""
    if db is not None:
        return Path(db).resolve()
    env = os.environ.get("WAREHOUSE_DB")
    return Path(env).resolve() if env else DEFAULT_DB.resolve()


def duckdb_settings() -> dict[str, str]:
    """Memory and spilling settings for large builds on shared 2-core / 24 GB machines."""
    return {
        "memory_limit": os.environ.get("WAREHOUSE_MEMORY_LIMIT", "8GB"),
        "threads": os.environ.get("WAREHOUSE_THREADS", str(os.cpu_count() or 2)),
        "preserve_insertion_order": "false",
    }


#: Connect-time DuckDB settings for every connection the warehouse opens: never download, install or
#: load an extension behind the user's back (``::inet``, ``stem()``, ``'s3://...'`` would otherwise
#: fetch one from extensions.duckdb.org). An extension the warehouse needs is loaded explicitly.
NO_EXTENSION_AUTOLOAD: dict[str, bool] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def connect_config() -> dict[str, str | bool]:
    """The ``config`` for ``duckdb.connect``: :func:`duckdb_settings` (minus the per-build ones) and
    :data:`NO_EXTENSION_AUTOLOAD`."""
    config: dict[str, str | bool] = {k: v for k, v in duckdb_settings().items() if k != "preserve_insertion_order"}
    config.update(NO_EXTENSION_AUTOLOAD)
    return config
