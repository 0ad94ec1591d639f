"""SQL guards on sqlglot: read-only statements, and exports that cannot carry person-level data.

``check_read_only`` is for ``warehouse sql`` (analysts in the secure environment may see
person-level rows there; it only stops writes, settings, extensions and file/network access).

``check_export`` is for every path that takes results OUT of the warehouse (export, report,
publish). It traces the value lineage of each output column through CTEs, subqueries,
aliases, set operations and ``*`` and refuses

* an output column whose value derives from a person key (``person_id``, ``RINPERSOON``, ...)
  through any expression (concatenation, casts, hashes, substrings, ``min``/``max``,
  ``string_agg``, comparisons, ...). Two constructs do not carry the key's value and are
  allowed: counting (``count(person_id)``, ``count(distinct person_id)``,
  ``approx_count_distinct``) and null tests (``mother_id is not null``);
* a top-level GROUP BY on an expression derived from a person key (per-person rows);
* a query that does not aggregate (GROUP BY, or only aggregates at the top level) unless every
  table it reads is in the disclosure-controlled ``analytics`` schema or in ``seeds``.

The guard fails closed: anything it cannot resolve (unknown table or column, a table alias used
as a whole-row value, ``COLUMNS(...)``, statements it cannot parse) is refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope, traverse_scope
from sqlglot.schema import MappingSchema
from sqlglot.tokens import TokenType

DIALECT = "duckdb"

PERSON_KEY_COLUMNS = frozenset(
    {
        "person_id", "mother_id", "father_id", "partner_id", "relative_id", "child_id",
        "parent_id", "sibling_id", "matched_offender_id",
    }
)
_PERSON_KEY_RE = re.compile(r"^(rinpersoon\w*|\w*_person_id|\w*offender_id)$", re.IGNORECASE)
#: A pseudonymised CBS person number as stored in the warehouse ('R000123456') or raw (9 digits).
PERSON_KEY_VALUE_RE = re.compile(r"^\s*R?\d{9}\s*$")

#: Schemas that hold person-level rows.
PERSON_SCHEMAS = frozenset({"raw", "source_current", "staging", "intermediate", "marts"})
#: Schemas whose tables may leave the warehouse without aggregation.
SAFE_SCHEMAS = frozenset({"analytics", "seeds"})

#: A table name DuckDB would read as a file, URL or glob (replacement scan).
_FILE_NAME_RE = re.compile(r"[/\\:.~*?]")
_READ_STATEMENTS = (exp.Select, exp.SetOperation, exp.Values, exp.Describe, exp.Show, exp.Summarize, exp.Pivot)
_SAFE_PRAGMAS = frozenset(
    {
        "table_info", "show", "storage_info", "database_size", "version", "show_tables",
        "show_tables_expanded", "show_databases", "database_list", "collations", "functions",
        "platform", "metadata_info", "user_agent",
    }
)
#: Table functions that only read the catalogue or generate values.
_SAFE_TABLE_FUNCTIONS = frozenset(
    {
        "range", "generate_series", "unnest", "duckdb_tables", "duckdb_columns", "duckdb_views",
        "duckdb_schemas", "duckdb_functions", "duckdb_types", "duckdb_constraints", "duckdb_indexes",
        "duckdb_databases", "duckdb_keywords", "duckdb_dependencies", "duckdb_sequences",
        "pragma_table_info", "pragma_show", "pragma_version", "pragma_database_size",
        "pragma_storage_info", "pragma_metadata_info", "pragma_collations", "pragma_platform",
    }
)
#: The warehouse's own table macros (dbt_project/models/marts/figures): they read only the relation named by
#: their first argument (through ``query_table``), which must be a plain name such as a CTE of the query.
FIGURE_TABLE_MACROS = frozenset({"group_summary", "before_after_summary"})
#: Functions (scalar or table) that touch files, the network, the environment or run SQL text.
_FILE_FUNCTION_RE = re.compile(
    r"^(read_\w+|parquet_\w+|sniff_csv|glob|getenv|iceberg_\w+|delta_scan|sqlite_\w+|postgres_\w+|"
    r"mysql_\w+|query|query_table|duckdb_secrets|which_secret|load_aws_credentials|http\w*|st_read\w*|"
    r"csv_scan|json_scan|ducklake_\w+|duckdb_extensions|duckdb_settings|current_setting|"
    r"duckdb_temporary_files|duckdb_log\w*)$",
    re.IGNORECASE,
)
_COUNTING = frozenset({"count", "count_star", "approx_count_distinct", "count_if"})
#: The statistics UDFs of python_udfs: they consume their list(...) arguments (person keys included, as
#: the conditional logit's strata) and return only test results and model estimates.
STATISTICS_UDFS = frozenset(
    {
        "anova_oneway", "chi_square_test", "mann_whitney_u", "mcnemar_test", "median_test",
        "pairwise_categories", "pairwise_means", "t_test_ind", "t_test_paired", "clogit_fit",
    }
)


class GuardError(ValueError):
    """A statement or export the guard refuses; the message names the statement kind or column."""


# --------------------------------------------------------------------------- read-only


def _split_statements(sql: str) -> list[str]:
    """Statement texts separated by top-level semicolons (so unparsable ones can be named)."""
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
    except SqlglotError as error:
        raise GuardError(f"cannot tokenize the SQL: {error}") from None
    chunks: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            chunks.append(sql[start : token.start])
            start = token.end + 1
    chunks.append(sql[start:])
    return [chunk for chunk in chunks if chunk.strip()]


def _first_word(text: str) -> str:
    match = re.match(r"\s*(\w+)", text)
    return match.group(1).upper() if match else "EMPTY"


def _kind(statement: exp.Expression) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    key = statement.key.upper()
    return {"TRUNCATETABLE": "TRUNCATE", "USERDEFINEDFUNCTION": "CREATE FUNCTION"}.get(key, key)


def function_name(node: exp.Expression) -> str:
    """Lower-case name of a function call (an unknown function's name without quotes)."""
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return node.key.lower()


def _parse_one(text: str) -> exp.Expression:
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)  # no "falling back to Command" warnings on stderr
    try:
        statement = sqlglot.parse_one(text, dialect=DIALECT)
    except SqlglotError:
        raise GuardError(f"{_first_word(text)} statement refused: it cannot be parsed as a read-only query") from None
    finally:
        logger.setLevel(level)
    if statement is None:
        raise GuardError("empty statement")
    return statement


