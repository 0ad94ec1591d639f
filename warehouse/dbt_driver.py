"""Drive dbt in-process (dbtRunner) against the warehouse database with the project's profile.

Production builds (``warehouse build``, ``warehouse refresh``) run models, seeds and data tests but not
dbt unit tests: unit tests check the SQL logic on hand-made rows, do not depend on the delivery, and
are run explicitly by the test suite (:func:`run_unit_tests`, tests/test_dbt_unit_*.py).
"""

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
    nodes: tuple[str, ...] = ()
    """Names of the nodes dbt ran (models, tests, unit tests), in the order of the results."""


#: dbt arguments that leave unit tests out of a build (they run in the test suite instead).
EXCLUDE_UNIT_TESTS: tuple[str, ...] = ("--exclude-resource-type", "unit_test")


def build_args(select: str | None = None, *, unit_tests: bool = False) -> list[str]:
    """The ``dbt build`` arguments of a production build: unit tests excluded unless ``unit_tests``."""
    args = ["build"]
    if select:
        args += ["--select", select]
    if not unit_tests:
        args += list(EXCLUDE_UNIT_TESTS)
    return args


def run_unit_tests(db: Path, paths: Sequence[str], *, quiet: bool = True) -> DbtOutcome:
    """Run the dbt unit tests defined under the project folders ``paths`` (e.g. ``models/staging``).

    Needs a built warehouse at ``db``: dbt reads the column types of every mocked input relation.
    """
    if not paths:
        raise ValueError("give at least one project folder")
    selectors = [f"test_type:unit,path:{path}" for path in paths]
    return run_dbt(db, ["test", "--select", *selectors], quiet=quiet)


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
    nodes: list[str] = []
    n_nodes = 0
    if result.result is not None and hasattr(result.result, "results"):
        for node_result in result.result.results:
            n_nodes += 1
            nodes.append(str(node_result.node.name))
            status = str(getattr(node_result, "status", ""))
            if status.lower() in {"error", "fail", "runtimeerr"}:
                failures.append(f"{node_result.node.name}: {status} {getattr(node_result, 'message', '')}")
    if result.exception is not None:
        failures.append(str(result.exception))
    return DbtOutcome(bool(result.success), tuple(full), n_nodes, tuple(failures), tuple(nodes))


def _release_database() -> None:
    """Close dbt-duckdb's cached connection so the CLI (or a test) can reopen the file."""
    import gc

    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
    gc.collect()
