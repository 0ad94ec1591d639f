"""Registration of the python_udfs functions on a DuckDB connection.

Used by the dbt-duckdb plugin (:mod:`python_udfs.plugin`) and by every connection the
``warehouse`` CLI opens, so dbt, the CLI and the tests see the same functions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import duckdb
import pyarrow as pa
from duckdb.sqltypes import DOUBLE

from python_udfs.sdc import round5

#: Optional registration hooks of the statistical sub-packages, imported when present.
_EXTRA_REGISTRARS: tuple[tuple[str, str], ...] = (
    ("python_udfs.gbtm.register", "register_gbtm_udfs"),
    ("python_udfs.stats_register", "register_stats_udfs"),
)


def _round5_arrow(values: pa.Array) -> pa.Array:
    data = values.to_numpy(zero_copy_only=False).astype(float)
    return pa.array(round5(data), type=pa.float64())


def _registrars() -> list[Callable[[duckdb.DuckDBPyConnection], None]]:
    found = []
    for module_name, attribute in _EXTRA_REGISTRARS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                continue
            raise
        found.append(getattr(module, attribute))
    return found


def register_udfs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Register every warehouse UDF on ``con``; returns the function names registered."""
    existing = {
        row[0]
        for row in con.execute(
            "select function_name from duckdb_functions() where function_type = 'scalar'"
        ).fetchall()
    }
    names: list[str] = []
    if "round5" not in existing:
        con.create_function(
            "round5", _round5_arrow, [DOUBLE], DOUBLE, type="arrow", null_handling="default"
        )
    names.append("round5")
    for registrar in _registrars():
        before = _function_names(con)
        registrar(con)
        names.extend(sorted(_function_names(con) - before))
    return names


def _function_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute("select function_name from duckdb_functions()").fetchall()}


__all__ = ["register_udfs"]