def _check_reads_only_files(statement: exp.Expression) -> None:
    """Refuse file, URL and network access inside an otherwise read-only statement."""
    for node in statement.walk():
        if isinstance(node, exp.Table):
            target = node.this
            if isinstance(target, exp.Func):
                name = function_name(target)
                if name in FIGURE_TABLE_MACROS and node.db.lower() == "marts":
                    _check_figure_macro_argument(name, target)
                elif name not in _SAFE_TABLE_FUNCTIONS:
                    raise GuardError(f"table function {name}() refused: it may read files or the network")
            else:
                _check_table_name(node, "reading")
        elif isinstance(node, (exp.Summarize, exp.Describe)):
            _check_describe_target(node)
        elif isinstance(node, exp.Func) and _FILE_FUNCTION_RE.match(function_name(node)):
            raise GuardError(f"function {function_name(node)}() refused: it reads files, settings or the network")
        if isinstance(node, exp.Select) and node.args.get("into"):
            raise GuardError("SELECT INTO statement refused: only reads are allowed")


def _file_refused(kind: str, name: str) -> GuardError:
    subject = f"{kind} of the file" if kind != "reading" else "reading the file"
    return GuardError(f"{subject} {name!r} refused: only warehouse tables can be read")


def _check_table_name(table: exp.Table, kind: str) -> None:
    """A table reference must be a plain (catalog.schema.)name: DuckDB reads a name that looks like a
    path, URL or glob (a string literal or quoted identifier with / \\ : . ~ * ?) as a file (a
    "replacement scan"), also when schema-qualified (``marts."x.csv"`` reads the file ``marts.x.csv``)."""
    target = table.this
    if isinstance(target, exp.Literal):
        raise _file_refused(kind, target.name)
    if not isinstance(target, exp.Identifier):
        raise GuardError(f"{kind.upper()} of {table.sql(DIALECT)} refused: only warehouse tables can be read")
    for part in table.parts:
        if isinstance(part, exp.Identifier) and _FILE_NAME_RE.search(part.name):
            raise _file_refused(kind, ".".join(p.name for p in table.parts))


