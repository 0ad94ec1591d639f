"""Register the statistics as DuckDB scalar UDFs (the only stats module importing duckdb).

DuckDB has no Python aggregate UDFs, so every function takes lists; build them in SQL
with ``list(x)`` (optionally ``list(x) filter (where ...)``), e.g.::

    select (t_test_ind(list(x) filter (where g = 'a'),
                       list(x) filter (where g = 'b'), false)).p_value
    from t;

Each UDF returns a STRUCT.  NULL list elements are removed before testing (pairwise for
the paired tests); a NULL list argument gives a NULL result.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import numpy as np
from duckdb.sqltypes import BIGINT, BOOLEAN, DOUBLE, INTEGER, VARCHAR

from python_udfs import stat_tests as st
from python_udfs.clogit import clogit
from python_udfs.stats_errors import ModelWarning

__all__ = ["register_stats_udfs", "UDF_NAMES"]

_D = duckdb.list_type(DOUBLE)
_V = duckdb.list_type(VARCHAR)
_B = duckdb.list_type(BOOLEAN)


def _struct(**fields: Any) -> Any:
    return duckdb.struct_type(fields)


_TEST = _struct(statistic=DOUBLE, df=DOUBLE, p_value=DOUBLE, n=BIGINT)
_TWO = _struct(statistic=DOUBLE, df=DOUBLE, p_value=DOUBLE, n1=BIGINT, n2=BIGINT, method=VARCHAR)
_ANOVA = _struct(statistic=DOUBLE, df_between=DOUBLE, df_within=DOUBLE, p_value=DOUBLE, n=BIGINT, n_groups=BIGINT)
_MEDIAN = _struct(statistic=DOUBLE, df=DOUBLE, p_value=DOUBLE, n=BIGINT, n_groups=BIGINT, grand_median=DOUBLE)
_MCNEMAR = _struct(statistic=DOUBLE, df=DOUBLE, p_value=DOUBLE, n=BIGINT, n_01=BIGINT, n_10=BIGINT, method=VARCHAR)
_CLOGIT = _struct(
    term=_V, coef=_D, se=_D, odds_ratio=_D, p=_D, loglik=DOUBLE,
    n_obs=BIGINT, n_groups=BIGINT, n_groups_dropped=BIGINT, converged=BOOLEAN,
)


def _clean(values: Sequence[Any] | None) -> list[Any]:
    return [v for v in values or [] if v is not None and not (isinstance(v, float) and math.isnan(v))]


def _chi_square(rows: list[str | None], cols: list[str | None]) -> dict[str, Any]:
    pairs = [(r, c) for r, c in zip(rows, cols, strict=True) if r is not None and c is not None]
    res = st.chi_square_test([r for r, _ in pairs], [c for _, c in pairs])
    return {"statistic": res.statistic, "df": res.df, "p_value": res.p_value, "n": res.n}


def _two(res: st.TwoSampleResult) -> dict[str, Any]:
    return {"statistic": res.statistic, "df": res.df, "p_value": res.p_value,
            "n1": res.n1, "n2": res.n2, "method": res.method}


def _paired(x: list[float | None], y: list[float | None]) -> tuple[list[float], list[float]]:
    if len(x) != len(y):
        raise st.StatsError("paired lists must have equal length")
    keep = [(a, b) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    return [a for a, _ in keep], [b for _, b in keep]


def _grouped(values: list[float | None], groups: list[str | None]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for v, g in zip(values, groups, strict=True):
        if v is not None and g is not None:
            out.setdefault(g, []).append(v)
    return out


def _anova(values: list[float | None], groups: list[str | None]) -> dict[str, Any]:
    res = st.anova_oneway(_grouped(values, groups))
    return {"statistic": res.statistic, "df_between": res.df_between, "df_within": res.df_within,
            "p_value": res.p_value, "n": res.n, "n_groups": res.n_groups}


def _median(values: list[float | None], groups: list[str | None]) -> dict[str, Any]:
    res = st.median_test(_grouped(values, groups))
    return {"statistic": res.statistic, "df": res.df, "p_value": res.p_value, "n": res.n,
            "n_groups": res.n_groups, "grand_median": res.grand_median}


def _mcnemar(before: list[bool | None], after: list[bool | None]) -> dict[str, Any]:
    a, b = _paired(before, after)  # type: ignore[arg-type]
    res = st.mcnemar_test(a, b)
    return {"statistic": res.statistic, "df": res.df, "p_value": res.p_value, "n": res.n,
            "n_01": res.n_01, "n_10": res.n_10, "method": res.method}


def _clogit_fit(ids: list[Any], y: list[int], X: list[list[float]], names: list[str]) -> dict[str, Any]:
    Xa = np.asarray(X, dtype=np.float64)
    with warnings.catch_warnings():  # dropped strata are reported in n_groups_dropped
        warnings.simplefilter("ignore", ModelWarning)
        res = clogit(np.asarray(y), Xa, groups=np.asarray([str(i) for i in ids]), names=list(names))
    return {
        "term": list(res.terms), "coef": res.coef.tolist(), "se": res.se.tolist(),
        "odds_ratio": res.odds_ratio.tolist(), "p": res.p.tolist(), "loglik": res.loglik,
        "n_obs": res.n_obs, "n_groups": res.n_groups, "n_groups_dropped": res.n_groups_dropped,
        "converged": res.converged,
    }


def _udfs() -> list[tuple[str, Callable[..., Any], list[Any], Any]]:
    return [
        ("chi_square_test", _chi_square, [_V, _V], _TEST),
        ("mann_whitney_u", lambda x, y: _two(st.mann_whitney_u(_clean(x), _clean(y))), [_D, _D], _TWO),
        ("t_test_ind", lambda x, y, ev: _two(st.t_test_ind(_clean(x), _clean(y), equal_var=bool(ev))),
         [_D, _D, BOOLEAN], _TWO),
        ("t_test_paired", lambda x, y: _two(st.t_test_paired(*_paired(x, y))), [_D, _D], _TWO),
        ("anova_oneway", _anova, [_D, _V], _ANOVA),
        ("median_test", _median, [_D, _V], _MEDIAN),
        ("mcnemar_test", _mcnemar, [_B, _B], _MCNEMAR),
        ("clogit_fit", _clogit_fit, [_V, duckdb.list_type(INTEGER), duckdb.list_type(_D), _V], _CLOGIT),
    ]


UDF_NAMES: tuple[str, ...] = tuple(name for name, *_ in _udfs())


def register_stats_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register all statistics UDFs on ``con`` (idempotent: existing ones are replaced).

    ``clogit_fit`` takes VARCHAR ids; cast integer ids in SQL (``list(id::varchar)``).
    """
    for name, func, params, ret in _udfs():
        try:
            con.remove_function(name)
        except (duckdb.InvalidInputException, duckdb.CatalogException):
            pass
        con.create_function(
            name, func, params, ret, type="native", null_handling="default",
            side_effects=False,
        )
