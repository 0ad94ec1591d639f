"""Drive dbt in-process (dbtRunner) against the warehouse database with the project's profile."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from warehouse.config import DBT_PROJECT_DIR


@dataclass(frozen=True, slots=True)
class DbtOutcome:
    """Result of one dbt invocation."""

    success: bool
    command: tuple[str, ...]
    n_nodes: int
    failures: tuple[str, ...]


def run_dbt(db: Path, args: Sequence[str], *, quiet: bool = True) -> DbtOutcome:
    """Run ``dbt <args>`` on the warehouse at ``db`` (the profile reads ``WAREHOUSE_DB``)."""
    from dbt.cli.main import dbtRunner

    os.environ["WAREHOUSE_DB"] = str(db)
    full = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if quiet:
        full = ["--quiet", *full]
    try:
        result = dbtRunner().invoke(full)
    finally:
        _release_database()
    failures: list[str] = []
    n_nodes = 0
    if result.result is not None and hasattr(result.result, "results"):
        for node_result in result.result.results:
            n_nodes += 1
            status = str(getattr(node_result, "status", ""))
            if status.lower() in {"error", "fail", "runtimeerr"}:
                failures.append(f"{node_result.node.name}: {status} {getattr(node_result, 'message', '')}")
    if result.exception is not None:
        failures.append(str(result.exception))
    return DbtOutcome(bool(result.success), tuple(full), n_nodes, tuple(failures))


def _release_database() -> None:
    """Close dbt-duckdb's cached connection so the CLI (or a test) can reopen the file."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()