def _check_describe_target(node: exp.Expression) -> None:
    """SUMMARIZE / DESCRIBE read their target: a plain warehouse table name or a query, nothing else."""
    kind = "SUMMARIZE" if isinstance(node, exp.Summarize) else "DESCRIBE"
    target = node.this
    if isinstance(target, exp.Literal) and target.is_string:
        raise _file_refused(kind, target.name)
    if isinstance(target, exp.Table) and isinstance(target.this, exp.Identifier):
        _check_table_name(target, kind)
        return
    if isinstance(target, (exp.Select, exp.SetOperation, exp.Subquery, exp.Values)):
        return  # the query is checked by the walk like any other
    shown = target.sql(DIALECT) if isinstance(target, exp.Expression) else str(target)
    raise GuardError(f"{kind} of {shown} refused: only a warehouse table or a SELECT can be read")


_SHOW_LISTING_RE = re.compile(r"^\s*((all\s+)?tables(\s+from\s+[A-Za-z_]\w*)?|databases)?\s*$", re.IGNORECASE)


def _check_show(rest: str) -> None:
    """``SHOW x``: a catalogue listing, a plain (schema.)table name or a query; never a file."""
    if _SHOW_LISTING_RE.match(rest):
        return
    tokens = sqlglot.tokenize(rest, read=DIALECT)
    if len(tokens) == 1 and tokens[0].token_type == TokenType.STRING:
        raise _file_refused("SHOW", tokens[0].text)
    statement = _parse_one(rest) if rest.strip() else None
    if isinstance(statement, exp.Column) and all(isinstance(p, exp.Identifier) for p in statement.parts):
        names = [p.name for p in statement.parts]
        if any(_FILE_NAME_RE.search(name) for name in names):
            raise _file_refused("SHOW", ".".join(names))
        return
    if isinstance(statement, (exp.Select, exp.SetOperation)):
        _check_statement(statement, rest)
        return
    raise GuardError(f"SHOW {rest.strip()[:60]} refused: only a warehouse table or a SELECT can be shown")


def _check_no_nested_show(text: str) -> None:
    """DuckDB runs ``FROM (SHOW 'file.csv')``, which sqlglot reads as a table named show: refuse SHOW
    anywhere but at the start of a statement."""
    tokens = sqlglot.tokenize(text, read=DIALECT)
    if any(token.token_type == TokenType.SHOW for token in tokens[1:]):
        raise GuardError("SHOW inside a statement refused: run SHOW on its own, on a warehouse table")


def _check_figure_macro_argument(name: str, call: exp.Func) -> None:
    """A figure table macro reads the relation its first argument names: only a plain name, never a path."""
    first = call.expressions[0] if call.expressions else None
    if not (isinstance(first, exp.Column) and not first.table and re.fullmatch(r"[A-Za-z_]\w*", first.name)):
        raise GuardError(f"marts.{name}() refused: its first argument must be the plain name of a relation (a CTE)")


