"""Register the GBTM scoring functions on a DuckDB connection (the only duckdb import)."""

from __future__ import annotations

import duckdb
from duckdb.sqltypes import DOUBLE, INTEGER, VARCHAR

from python_udfs.gbtm.udf import trajectory_group, trajectory_posterior


def _posterior3(model_json, ages, counts):  # type: ignore[no-untyped-def]
    return trajectory_posterior(model_json, ages, counts)


def _group3(model_json, ages, counts):  # type: ignore[no-untyped-def]
    return trajectory_group(model_json, ages, counts)


def register_gbtm_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``trajectory_posterior``/``trajectory_group`` (model, ages, counts) and the
    ``*_exposure`` variants (model, ages, counts, exposure) on ``con``."""
    int_list = duckdb.list_type(INTEGER)
    dbl_list = duckdb.list_type(DOUBLE)
    con.create_function("trajectory_posterior", _posterior3, [VARCHAR, int_list, dbl_list], dbl_list,
                        null_handling="special", side_effects=False)
    con.create_function("trajectory_posterior_exposure", trajectory_posterior,
                        [VARCHAR, int_list, dbl_list, dbl_list], dbl_list,
                        null_handling="special", side_effects=False)
    con.create_function("trajectory_group", _group3, [VARCHAR, int_list, dbl_list], INTEGER,
                        null_handling="special", side_effects=False)
    con.create_function("trajectory_group_exposure", trajectory_group,
                        [VARCHAR, int_list, dbl_list, dbl_list], INTEGER,
                        null_handling="special", side_effects=False)
