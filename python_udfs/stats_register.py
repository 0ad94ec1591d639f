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

import itertools
import math
from types import SimpleNamespace
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
    def values(a: np.ndarray) -> list[float | None]:  # aliased terms (NaN) become SQL NULL
        return [None if np.isnan(v) else float(v) for v in a]

    return {
        "term": list(res.terms), "coef": values(res.coef), "se": values(res.se),
        "odds_ratio": values(res.odds_ratio), "p": values(res.p), "loglik": res.loglik,
        "n_obs": res.n_obs, "n_groups": res.n_groups, "n_groups_dropped": res.n_groups_dropped,
        "converged": res.converged,
    }


_NO_PAIRS: dict[str, Any] = {"phrase": None, "n_pairs": 0, "n_significant": 0, "correction": None}


def _pairwise(test: str, values: list[Any], groups: list[str | None], correction: str) -> dict[str, Any]:
    """All pairs of groups with ``test``, p-values adjusted by ``correction``, phrased as the study does.

    ``describe_pairwise`` gives the phrase ("all groups differ from each other, except EPK from LPK"); with fewer
    than two groups of at least two values the phrase is NULL."""
    if test == "chi_square":
        by: dict[str, list[Any]] = {}
        for v, g in zip(values, groups, strict=True):
            if v is not None and g is not None:
                by.setdefault(g, []).append(str(v))
        if len(by) < 2:
            return _NO_PAIRS

        names = sorted(by, key=_order)
        pairs, raw = [], []
        for ga, gb in itertools.combinations(names, 2):
            cats = by[ga] + by[gb]
            if len(set(cats)) < 2:  # one category only: the pair cannot differ
                raw.append((0.0, 1.0))
            else:
                r = st.chi_square_test([ga] * len(by[ga]) + [gb] * len(by[gb]), cats)
                raw.append((r.statistic, r.p_value))
            pairs.append((ga, gb))
        adj = st.adjust_pvalues([p for _, p in raw], correction)  # type: ignore[arg-type]
        res = st.PairwiseResult(tuple(st.PairComparison(ga, gb, s_, p, float(q))
                                      for (ga, gb), (s_, p), q in zip(pairs, raw, adj, strict=True)),
                                correction, tuple(names))
    else:
        grouped = {g: v for g, v in _grouped(values, groups).items() if len(v) >= 2}
        if len(grouped) < 2:
            return _NO_PAIRS
        tests: dict[str, Callable[[Any, Any], Any]] = {
            "welch": lambda a, b: st.t_test_ind(a, b, equal_var=False),
            "t": lambda a, b: st.t_test_ind(a, b, equal_var=True),
            "mann_whitney": st.mann_whitney_u,
        }
        if test not in tests:
            raise st.StatsError(f"unknown pairwise test {test!r}: use welch, t, mann_whitney or chi_square")
        res = st.pairwise(_safe(tests[test]), dict(sorted(grouped.items(), key=lambda kv: _order(kv[0]))), correction)  # type: ignore[arg-type]
    sig = res.significant(0.05)
    return {"phrase": st.describe_pairwise(res, 0.05), "n_pairs": len(res.comparisons), "n_significant": len(sig),
            "correction": res.correction}


def _safe(test: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A pair whose test is undefined (e.g. no variance in either group) counts as not different (p = 1)."""

    def run(a: Any, b: Any) -> Any:
        try:
            res = test(a, b)
        except st.StatsError:
            return SimpleNamespace(statistic=float("nan"), p_value=1.0)
        p = res.p_value
        return res if p == p else SimpleNamespace(statistic=float("nan"), p_value=1.0)

    return run


_GROUP_ORDER = ("INC", "EPK", "LPK", "CON", "OFF", "CC", "NCC")


def _order(group: str) -> tuple[int, str]:
    return (_GROUP_ORDER.index(group) if group in _GROUP_ORDER else len(_GROUP_ORDER), group)


_PAIRWISE = _struct(phrase=VARCHAR, n_pairs=BIGINT, n_significant=BIGINT, correction=VARCHAR)


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
        ("pairwise_means", lambda x, g, t, c: _pairwise(str(t), x, g, str(c)), [_D, _V, VARCHAR, VARCHAR], _PAIRWISE),
        ("pairwise_categories", lambda x, g, c: _pairwise("chi_square", x, g, str(c)), [_V, _V, VARCHAR], _PAIRWISE),
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