def _check_statement(statement: exp.Expression, text: str) -> None:
    if isinstance(statement, exp.Command) and str(statement.this).upper() == "EXPLAIN":
        rest = statement.expression.name if statement.expression else ""
        rest = re.sub(r"^\s*analy[sz]e\b", "", rest, flags=re.IGNORECASE)
        _check_statement(_parse_one(rest), rest)
        return
    _check_no_nested_show(text)
    if isinstance(statement, exp.Command) and str(statement.this).upper() == "SHOW":
        rest = statement.expression
        _check_show(rest.name if isinstance(rest, exp.Expression) else str(rest or ""))
        return
    if isinstance(statement, exp.Pragma):
        target = statement.this
        if isinstance(target, exp.EQ):  # PRAGMA name = value sets a setting
            target = target.this
        name = function_name(target) if isinstance(target, exp.Func) else (target.name.lower() if target else "")
        if isinstance(statement.this, exp.EQ):
            raise GuardError(f"PRAGMA {name} refused: only read-only pragmas are allowed")
        if isinstance(target, (exp.Func, exp.Column)) and name in _SAFE_PRAGMAS:
            return
        raise GuardError(f"PRAGMA {name or _first_word(text)} refused: only read-only pragmas are allowed")
    if not isinstance(statement, _READ_STATEMENTS):
        first, kind = _first_word(text), _kind(statement)
        label = first if kind in (first, "COLUMN") or kind.startswith(first) else f"{first} ({kind})"
        raise GuardError(f"{label} statement refused: only reads are allowed")
    _check_reads_only_files(statement)


def check_read_only(sql: str) -> list[exp.Expression]:
    """Parse every statement and refuse anything but reads; return the parsed statements."""
    texts = _split_statements(sql)
    if not texts:
        raise GuardError("no SQL statement given")
    statements = []
    for text in texts:
        statement = _parse_one(text)
        _check_statement(statement, text)
        statements.append(statement)
    return statements


# --------------------------------------------------------------------------- export


def is_person_key(column: str, data_type: str | None = None) -> bool:
    """A person-key column by name, or a nested type (STRUCT/MAP) with a person-key field."""
    name = column.lower()
    if name in PERSON_KEY_COLUMNS or _PERSON_KEY_RE.match(name):
        return True
    if data_type:
        fields = re.findall(r"[\"(,]\s*\"?([A-Za-z_]\w*)\"?\s+[A-Z]", data_type)
        return any(is_person_key(field) for field in fields)
    return False


@dataclass(frozen=True)
class Catalog:
    """Columns and types of the warehouse tables and views, and the aggregate function names."""

    columns: dict[str, dict[str, dict[str, str]]]  # schema -> table -> column -> type
    aggregates: frozenset[str]
    views: dict[tuple[str, str], str]  # (schema, view) -> CREATE VIEW statement

    @classmethod
    def from_connection(cls, con: Any) -> Catalog:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
        ).fetchall()
        columns: dict[str, dict[str, dict[str, str]]] = {}
        for schema, table, column, data_type in rows:
            columns.setdefault(schema.lower(), {}).setdefault(table.lower(), {})[column.lower()] = data_type
        aggregates = con.execute(
            "select distinct lower(function_name) from duckdb_functions() where function_type = 'aggregate'"
        ).fetchall()
        views = con.execute(
            "select lower(schema_name), lower(view_name), sql from duckdb_views() "
            "where not internal and database_name = current_database()"
        ).fetchall()
        return cls(columns, frozenset(name for (name,) in aggregates), {(s, v): sql for s, v, sql in views})

    def view(self, schema: str, name: str) -> Analysis | None:
        """The qualified query of a view (traced like a subquery), or None for a base table."""
        sql = self.views.get((schema, name))
        if sql is None:
            return None
        try:
            create = sqlglot.parse_one(sql, dialect=DIALECT)
        except SqlglotError:
            raise GuardError(f"cannot parse the definition of view {schema}.{name}") from None
        query = create.expression if isinstance(create, exp.Create) else None
        if not isinstance(query, (exp.Select, exp.SetOperation)):
            raise GuardError(f"cannot trace the definition of view {schema}.{name}")
        return analyse(query, self, default_schema=schema)

    def schema(self) -> MappingSchema:
        typed = {
            schema: {table: {column: "UNKNOWN" for column in cols} for table, cols in tables.items()}
            for schema, tables in self.columns.items()
        }
        return MappingSchema(typed, dialect=DIALECT)

    def column_type(self, schema: str, table: str, column: str) -> str | None:
        return self.columns.get(schema, {}).get(table, {}).get(column)


