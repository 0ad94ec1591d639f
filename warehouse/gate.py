"""The output gate: the one place every number that leaves the warehouse passes.

``release(con, sql, profile)`` decides from the query's *structure*, never from column names:

1. **Guard.** The statement must be a single read-only query (``warehouse.guard.check_read_only``); no
   output column, GROUP BY or predicate may carry a person key (``check_export`` and the key-predicate
   rule below). The figure table macros (``marts.group_summary``, ``marts.before_after_summary``) are
   expanded into the query from their stored definition, so the gate traces through them.
2. **Provenance rewrite.** The query is qualified with sqlglot and every relation it reads is classed:

   * *rows*: person-level rows (a table of the person schemas, or a query over them that does not
     aggregate). Each carries hidden *slot* columns: the person keys standing behind the row (the table's
     ``person_id``, or its ``RINPERSOON`` columns in raw tables; a join carries the slots of both sides).
   * *cells*: aggregated rows. Every output column carries a hidden person count: the number of distinct
     persons behind that value, computed by the rewritten query itself as ``count(distinct slot)`` over
     the rows that feed the value (its FILTER clause and non-null argument included), the minimum over
     the slots (a join of persons and their relatives is as small as its smaller side). Sums and means
     also carry the total and the two largest absolute contributions for the dominance rules.
   * *constant*: literals, seeds and the disclosure-controlled ``analytics`` schema.

   Each output column is classed as a **key** (a GROUP BY value), a **count** (``count``, ``count_if``,
   ``sum`` of a 0/1 indicator), a **statistic** (``sum``, ``avg``, ``median``, ``quantile_cont``,
   ``stddev``, ``var``, and the fields of the statistics UDFs, whose ``list(...)`` arguments never leave),
   or a **constant**. Everything else is refused with one line naming the column and the rule: ``min``,
   ``max``, ``arg_max``, ``any_value``, ``first``, ``string_agg``, ``list`` and any other aggregate that
   returns a person's own value; arithmetic on aggregates (``count(*) * 1000``, ratios: percentages are
   computed from rounded counts by the report); a count cast to text; window functions over aggregates;
   a relation of the person schemas that has no person key and is not a declared model aggregate.
3. **Rules** (per released cell, profile ``cbs``; ``study`` sets the minimum to 0):

   * ``threshold``: a cell with fewer than ``min_count`` (10) persons behind it is suppressed; a row whose
     *key* has fewer is dropped whole (its key values would show that such persons exist) and counted;
   * ``rounding``: counts are rounded to multiples of 5 (``python_udfs.sdc.round5``);
   * ``p-percent`` and ``n-k`` dominance for sums and means (ACRO's rules and defaults: a cell is unsafe
     when the remainder after the two largest contributions is below 10% of the largest, or the two
     largest make more than 90% of the total);
   * ``zero``: a count of 0 is suppressed under ``cbs`` (a structural zero reveals an attribute of a group).

Sources: CBS Microdata Services output guidelines (minimum 10 units per cell and per statistic, no
person-level output); ACRO/SACRO (``acro`` on PyPI; defaults ``safe_threshold`` 10, ``safe_nk_n`` 2,
``safe_nk_k`` 0.9, ``safe_pratio_p`` 0.1). What the gate suppressed is returned with the frame
(:class:`Release`) and written to the output log (:mod:`warehouse.outputs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope

from python_udfs.sdc import round5
from warehouse.disclosure import Profile, get_profile
from warehouse.guard import (
    DIALECT,
    FIGURE_TABLE_MACROS,
    PERSON_SCHEMAS,
    SAFE_SCHEMAS,
    STATISTICS_UDFS,
    Catalog,
    GuardError,
    _Tracer,
    analyse,
    check_export,
    check_read_only,
    function_name,
    is_person_key,
)

#: Person count of a value that stands on no person (a literal, a seed, an analytics table).
CONSTANT = 1 << 62
HIDDEN = "__g_"
#: ACRO's dominance rules (acro defaults): n-k with n = 2, k = 0.9; p-percent with p = 0.1.
NK_K = 0.9
P_RATIO = 0.1
#: Largest bound of a minimum-size filter on an aggregate (``having count(*) >= 10``): any larger bound
#: could pin a released count down between two filters.
MINIMUM_SIZE_TEST = 10

_COUNTS = frozenset({"count", "count_star", "count_if", "countif", "approx_count_distinct", "approx_distinct"})
_STATISTICS = frozenset(
    {
        "avg", "mean", "median", "quantile_cont", "percentile_cont", "stddev", "stddev_samp", "stddev_pop",
        "var_samp", "var_pop", "variance", "sum", "fsum", "sumkahan", "kahan_sum", "quantile",
    }
)
#: Statistics whose value is driven by the largest contributions: the dominance rules apply.
_DOMINATED = frozenset({"sum", "fsum", "sumkahan", "kahan_sum", "avg", "mean"})
_LIST_AGGREGATES = frozenset({"list", "array_agg"})
@dataclass(frozen=True)
class AggregateRelation:
    """A relation of the person schemas that holds aggregates, not persons: the column holding the persons
    behind each row, and its key and count columns (a count column's persons are its own value)."""

    persons: str
    keys: frozenset[str] = frozenset()
    counts: frozenset[str] = frozenset()


#: Relations of the person schemas without a person key (model results and aggregated marts).
AGGREGATE_RELATIONS: dict[tuple[str, str], AggregateRelation] = {
    ("marts", "fct_trajectory_curves"): AggregateRelation("n_persons", frozenset({"trajectory_group", "age"})),
    ("marts", "fct_trajectory_models"): AggregateRelation("n_individuals", frozenset({"groups"})),
    ("marts", "fct_control_kinship"): AggregateRelation(
        "n_controls", frozenset({"control_group", "relation"}), frozenset({"n_related", "n_controls"})),
}

ROWS, CELLS, CONST = "rows", "cells", "const"
#: Classes of an output column: a group key, a count, a statistic, or a model/test result (the fields of a
#: statistics UDF: derived values of it stay statistics of the same cell).
KEY, COUNT, STAT, MODEL = "key", "count", "statistic", "model"
VALUES = frozenset({COUNT, STAT, MODEL})


class GateError(GuardError):
    """The gate refuses the query; the message names the column and the rule."""


# --------------------------------------------------------------------------- macro expansion


def _macro_definitions(con: Any) -> dict[str, tuple[list[str], str]]:
    rows = con.execute(
        "select function_name, parameters, macro_definition from duckdb_functions() "
        "where function_type = 'table_macro' and schema_name = 'marts' and function_name in "
        f"({', '.join(repr(m) for m in sorted(FIGURE_TABLE_MACROS))})"
    ).fetchall()
    return {name: (list(params), body) for name, params, body in rows}


def _macro_defaults(name: str) -> dict[str, str]:
    """Default values of a figure macro's parameters, from its dbt model (``config(parameters=[...])``)."""
    from warehouse.config import DBT_PROJECT_DIR

    path = DBT_PROJECT_DIR / "models" / "marts" / "figures" / f"{name}.sql"
    text = path.read_text() if path.exists() else ""
    match = re.search(r"parameters=\[(.*?)\]", text)
    defaults = {}
    for item in re.findall(r'"([^"]+)"', match.group(1) if match else ""):
        if ":=" in item:
            key, value = item.split(":=", 1)
            defaults[key.strip()] = value.strip()
    return defaults


def expand_macros(statement: exp.Expression, con: Any) -> exp.Expression:
    """Replace each ``marts.<figure macro>(cte, ...)`` by its definition, so the gate can trace it."""
    calls = [
        t for t in statement.find_all(exp.Table)
        if isinstance(t.this, exp.Func) and t.db.lower() == "marts"
        and function_name(t.this) in FIGURE_TABLE_MACROS
    ]
    if not calls:
        return statement
    definitions = _macro_definitions(con)
    for table in calls:
        name = function_name(table.this)
        if name not in definitions:
            raise GateError(f"marts.{name}() is not defined in this warehouse: run `warehouse build`")
        params, body = definitions[name]
        args = list(table.this.expressions)
        values: dict[str, str] = dict(_macro_defaults(name))
        positional = [a for a in args if not isinstance(a, (exp.PropertyEQ, exp.Kwarg, exp.EQ))]
        for param, arg in zip(params, positional):
            values[param] = arg.sql(DIALECT)
        for arg in args:
            if isinstance(arg, (exp.PropertyEQ, exp.Kwarg, exp.EQ)):
                values[arg.this.name] = arg.expression.sql(DIALECT)
        relation = values.pop(params[0], None)
        if relation is None or not re.fullmatch(r"[A-Za-z_]\w*", relation):
            raise GateError(f"marts.{name}(): the first argument must be the plain name of a relation (a CTE)")
        for key, value in values.items():
            if not re.fullmatch(r"'[^']*'|true|false|TRUE|FALSE|\d+", value):
                raise GateError(f"marts.{name}(): argument {key} must be a literal")
        try:
            query = sqlglot.parse_one(body, dialect=DIALECT)
        except SqlglotError:
            raise GateError(f"cannot parse the definition of marts.{name}") from None
        for node in list(query.find_all(exp.Table)):
            if isinstance(node.this, exp.Func) and function_name(node.this) == "query_table":
                node.replace(exp.to_table(relation).as_(node.alias_or_name or "figure_rows"))
        for column in list(query.find_all(exp.Column)):
            if not column.table and column.name in values and not column.find_ancestor(exp.Lambda):
                column.replace(sqlglot.parse_one(values[column.name], dialect=DIALECT))
        _resolve_columns_filter(query, con)
        alias = table.alias_or_name if table.alias else name
        table.replace(exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return statement


def _resolve_columns_filter(query: exp.Expression, con: Any) -> None:
    """``SELECT COLUMNS(list_filter(*, lambda)) FROM cte``: evaluate the filter on the CTE's column names."""
    select = query if isinstance(query, exp.Select) else None
    if select is None or len(select.selects) != 1 or not isinstance(select.selects[0], exp.Columns):
        return
    source = select.args.get("from_") or select.args.get("from")
    name = source.this.name if source is not None else ""
    ctes = {cte.alias_or_name: cte.this for cte in query.find_all(exp.CTE)}
    if name not in ctes:
        raise GateError("cannot resolve COLUMNS(...) in a figure macro")
    inner = ctes[name]
    while isinstance(inner, exp.SetOperation):
        inner = inner.this
    names = [s.alias_or_name for s in inner.selects]
    filt = select.selects[0].this.copy()
    literal = exp.Array(expressions=[exp.Literal.string(n) for n in names])
    for star in list(filt.find_all(exp.Star)):
        star.replace(literal.copy())
    kept = con.execute(f"select {filt.sql(DIALECT)}").fetchone()[0]
    select.set("expressions", [exp.column(n) for n in kept])


# --------------------------------------------------------------------------- helpers


def _unalias(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Alias) else node


@dataclass
class Info:
    """What a relation of the query is: person rows (with slot columns), cells (with per-column person
    counts and classes) or constant."""

    kind: str
    slots: list[str] = field(default_factory=list)  # rows: hidden slot column names of this relation
    names: list[str] = field(default_factory=list)  # cells: output column names (lower case)
    classes: list[set[str]] = field(default_factory=list)  # cells: classes per output column
    dominance: list[bool] = field(default_factory=list)  # cells: carries total/top-2 columns
    key_columns: dict[str, int] = field(default_factory=dict)  # rows: output column -> slot it passes through

    def index(self, name: str) -> int:
        try:
            return self.names.index(name.lower())
        except ValueError:
            raise GateError(f"column {name} not found in a subquery") from None


def _n(i: int) -> str:
    return f"{HIDDEN}n{i}"


def _s(i: int) -> str:
    return f"{HIDDEN}s{i}"


def _t(i: int) -> str:
    return f"{HIDDEN}t{i}"


def _k(j: int) -> str:
    return f"{HIDDEN}k{j}"


def _col(table: str, name: str) -> exp.Column:
    return exp.column(name, table=table)


def _least(parts: list[exp.Expression]) -> exp.Expression:
    if not parts:
        return exp.Literal.number(CONSTANT)
    if len(parts) == 1:
        return exp.func("coalesce", parts[0], exp.Literal.number(0))
    return exp.func("coalesce", exp.func("least", *parts), exp.Literal.number(0))


# --------------------------------------------------------------------------- the rewrite


class _Rewriter:
    def __init__(self, catalog: Catalog, aggregates: frozenset[str], count_fields: frozenset[str] = frozenset()
                 ) -> None:
        self.catalog = catalog
        self.count_fields = count_fields  # integer fields of the statistics UDFs' results: counts of persons
        self.aggregates = aggregates
        self.tracer = _Tracer(catalog)
        self.infos: dict[int, Info] = {}
        self.model_counts: dict[tuple[int, str], dict[str, exp.Expression]] = {}

    # ---- classification of names and nodes

    def is_aggregate(self, node: exp.Expression) -> bool:
        if isinstance(node, exp.AggFunc):
            return True
        return isinstance(node, exp.Anonymous) and node.name.lower() in self.aggregates

    def outer_aggregates(self, node: exp.Expression) -> list[exp.Expression]:
        found = []
        for sub in node.walk():
            if self.is_aggregate(sub) and not sub.find_ancestor(exp.Window):
                parent = sub.parent
                inner = False
                while parent is not None and parent is not node.parent:
                    if self.is_aggregate(parent):
                        inner = True
                        break
                    parent = parent.parent
                if not inner:
                    found.append(sub)
        return found

    def key_derived(self, node: exp.Expression, scope: Scope) -> bool:
        try:
            sources = list(self.tracer.expression(node, scope))
        except GuardError:
            return False
        return any(
            is_person_key(s.column, self.catalog.column_type(s.schema, s.table, s.column)) for s in sources
        )

    # ---- relation infos

    def table_info(self, table: exp.Table, scope: Scope) -> tuple[Info, list[exp.Expression]]:
        """Info of a FROM/JOIN source and the expressions of its slots (rows) as seen from ``scope``."""
        if isinstance(table.this, exp.Func):
            args = list(table.this.expressions) + [v for v in table.this.args.values() if isinstance(v, exp.Expression)]
            if any(a.find(exp.Column, exp.Select, exp.Subquery) for a in args):
                raise GateError(
                    f"table function {function_name(table.this)}() over warehouse data refused: only literal arguments"
                )
            return Info(CONST), []
        schema, name = table.db.lower(), table.name.lower()
        alias = table.alias_or_name
        if schema in SAFE_SCHEMAS:
            return Info(CONST), []
        if schema not in PERSON_SCHEMAS:
            raise GateError(f"relation {schema}.{name} refused: only warehouse schemas can be read")
        columns = self.catalog.columns.get(schema, {}).get(name, {})
        if (schema, name) in AGGREGATE_RELATIONS:
            spec = AGGREGATE_RELATIONS[(schema, name)]
            if spec.persons not in columns:
                raise GateError(f"aggregate relation {schema}.{name} has no persons column {spec.persons}: "
                                "rebuild it (`warehouse build`)")
            names = list(columns)
            classes = [{KEY} if c in spec.keys else {COUNT} if c in spec.counts else {STAT} for c in names]
            counts = {c: _col(alias, c if c in spec.counts else spec.persons) for c in names}
            self.model_counts[(id(scope), alias)] = counts
            return Info(CELLS, names=names, classes=classes, dominance=[False for _ in names]), []
        if "person_id" in columns:
            keys = ["person_id"]
        elif "rinpersoon" in columns:
            keys = ["rinpersoon"]
        else:
            keys = [c for c, t in columns.items() if is_person_key(c, t) and not c.startswith("rinpersoons")
                    and "struct" not in t.lower()]
        if not keys:
            raise GateError(
                f"relation {schema}.{name} has no person key: the gate cannot count the persons behind its rows"
            )
        return Info(ROWS, slots=keys, key_columns={k: j for j, k in enumerate(keys)}), [_col(alias, k) for k in keys]

    def source(self, alias: str, scope: Scope) -> tuple[Info, list[exp.Expression]]:
        source = scope.sources[alias]
        if isinstance(source, exp.Table):
            return self.table_info(source, scope)
        if not isinstance(source, Scope):
            raise GateError(f"cannot trace the relation {alias}")
        if not isinstance(source.expression, (exp.Select, exp.SetOperation)):
            if isinstance(source.expression, (exp.Unnest, exp.Values, exp.Lateral)):
                # values of the current row spread over rows: no relation of its own may be read
                if any(not isinstance(t.this, exp.Func) for t in source.expression.find_all(exp.Table)):
                    raise GateError("a LATERAL/UNNEST/VALUES relation that reads tables refused")
                return Info(CONST), []
            raise GateError(f"cannot trace a {source.expression.key.upper()} relation")
        info = self.info(source)
        if info.kind == ROWS:
            return info, [_col(alias, s) for s in info.slots]
        return info, []

    def info(self, scope: Scope) -> Info:
        key = id(scope.expression)
        if key not in self.infos:
            if isinstance(scope.expression, exp.SetOperation):
                self.infos[key] = self.set_operation(scope)
            elif isinstance(scope.expression, exp.Select):
                self.infos[key] = self.select(scope)
            else:
                raise GateError(f"cannot trace a {scope.expression.key.upper()} query")
        return self.infos[key]

    def set_operation(self, scope: Scope) -> Info:
        branches = scope.set_operation_scopes if hasattr(scope, "set_operation_scopes") else scope.union_scopes
        infos = [self.info(b) for b in branches]
        kinds = {i.kind for i in infos}
        leaves = _leaf_selects(scope.expression)
        if kinds <= {CONST}:
            return Info(CONST)
        if ROWS in kinds and CELLS in kinds:
            raise GateError("a set operation mixes person-level rows with aggregates: refused")
        if ROWS in kinds:
            width = max(len(i.slots) for i in infos if i.kind == ROWS)
            for leaf, info in zip(leaves, [self.infos[id(x)] for x in leaves]):
                have = len(info.slots) if info.kind == ROWS else 0
                for j in range(have, width):
                    leaf.select(exp.Null().as_(_k(j)), append=True, copy=False)
            shared = dict(infos[0].key_columns) if infos[0].kind == ROWS else {}
            for other in infos[1:]:
                shared = {k: v for k, v in shared.items() if other.key_columns.get(k) == v}
            names = [s.alias_or_name.lower() for s in leaves[0].selects]
            return Info(ROWS, slots=[_k(j) for j in range(width)], key_columns={k: v for k, v in shared.items()
                                                                               if k in names})
        names = [s.alias_or_name.lower() for s in leaves[0].selects if not s.alias_or_name.startswith(HIDDEN)]
        classes: list[set[str]] = [set() for _ in names]
        dominance = [False for _ in names]
        for leaf in leaves:
            info = self.infos[id(leaf)]
            if info.kind == CONST:
                self._constant_hidden(leaf, len(names))
                continue
            for i in range(len(names)):
                classes[i] |= info.classes[i]
                dominance[i] = dominance[i] or info.dominance[i]
        for i, kinds_i in enumerate(classes):
            if KEY in kinds_i and kinds_i & VALUES:
                raise GateError(f"output column {names[i]!r} is a group key in one branch and an aggregate in "
                                "another: refused")
        return Info(CELLS, names=names, classes=classes, dominance=dominance)

    def _constant_hidden(self, select: exp.Select, width: int) -> None:
        for i in range(width):
            select.select(
                exp.Literal.number(CONSTANT).as_(_n(i)),
                exp.cast(exp.Null(), "DOUBLE").as_(_s(i)),
                exp.cast(exp.Null(), "DOUBLE[]").as_(_t(i)),
                append=True, copy=False,
            )

    # ---- one SELECT

    def select(self, scope: Scope) -> Info:
        select: exp.Select = scope.expression
        for item in select.selects:
            if item.alias_or_name.lower().startswith(HIDDEN):
                raise GateError(f"column names starting with {HIDDEN} are reserved for the output gate")
        if select.args.get("distinct"):
            if select.args["distinct"].args.get("on") is not None:
                raise GateError("SELECT DISTINCT ON refused in outputs")
            if select.args.get("group") or any(self.outer_aggregates(s) for s in select.selects):
                raise GateError("SELECT DISTINCT with aggregates refused")
            select.set("distinct", None)
            select.set("group", exp.Group(expressions=[_unalias(s).copy() for s in select.selects]))
        self.check_predicates(scope)
        rows: list[exp.Expression] = []
        cells: dict[str, Info] = {}
        key_of: dict[tuple[str, str], int] = {}  # (source alias, column) -> index in rows
        for alias in scope.selected_sources:
            info, slots = self.source(alias, scope)
            if info.kind == ROWS:
                for column, j in info.key_columns.items():
                    key_of[(alias, column.lower())] = len(rows) + j
                rows.extend(slots)
            elif info.kind == CELLS:
                cells[alias] = info
        rows, key_of = self._merge_joined_slots(select, rows, key_of)
        aggregating = bool(select.args.get("group")) or any(self.outer_aggregates(s) for s in select.selects)
        for item in select.selects:
            for node in item.walk():
                if isinstance(node, exp.Window) and (aggregating or cells):
                    raise GateError(f"output column {item.alias_or_name!r}: window functions over aggregates "
                                    "refused")
        if not rows and not cells and not any(self._scalar_subqueries(i, scope) for i in select.selects):
            return Info(CONST)
        if rows and not aggregating:
            for item in select.selects:
                if self._cells_columns(item, scope, cells) or self._scalar_subqueries(item, scope):
                    raise GateError(f"column {item.alias_or_name!r} joins aggregates to person-level rows: refused")
            for j, slot in enumerate(rows):
                select.select(slot.copy().as_(_k(j)), append=True, copy=False)
            passed = {}
            for item in select.selects:
                core = _unalias(item)
                if isinstance(core, exp.Column) and (core.table, core.name.lower()) in key_of:
                    passed[item.alias_or_name.lower()] = key_of[(core.table, core.name.lower())]
            return Info(ROWS, slots=[_k(j) for j in range(len(rows))], key_columns=passed)
        if rows:
            return self.aggregate_over_rows(scope, rows, cells)
        if aggregating:
            raise GateError("aggregates over aggregated rows refused: aggregate the person-level rows directly")
        return self.pass_over_cells(scope, cells)

    def _merge_joined_slots(self, select: exp.Select, rows: list[exp.Expression],
                            key_of: dict[tuple[str, str], int]) -> tuple[list[exp.Expression], dict]:
        """Slots equated by a join condition (``p.person_id = t.person_id``) are one person: one slot,
        ``coalesce`` of them (the unmatched side of an outer join is NULL)."""
        parent = list(range(len(rows)))

        def find(i: int) -> int:
            while parent[i] != i:
                i = parent[i]
            return i

        conditions = [j.args.get("on") for j in select.args.get("joins") or []] + [select.args.get("where")]
        for condition in conditions:
            if condition is None:
                continue
            for eq in condition.find_all(exp.EQ):
                a, b = eq.this, eq.expression
                if isinstance(a, exp.Column) and isinstance(b, exp.Column):
                    ia, ib = key_of.get((a.table, a.name.lower())), key_of.get((b.table, b.name.lower()))
                    if ia is not None and ib is not None:
                        ra, rb = find(ia), find(ib)
                        parent[max(ra, rb)] = min(ra, rb)
        roots = sorted({find(i) for i in range(len(rows))})
        index = {r: n for n, r in enumerate(roots)}
        merged = []
        for r in roots:
            members = [rows[i].copy() for i in range(len(rows)) if find(i) == r]
            merged.append(members[0] if len(members) == 1 else exp.func("coalesce", *members))
        return merged, {k: index[find(i)] for k, i in key_of.items()}

    def _cells_columns(self, node: exp.Expression, scope: Scope, cells: dict[str, Info]) -> list[exp.Column]:
        return [c for c in node.find_all(exp.Column) if c.table in cells]

    def _scalar_subqueries(self, node: exp.Expression, scope: Scope) -> list[Scope]:
        by_node = {id(s.expression): s for s in scope.subquery_scopes}
        return [by_node[id(n)] for n in node.walk() if id(n) in by_node]

    # ---- key predicates

    def check_predicates(self, scope: Scope) -> None:
        select = scope.expression
        conditions = [select.args.get(k) for k in ("where", "having", "qualify")]
        for join in select.args.get("joins") or []:
            conditions.append(join.args.get("on"))
        for condition in conditions:
            if condition is None:
                continue
            for column in condition.find_all(exp.Column):
                if column.find_ancestor(exp.Select) is not select:
                    continue  # a subquery: checked in its own scope
                if not self.key_derived(column, scope):
                    continue
                if column.find_ancestor(exp.Count, exp.ApproxDistinct):
                    continue  # counting persons selects none of them
                parent = column.parent
                while isinstance(parent, exp.Paren):
                    parent = parent.parent
                ok = (
                    (isinstance(parent, exp.Is) and isinstance(parent.expression, exp.Null))
                    or (isinstance(parent, exp.EQ) and all(
                        isinstance(side, exp.Column) and self.key_derived(side, scope)
                        for side in (parent.this, parent.expression)))
                    or (isinstance(parent, exp.In) and parent.this is column and parent.args.get("query") is not None)
                )
                if not ok:
                    raise GateError(
                        f"predicate {parent.sql(DIALECT)[:80]} on the person key {column.sql(DIALECT)} refused: "
                        "outputs cannot select persons by their keys"
                    )

    # ---- aggregates over person rows

    def persons(self, slots: list[exp.Expression], condition: exp.Expression | None) -> exp.Expression:
        parts = []
        for slot in slots:
            count: exp.Expression = exp.Count(this=exp.Distinct(expressions=[slot.copy()]))
            if condition is not None:
                count = exp.Filter(this=count, expression=exp.Where(this=condition.copy()))
            parts.append(exp.func("nullif", count, exp.Literal.number(0)))
        return _least(parts)

    def aggregate_persons(self, agg: exp.Expression, slots: list[exp.Expression]) -> exp.Expression:
        condition = None
        node = agg
        if isinstance(agg.parent, exp.Filter):
            condition = agg.parent.expression.this
        core = node
        arguments = []
        if isinstance(core, exp.Count) and isinstance(core.this, exp.Distinct):
            arguments = list(core.this.expressions)
        elif isinstance(core, exp.CountIf):
            condition = exp.and_(condition, core.this) if condition is not None else core.this
        elif isinstance(core, exp.Anonymous):
            arguments = list(core.expressions[:1])
        elif isinstance(core.this, exp.Expression) and not isinstance(core.this, exp.Star):
            arguments = [core.this]
        for argument in arguments:
            if isinstance(argument, exp.Star):
                continue
            test = exp.Not(this=exp.Is(this=argument.copy(), expression=exp.Null()))
            if function_name(core) == "sum" and _indicator(argument):  # the persons counted, not all persons
                test = exp.NEQ(this=argument.copy(), expression=exp.Literal.number(0))
            condition = exp.and_(condition, test) if condition is not None else test
        if function_name(core) in {"avg", "mean"} and arguments and _indicator(arguments[0]):
            # a share (mean of a 0/1 indicator): the persons with 1 and those with 0 must each reach the
            # minimum, or the share and its denominator give a small count away
            ones = exp.NEQ(this=arguments[0].copy(), expression=exp.Literal.number(0))
            zeros = exp.EQ(this=arguments[0].copy(), expression=exp.Literal.number(0))
            return _least([
                exp.func("nullif", self.persons(slots, exp.and_(condition, ones) if condition else ones),
                         exp.Literal.number(0)),
                exp.func("nullif", self.persons(slots, exp.and_(condition, zeros) if condition else zeros),
                         exp.Literal.number(0)),
            ])
        return self.persons(slots, condition)

    def classify(self, item: exp.Expression, name: str) -> tuple[str, bool]:
        """Class of an output expression of an aggregating select, and whether it takes dominance rules."""
        core = _unalias(item)
        aggregates = self.outer_aggregates(core)
        if not aggregates:
            return (KEY if core.find(exp.Column) else "const"), False
        for agg in aggregates:
            self._check_aggregate(agg, name)
        # the value must be one classified aggregate, possibly cast or defaulted, or a statistics UDF field
        stripped = core
        while True:
            if isinstance(stripped, (exp.Cast, exp.TryCast)):
                target = stripped.to.this
                if target in exp.DataType.TEXT_TYPES or target == exp.DataType.Type.UNKNOWN:
                    raise GateError(f"output column {name!r}: an aggregate cast to text refused (rule: counts "
                                    "and statistics are released as numbers)")
                stripped = stripped.this
            elif isinstance(stripped, exp.Paren):
                stripped = stripped.this
            elif isinstance(stripped, exp.Coalesce) and all(
                isinstance(e, exp.Literal) for e in stripped.expressions
            ):
                stripped = stripped.this
            else:
                break
        if isinstance(stripped, exp.Filter):
            stripped = stripped.this
        if stripped in aggregates or (isinstance(stripped, exp.Filter) and stripped.this in aggregates):
            fname = function_name(stripped)
            if fname in _COUNTS:
                return COUNT, False
            if fname == "sum" and _indicator(stripped.this):
                return COUNT, False
            if fname in _STATISTICS:
                return STAT, fname in _DOMINATED
        if self._test_result(core):
            return (COUNT if self.counts_of_model(core) else MODEL), False
        raise GateError(
            f"output column {name!r}: {core.sql(DIALECT)[:80]} refused (rule: a released value is one count "
            "or statistic per cell; arithmetic on aggregates defeats rounding: output the counts)"
        )

    def counts_of_model(self, node: exp.Expression) -> bool:
        """The value reads an integer field of a statistics UDF result (``.n``, ``.n_01``, ``.n_groups``):
        an exact count, released as a count (rounded, at least the minimum)."""
        return any(isinstance(d, exp.Dot) and d.expression.name.lower() in self.count_fields for d in node.walk())

    def _test_result(self, core: exp.Expression) -> bool:
        """A field of a statistics UDF result (``(t_test_ind(list(a), list(b))).p_value``), possibly inside
        CASE WHEN <aggregate conditions> THEN ... END."""
        while isinstance(core, exp.Paren):
            core = core.this
        if isinstance(core, exp.Case):
            branches = [i.args.get("true") for i in core.args.get("ifs") or []] + [core.args.get("default")]
            return all(b is None or isinstance(b, exp.Null) or function_name(b) == "error" or self._test_result(b)
                       for b in branches)
        while isinstance(core, (exp.Paren, exp.Cast)):
            core = core.this
        if isinstance(core, exp.Dot):
            core = core.this
        if isinstance(core, exp.Bracket):
            core = core.this
        while isinstance(core, exp.Paren):
            core = core.this
        return isinstance(core, exp.Anonymous) and core.name.lower() in STATISTICS_UDFS

    def _check_aggregate(self, agg: exp.Expression, name: str) -> None:
        fname = function_name(agg)
        if fname in _COUNTS or fname in _STATISTICS:
            return
        if fname in _LIST_AGGREGATES:
            parent = agg.parent
            while parent is not None and not (isinstance(parent, exp.Anonymous) and parent.name.lower() in STATISTICS_UDFS):
                if isinstance(parent, (exp.Alias, exp.Select)):
                    parent = None
                    break
                parent = parent.parent
            if parent is not None:
                return
        raise GateError(
            f"output column {name!r}: {fname}() refused (rule: aggregates that return a person's own values — "
            "min, max, arg_max, any_value, first, string_agg, list — cannot leave the warehouse)"
        )

    def aggregate_over_rows(self, scope: Scope, slots: list[exp.Expression], cells: dict[str, Info]) -> Info:
        select: exp.Select = scope.expression
        if cells:
            raise GateError("an aggregate over person rows joined to aggregated rows refused: join person rows only")
        group = select.args.get("group")
        group_exprs = list(group.expressions) if group is not None else []
        if group is not None and group.args.get("all"):
            group_exprs = [_unalias(s) for s in select.selects if not self.outer_aggregates(s)]
        per_person = []
        for expr in group_exprs:
            if self.key_derived(expr, scope):
                if isinstance(expr, exp.Column) and self._passthrough_key(expr, scope):
                    per_person.append(expr)
                else:
                    raise GateError(f"GROUP BY {expr.sql(DIALECT)[:60]} derives from a person key: refused")
        if per_person:
            # one row per person: a person-level relation again, its slots the grouped keys
            new = [e.copy() for e in per_person]
            select.select(*[e.as_(_k(j)) for j, e in enumerate(new)], append=True, copy=False)
            passed = {}
            for item in select.selects:
                for j, key in enumerate(per_person):
                    if _unalias(item) == key:
                        passed[item.alias_or_name.lower()] = j
            return Info(ROWS, slots=[_k(j) for j in range(len(new))], key_columns=passed)
        self.check_value_predicates(select.args.get("having"), scope)
        names, classes, dominance, hidden = [], [], [], []
        group_persons = self.persons(slots, None)
        for i, item in enumerate(list(select.selects)):
            name = item.alias_or_name.lower()
            subs = self._scalar_subqueries(item, scope)
            if subs:
                kind, count = self.scalar_column(item, name, scope, subs)
                dom = False
            else:
                kind, dom = self.classify(item, name)
                if kind == KEY:
                    count = group_persons.copy()
                elif kind == "const":
                    count = exp.Literal.number(CONSTANT)
                else:
                    count = _least([
                        exp.func("nullif", self.aggregate_persons(a, slots), exp.Literal.number(0))
                        for a in self.outer_aggregates(_unalias(item))
                    ])
            names.append(name)
            classes.append(set() if kind == "const" else {kind})
            dominance.append(dom)
            total: exp.Expression = exp.cast(exp.Null(), "DOUBLE")
            top: exp.Expression = exp.cast(exp.Null(), "DOUBLE[]")
            if dom:
                agg = self.outer_aggregates(_unalias(item))[0]
                argument = agg.expressions[0] if isinstance(agg, exp.Anonymous) else agg.this
                filt = agg.parent.expression.this if isinstance(agg.parent, exp.Filter) else None
                magnitude = exp.func("abs", exp.cast(argument.copy(), "DOUBLE"))
                total = exp.func("sum", magnitude)
                top = exp.Anonymous(this="max", expressions=[magnitude.copy(), exp.Literal.number(2)])
                if filt is not None:
                    total = exp.Filter(this=total, expression=exp.Where(this=filt.copy()))
                    top = exp.Filter(this=top, expression=exp.Where(this=filt.copy()))
                top = exp.cast(top, "DOUBLE[]")
            hidden.append((count, total, top))
        self.check_ordering(scope, {n for n, c in zip(names, classes) if c & {COUNT, STAT}})
        for i, (count, total, top) in enumerate(hidden):
            select.select(count.as_(_n(i)), total.as_(_s(i)), top.as_(_t(i)), append=True, copy=False)
        return Info(CELLS, names=names, classes=classes, dominance=dominance)

    def _passthrough_key(self, column: exp.Column, scope: Scope, output: bool = False) -> bool:
        """The column is a person key passed through unchanged (not hashed, cut or computed on)."""
        if output:  # the named output column of ``scope`` itself
            return self._passthrough_key(column, _Self(scope))
        source = scope.sources.get(column.table)
        if isinstance(source, exp.Table):
            return is_person_key(column.name, self.catalog.column_type(source.db.lower(), source.name.lower(),
                                                                       column.name.lower()))
        if isinstance(source, Scope) and isinstance(source.expression, exp.SetOperation):
            branches = getattr(source, "set_operation_scopes", None) or source.union_scopes
            return all(self._passthrough_key(exp.column(column.name, table=""), b, output=True) for b in branches)
        if isinstance(source, Scope) and isinstance(source.expression, exp.Select):
            names = [s.alias_or_name.lower() for s in source.expression.selects]
            if column.name.lower() not in names:
                return False
            inner = _unalias(source.expression.selects[names.index(column.name.lower())])
            return isinstance(inner, exp.Column) and self._passthrough_key(inner, source)
        return False

    def scalar_column(self, item: exp.Expression, name: str, scope: Scope, subs: list[Scope]
                      ) -> tuple[str, exp.Expression]:
        """An output that is a scalar subquery (``(select count(*) from base) as n_den``): its class and count."""
        core = _unalias(item)
        while isinstance(core, (exp.Cast, exp.Paren)):
            core = core.this
        if len(subs) != 1 or not isinstance(core, exp.Subquery) or core.this is not subs[0].expression:
            raise GateError(f"output column {name!r}: arithmetic on a subquery refused")
        sub = subs[0]
        original = sub.expression.copy()
        info = self.info(sub)
        if info.kind == ROWS:
            raise GateError(f"output column {name!r}: a subquery returning a person-level value refused")
        if info.kind == CONST:
            return "const", exp.Literal.number(CONSTANT)
        rewritten = sub.expression
        counter = rewritten.copy()
        # the value: the original subquery; the count: the rewritten one, selecting its hidden count
        rewritten.replace(original)
        probe = exp.select(exp.column(_n(0), table="__g_sq")).from_(
            exp.Subquery(this=counter, alias=exp.TableAlias(this=exp.to_identifier("__g_sq"))))
        if len(info.classes) != 1:
            raise GateError(f"output column {name!r}: a subquery must return one column")
        kinds = info.classes[0]
        if kinds & VALUES:
            kind = COUNT if COUNT in kinds else STAT if STAT in kinds else MODEL
        else:
            kind = "const" if not kinds else KEY
        return kind, exp.Subquery(this=probe)

    # ---- non-aggregating select over cells

    def pass_over_cells(self, scope: Scope, cells: dict[str, Info]) -> Info:
        select: exp.Select = scope.expression
        self.check_value_predicates(select.args.get("where"), scope, cells)
        names, classes, dominance, hidden = [], [], [], []
        for item in list(select.selects):
            name = item.alias_or_name.lower()
            subs = self._scalar_subqueries(item, scope)
            if subs:
                kind, count = self.scalar_column(item, name, scope, subs)
                names.append(name)
                classes.append(set() if kind == "const" else {kind})
                dominance.append(False)
                hidden.append((count, exp.cast(exp.Null(), "DOUBLE"), exp.cast(exp.Null(), "DOUBLE[]")))
                continue
            refs = [c for c in item.find_all(exp.Column) if c.table in cells]
            kinds: set[str] = set()
            counts = []
            for ref in refs:
                kinds |= self.cell_class(ref, cells)
                counts.append(self.cell_count(ref, scope, cells))
            core = self._strip(item, name, kinds)
            chosen = self._selected_columns(core, scope, cells)
            if chosen is not None and refs:  # a value chosen by conditions on keys: the chosen cells count
                kinds = set().union(*(self.cell_class(c, cells) for c in chosen)) if chosen else set()
                counts = [self.cell_count(c, scope, cells) for c in chosen]
                refs = chosen
            if kinds == {MODEL} and self.counts_of_model(core):
                kinds = {COUNT}  # a count field of a model result, or arithmetic on such fields
            elif kinds & {COUNT, STAT} and chosen is None:
                raise GateError(f"output column {name!r}: {core.sql(DIALECT)[:80]} refused (rule: arithmetic on "
                                "released aggregates defeats rounding and thresholds; output the counts)")
            dom = False
            total: exp.Expression = exp.cast(exp.Null(), "DOUBLE")
            top: exp.Expression = exp.cast(exp.Null(), "DOUBLE[]")
            if chosen and len(chosen) == 1 and isinstance(core, exp.Column):
                info = cells[core.table]
                index = info.index(core.name)
                if info.dominance[index]:
                    dom = True
                    total, top = _col(core.table, _s(index)), _col(core.table, _t(index))
            names.append(name)
            classes.append(kinds)
            dominance.append(dom)
            count = _least([exp.func("coalesce", c, exp.Literal.number(0)) for c in counts]) if refs \
                else exp.Literal.number(CONSTANT)
            hidden.append((count, total, top))
        self.check_ordering(scope, {n for n, c in zip(names, classes) if c & {COUNT, STAT}}, cells)
        for i, (count, total, top) in enumerate(hidden):
            select.select(count.as_(_n(i)), total.as_(_s(i)), top.as_(_t(i)), append=True, copy=False)
        return Info(CELLS, names=names, classes=classes, dominance=dominance)

    def cell_class(self, ref: exp.Column, cells: dict[str, Info]) -> set[str]:
        info = cells[ref.table]
        return info.classes[info.index(ref.name)]

    def cell_count(self, ref: exp.Column, scope: Scope, cells: dict[str, Info]) -> exp.Expression:
        model = self.model_counts.get((id(scope), ref.table))
        if model is not None:
            return model[ref.name.lower()].copy()
        return _col(ref.table, _n(cells[ref.table].index(ref.name)))

    def _strip(self, item: exp.Expression, name: str, kinds: set[str]) -> exp.Expression:
        """The value under casts, parentheses and literal defaults (a count cast to text is refused)."""
        core = _unalias(item)
        while isinstance(core, (exp.Cast, exp.TryCast, exp.Paren)) or (
            isinstance(core, exp.Coalesce) and all(isinstance(e, exp.Literal) for e in core.expressions)
        ):
            if isinstance(core, (exp.Cast, exp.TryCast)) and kinds & VALUES and (
                core.to.this in exp.DataType.TEXT_TYPES
            ):
                raise GateError(f"output column {name!r}: an aggregate cast to text refused (rule: counts and "
                                "statistics are released as numbers)")
            core = core.this
        return core

    def _selected_columns(self, core: exp.Expression, scope: Scope, cells: dict[str, Info]
                          ) -> list[exp.Column] | None:
        """The cell columns a value passes through unchanged: a column, or CASE WHEN <keys> THEN column
        ... END; None when the value computes on them."""
        if isinstance(core, exp.Column):
            return [core]
        if isinstance(core, exp.Null):
            return []
        if isinstance(core, exp.Case):
            chosen: list[exp.Column] = []
            for branch in core.args.get("ifs") or []:
                condition = branch.this
                if any(c.table in cells and self.cell_class(c, cells) & {COUNT, STAT}
                       for c in condition.find_all(exp.Column)):
                    return None
                picked = self._selected_columns(self._strip(branch.args["true"], "", set()), scope, cells)
                if picked is None:
                    return None
                chosen += picked
            default = core.args.get("default")
            if default is not None:
                picked = self._selected_columns(self._strip(default, "", set()), scope, cells)
                if picked is None:
                    return None
                chosen += picked
            return chosen
        return None

    def check_ordering(self, scope: Scope, value_aliases: set[str], cells: dict[str, Info] | None = None) -> None:
        """Ordering or picking cells by an unrounded count or statistic reveals it (two counts rounded to the
        same value, listed in order): ORDER BY, LIMIT and QUALIFY of aggregated rows use keys only."""
        select = scope.expression
        if select.args.get("qualify") is not None:
            raise GateError("QUALIFY over aggregated rows refused: filter on keys with WHERE or HAVING")
        order = select.args.get("order")
        for ordered in order.expressions if order is not None else []:
            for node in ordered.walk():
                if self.is_aggregate(node) or (
                    isinstance(node, exp.Column) and (
                        (not node.table and node.name.lower() in value_aliases)
                        or (cells and node.table in cells and self.cell_class(node, cells) & {COUNT, STAT}))
                ):
                    raise GateError(f"ORDER BY {ordered.sql(DIALECT)[:60]} refused (rule: ordering by an unrounded "
                                    "count or statistic reveals it; order by keys)")

    def check_value_predicates(self, condition: exp.Expression | None, scope: Scope,
                               cells: dict[str, Info] | None = None) -> None:
        """A filter on an unrounded count or statistic reveals it by the rows it keeps: only presence and
        minimum-size tests (``> c``, ``>= c`` with c <= 10, ``<> 0``, ``is [not] null``) are allowed."""
        if condition is None:
            return
        for node in condition.find_all(exp.Column, exp.AggFunc, exp.Anonymous):
            if node.find_ancestor(exp.Select) is not scope.expression and not isinstance(node, exp.Column):
                continue
            if isinstance(node, exp.Column):
                if not cells or node.table not in cells or not self.cell_class(node, cells) & {COUNT, STAT}:
                    continue
            elif not self.is_aggregate(node) or node.find_ancestor(exp.AggFunc):
                continue
            target = node.parent
            while isinstance(target, (exp.Paren, exp.Cast, exp.Filter)):
                target = target.parent
            bound = target.expression if isinstance(target, exp.Binary) else None
            ok = isinstance(target, exp.Is) or (
                isinstance(bound, exp.Literal) and bound.is_number and (
                    (isinstance(target, (exp.GT, exp.GTE)) and float(bound.this) <= MINIMUM_SIZE_TEST)
                    or (isinstance(target, exp.NEQ) and float(bound.this) == 0))
            )
            if not ok:
                raise GateError(
                    f"filter {target.sql(DIALECT)[:80]} on an unrounded count or statistic refused (rule: only "
                    "presence tests such as > 0 may filter released cells)"
                )


class _Self:
    """A stand-in scope whose only source (named "") is the given scope: to ask about its own outputs."""

    def __init__(self, scope: Scope) -> None:
        self.sources = {"": scope}


def _indicator(node: exp.Expression | None) -> bool:
    """A 0/1 indicator: a boolean cast to a number, or CASE WHEN ... THEN 1 ELSE 0 END."""
    if node is None:
        return False
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Cast) and isinstance(node.this, (exp.Predicate, exp.Not, exp.Paren, exp.Connector)):
        return True
    if isinstance(node, exp.Case):
        values = [i.args.get("true") for i in node.args.get("ifs") or []] + [node.args.get("default")]
        return all(isinstance(v, exp.Literal) and v.is_number and float(v.this) in (0.0, 1.0)
                   for v in values if v is not None)
    return False


def _leaf_selects(node: exp.Expression) -> list[exp.Select]:
    if isinstance(node, exp.SetOperation):
        return _leaf_selects(node.this) + _leaf_selects(node.expression)
    if isinstance(node, exp.Subquery):
        return _leaf_selects(node.this)
    return [node]  # type: ignore[list-item]


# --------------------------------------------------------------------------- plan and release


@dataclass
class Plan:
    """The rewritten query and the class of each output column."""

    sql: str
    columns: list[str]
    classes: list[set[str]]
    dominance: list[bool]
    constant: bool  # reads no person-level data


def _udf_count_fields(con: Any) -> frozenset[str]:
    """Integer fields of the statistics UDFs' result structs (``n``, ``n1``, ``n_01``, ``n_groups`` ...)."""
    rows = con.execute(
        "select return_type from duckdb_functions() where function_name in "
        f"({', '.join(repr(u) for u in sorted(STATISTICS_UDFS))})"
    ).fetchall()
    fields = set()
    for (return_type,) in rows:
        fields |= {m.lower() for m in re.findall(r'"?(\w+)"?\s+(?:BIGINT|INTEGER|HUGEINT|UBIGINT)\b', return_type or "")}
    return frozenset(fields)


def plan(sql: str, con: Any) -> Plan:
    statements = check_read_only(sql)
    if len(statements) != 1:
        raise GateError("an output runs exactly one query")
    statement = expand_macros(statements[0], con)
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        raise GateError(f"{statement.key.upper()} statement refused: an output is a SELECT query")
    expanded = statement.sql(DIALECT)
    check_export(expanded, con, require_aggregation=False)
    catalog = Catalog.from_connection(con)
    analysis = analyse(sqlglot.parse_one(expanded, dialect=DIALECT), catalog)
    rewriter = _Rewriter(catalog, catalog.aggregates, _udf_count_fields(con))
    info = rewriter.info(analysis.root)
    root = analysis.root.expression
    leaves = _leaf_selects(root)
    width = len([s for s in leaves[0].selects if not s.alias_or_name.startswith(HIDDEN)])
    columns = [s.alias_or_name for s in leaves[0].selects][:width]
    if info.kind == ROWS:
        raise GateError("the query returns person-level rows: outputs must aggregate (GROUP BY or aggregates)")
    if info.kind == CONST:
        return Plan(sql=expanded, columns=columns, classes=[set() for _ in columns],
                    dominance=[False for _ in columns], constant=True)
    return Plan(sql=root.sql(DIALECT), columns=columns, classes=info.classes, dominance=info.dominance,
                constant=False)


@dataclass
class Release:
    """A gated result: the frame that may leave, and what the rules did."""

    frame: pd.DataFrame
    sql: str
    profile: str
    persons: pd.DataFrame  # persons behind each cell (unrounded; stays in the log, never in the output)
    classes: dict[str, str]
    rows_dropped: int = 0
    suppressed: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> rule -> cells

    def summary(self) -> str:
        cells = sum(sum(r.values()) for r in self.suppressed.values())
        return f"{len(self.frame)} rows released, {self.rows_dropped} rows dropped, {cells} cells suppressed"


def release(con: Any, sql: str, profile: str | Profile = "cbs") -> Release:
    """Run ``sql`` through the gate and return what may leave (raises :class:`GateError` when refused)."""
    prof = get_profile(profile)
    p = plan(sql, con)
    try:
        result = con.execute(p.sql)
    except Exception as error:  # noqa: BLE001 - DuckDB's message, one line
        raise GateError(f"the query failed: {str(error).strip().splitlines()[0]}") from None
    names = [d[0] for d in result.description]
    data = result.fetchall()
    frame = pd.DataFrame.from_records(data, columns=names) if data else pd.DataFrame(columns=names)
    width = len(p.columns)
    values = frame.iloc[:, :width].copy()
    values.columns = p.columns
    if p.constant:
        return Release(values, sql, prof.name, pd.DataFrame(index=values.index), {c: "constant" for c in p.columns})
    persons = pd.DataFrame({c: pd.to_numeric(frame[_n(i)]).astype("float") for i, c in enumerate(p.columns)})
    return apply_rules(values, persons, p, frame, sql, prof)


def _label(kinds: set[str]) -> str:
    return "+".join(sorted(kinds)) or "constant"


def apply_rules(values: pd.DataFrame, persons: pd.DataFrame, p: Plan, frame: pd.DataFrame, sql: str,
                prof: Profile) -> Release:
    minimum = prof.min_count
    suppressed: dict[str, dict[str, int]] = {}
    drop = np.zeros(len(values), dtype=bool)
    for i, column in enumerate(p.columns):
        if KEY in p.classes[i] and minimum:
            drop |= persons[column].to_numpy() < minimum
    out = values.copy()
    for i, column in enumerate(p.columns):
        kinds = p.classes[i]
        if not kinds & VALUES:
            continue
        basis = persons[column].to_numpy()
        mask = np.zeros(len(out), dtype=bool)
        rules: dict[str, int] = {}
        if minimum:
            small = basis < minimum
            rules["threshold"] = int((small & ~drop).sum())
            mask |= small
        numeric = pd.to_numeric(out[column], errors="coerce")
        if COUNT in kinds and minimum:
            zero = (numeric == 0).to_numpy() & ~mask
            rules["zero"] = int((zero & ~drop).sum())
            mask |= zero
            below = (numeric < minimum).to_numpy() & ~mask  # the count itself below the minimum
            rules["threshold"] = rules.get("threshold", 0) + int((below & ~drop).sum())
            mask |= below
        if p.dominance[i]:
            totals = pd.to_numeric(frame[_s(i)], errors="coerce").to_numpy(dtype=float)
            tops = frame[_t(i)].tolist()
            unsafe = np.zeros(len(out), dtype=bool)
            for r, (total, top) in enumerate(zip(totals, tops)):
                if top is None or np.isnan(total) or total <= 0:
                    continue
                largest = sorted((float(x) for x in top if x is not None), reverse=True)[:2] + [0.0, 0.0]
                first, second = largest[0], largest[1]
                if first + second > NK_K * total or (total - first - second) < P_RATIO * first:
                    unsafe[r] = True
            unsafe &= ~mask
            rules["dominance"] = int((unsafe & ~drop).sum())
            mask |= unsafe
        if COUNT in kinds:
            rounded = round5(numeric.to_numpy(dtype=float))
            out[column] = pd.array([None if (m or np.isnan(v)) else int(v) for v, m in zip(rounded, mask)],
                                   dtype="Int64")
        else:
            out[column] = numeric.where(~mask) if numeric.notna().sum() == out[column].notna().sum() \
                else out[column].where(~mask)
        suppressed[column] = {k: v for k, v in rules.items() if v}
    out = out[~drop].reset_index(drop=True)
    kept_persons = persons[~drop].reset_index(drop=True)
    return Release(out, sql, prof.name, kept_persons, {c: _label(p.classes[i]) for i, c in enumerate(p.columns)},
                   rows_dropped=int(drop.sum()), suppressed={k: v for k, v in suppressed.items() if v})