@dataclass(frozen=True)
class Source:
    schema: str
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}"


class _Tracer:
    """Value lineage of expressions in a qualified query, down to base-table columns."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def expression(self, node: exp.Expression, scope: Scope) -> Iterator[Source]:
        subqueries = {id(child.expression): child for child in scope.subquery_scopes}
        yield from self._walk(node, scope, subqueries, frozenset())

    def _walk(self, node: exp.Expression, scope: Scope, subqueries: dict[int, Scope], lambdas: frozenset[str]
              ) -> Iterator[Source]:
        if id(node) in subqueries:
            yield from self.outputs(subqueries[id(node)])
            return
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return  # a null test does not carry the key's value
        if isinstance(node, (exp.Count, exp.ApproxDistinct, exp.CountIf)) or (
            isinstance(node, exp.Anonymous) and str(node.this).lower() in _COUNTING
        ):
            return  # counting persons does not carry their keys
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in STATISTICS_UDFS:
            return  # a test or model fit returns statistics, not the values it consumed
        if isinstance(node, exp.Columns):
            raise GuardError("COLUMNS(...) is refused in exports: list the output columns explicitly")
        if isinstance(node, exp.Lambda):
            params = frozenset(p.name.lower() for p in node.expressions)
            yield from self._walk(node.this, scope, subqueries, lambdas | params)
            return
        if isinstance(node, exp.Column):
            yield from self._column(node, scope, lambdas)
            return
        if isinstance(node, exp.TableColumn):
            raise GuardError(
                f"output uses the table alias {node.name!r} as a whole row value: refused in exports"
            )
        for child in node.iter_expressions():
            yield from self._walk(child, scope, subqueries, lambdas)

    def _column(self, column: exp.Column, scope: Scope, lambdas: frozenset[str]) -> Iterator[Source]:
        if isinstance(column.this, exp.Star):
            raise GuardError(f"cannot expand {column.sql(DIALECT)} in an export")
        if not column.table and column.name.lower() in lambdas:
            return
        # struct field access qualifies as "source"."struct"."field": find the part naming a source
        parts = [part.name for part in column.parts]
        for index in range(len(parts) - 2, -1, -1):
            source = scope.sources.get(parts[index])
            if source is not None:
                yield from self._source_column(source, parts[index + 1], scope)
                return
        raise GuardError(
            f"output column {column.sql(DIALECT)} cannot be resolved to a table column "
            "(a table alias used as a whole row is refused in exports)"
        )

    def _source_column(self, source: exp.Expression | Scope, name: str, scope: Scope) -> Iterator[Source]:
        if isinstance(source, exp.Table):
            if isinstance(source.this, exp.Func):
                return  # a generator table function (range, generate_series): no warehouse data
            schema, table = source.db.lower(), source.name.lower()
            view = self.catalog.view(schema, table)
            if view is not None:
                yield from self.output(view.root, name)
                return
            data_type = self.catalog.column_type(schema, table, name.lower())
            if data_type is None:
                raise GuardError(f"unknown column {schema}.{table}.{name}")
            yield Source(schema, table, name.lower())
            return
        if isinstance(source.expression, (exp.Select, exp.SetOperation)):
            yield from self.output(source, name)
            return
        # UNNEST / lateral table: every column it mentions flows into each of its columns
        yield from self.expression(source.expression, scope)

    def outputs(self, scope: Scope) -> Iterator[Source]:
        for index in range(len(_leftmost_select(scope.expression).selects)):
            yield from self._output_at(scope, index)

    def output(self, scope: Scope, name: str) -> Iterator[Source]:
        names = [select.alias_or_name.lower() for select in _leftmost_select(scope.expression).selects]
        if name.lower() not in names:
            raise GuardError(f"column {name} not found in a subquery")
        yield from self._output_at(scope, names.index(name.lower()))

    def _output_at(self, scope: Scope, index: int) -> Iterator[Source]:
        if isinstance(scope.expression, exp.SetOperation):
            for branch in scope.set_operation_scopes:
                yield from self._output_at(branch, index)
            return
        yield from self.expression(scope.expression.selects[index], scope)


def _leftmost_select(node: exp.Expression) -> exp.Select:
    while isinstance(node, exp.SetOperation):
        node = node.this
    if isinstance(node, exp.Subquery):
        return _leftmost_select(node.this)
    if not isinstance(node, exp.Select):
        raise GuardError(f"cannot trace the columns of a {node.key.upper()} in an export")
    return node


def _leaf_scopes(scope: Scope) -> list[Scope]:
    if isinstance(scope.expression, exp.SetOperation):
        return [leaf for branch in scope.set_operation_scopes for leaf in _leaf_scopes(branch)]
    return [scope]


def _is_aggregate(node: exp.Expression, aggregates: frozenset[str]) -> bool:
    if isinstance(node, exp.AggFunc):
        return True
    return isinstance(node, exp.Anonymous) and str(node.this).lower() in aggregates


def _aggregates(select: exp.Select, aggregates: frozenset[str]) -> bool:
    """GROUP BY, or every output is an aggregate (columns only inside non-window aggregates)."""
    if select.args.get("group"):
        return True
    if not select.selects:
        return False
    for item in select.selects:
        found = False
        for node in item.walk():
            if isinstance(node, exp.Window):
                continue
            if _is_aggregate(node, aggregates) and not node.find_ancestor(exp.Window):
                found = True
            if isinstance(node, exp.Column) and not any(
                _is_aggregate(a, aggregates) and not a.find_ancestor(exp.Window)
                for a in _ancestors(node, item)
            ):
                return False
        if not found:
            return False
    return True


def _ancestors(node: exp.Expression, stop: exp.Expression) -> Iterator[exp.Expression]:
    parent = node.parent
    while parent is not None and parent is not stop.parent:
        yield parent
        parent = parent.parent


def _base_tables(root: exp.Expression) -> Iterator[exp.Table]:
    for scope in traverse_scope(root):
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and not isinstance(source.this, exp.Func):
                yield source


@dataclass(frozen=True)
class Analysis:
    """A qualified query, its root scope and the relations it reads."""

    expression: exp.Expression
    root: Scope
    tables: list[tuple[str, str]]


def analyse(statement: exp.Expression, catalog: Catalog, default_schema: str = "main") -> Analysis:
    try:
        qualified = qualify(
            statement.copy(), schema=catalog.schema(), dialect=DIALECT, db=default_schema,
            validate_qualify_columns=True, expand_stars=True, quote_identifiers=False,
        )
        root = build_scope(qualified)
    except SqlglotError as error:
        raise GuardError(f"cannot verify the query's lineage: {error}") from None
    if root is None:
        raise GuardError("cannot verify the query's lineage")
    tables = []
    for table in _base_tables(qualified):
        schema, name = table.db.lower(), table.name.lower()
        if name not in catalog.columns.get(schema, {}):
            raise GuardError(f"unknown table {schema}.{name}")
        tables.append((schema, name))
    return Analysis(qualified, root, tables)


def _row_unsafe(analysis: Analysis, catalog: Catalog, depth: int = 0) -> list[str]:
    """Relations read whose rows are not disclosure-controlled (views are looked through)."""
    if depth > 20:
        raise GuardError("views nested too deeply to verify")
    unsafe = set()
    for schema, name in analysis.tables:
        if schema not in SAFE_SCHEMAS:
            unsafe.add(f"{schema}.{name}")
            continue
        view = catalog.view(schema, name)
        if view is not None and not _aggregating(view, catalog) and _row_unsafe(view, catalog, depth + 1):
            unsafe.add(f"{schema}.{name}")
    return sorted(unsafe)


def _aggregating(analysis: Analysis, catalog: Catalog) -> bool:
    return all(_aggregates(leaf.expression, catalog.aggregates) for leaf in _leaf_scopes(analysis.root))


def check_export(sql: str, con: Any, *, require_aggregation: bool = True) -> None:
    """Refuse a query whose output could carry person keys or person-level rows.

    ``require_aggregation=False`` leaves the person-level-rows rule to the caller (the output gate decides
    it from the provenance of every relation, through CTEs and table macros)."""
    statements = check_read_only(sql)
    if len(statements) != 1:
        raise GuardError("an export runs exactly one query")
    statement = statements[0]
    if not isinstance(statement, (exp.Select, exp.SetOperation, exp.Values)):
        raise GuardError(f"{_kind(statement)} statement refused: an export runs a SELECT query")
    for node in statement.walk():
        if isinstance(node, exp.Columns):
            raise GuardError("COLUMNS(...) is refused in exports: list the output columns explicitly")
    if isinstance(statement, exp.Values):
        if statement.find(exp.Column, exp.Select, exp.TableColumn):
            raise GuardError("VALUES with column references or subqueries is refused in exports")
        return
    catalog = Catalog.from_connection(con)
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    for table in statement.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier) and table.name.lower() not in ctes:
            schema = (table.db or "main").lower()
            if table.name.lower() not in catalog.columns.get(schema, {}):
                raise GuardError(f"unknown table {schema}.{table.name}")
    analysis = analyse(statement, catalog)
    qualified, root = analysis.expression, analysis.root
    tracer = _Tracer(catalog)
    outputs = _leftmost_select(qualified).selects
    for index, select in enumerate(outputs):
        for source in tracer._output_at(root, index):
            if is_person_key(source.column, catalog.column_type(source.schema, source.table, source.column)):
                raise GuardError(
                    f"output column {select.alias_or_name!r} derives from the person key {source} "
                    "and cannot leave the warehouse"
                )
    for leaf in _leaf_scopes(root):
        group = leaf.expression.args.get("group")
        if group is None:
            continue
        for item in group.iter_expressions():
            for source in tracer.expression(item, leaf):
                if is_person_key(source.column, catalog.column_type(source.schema, source.table, source.column)):
                    raise GuardError(
                        f"GROUP BY {item.sql(DIALECT)} groups by the person key {source}: "
                        "per-person aggregates are person-level rows"
                    )
    for leaf in _leaf_scopes(root) if require_aggregation else []:
        if _aggregates(leaf.expression, catalog.aggregates):
            continue
        tables = [
            (source.db.lower(), source.name.lower())
            for scope in leaf.traverse()
            for source in scope.sources.values()
            if isinstance(source, exp.Table) and not isinstance(source.this, exp.Func)
        ]
        unsafe = _row_unsafe(Analysis(leaf.expression, leaf, tables), catalog)
        if unsafe:
            raise GuardError(
                f"the query returns rows of {', '.join(unsafe)} without aggregating: exports need GROUP BY "
                "or aggregate functions unless every table read is in analytics or seeds"
            )


def check_frame_values(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Defence in depth on a result: no column named like a person key, no key-like string values."""
    for index, column in enumerate(columns):
        if is_person_key(column):
            raise GuardError(f"output column {column!r} is named like a person key")
        for row in rows:
            value = row[index]
            if isinstance(value, str) and PERSON_KEY_VALUE_RE.match(value):
                raise GuardError(f"output column {column!r} holds a value shaped like a person key")
