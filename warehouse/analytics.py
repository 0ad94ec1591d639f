"""The DuckDB ``analytics`` schema: disclosure-controlled aggregates only, safe for BI tools.

``validate_analytics`` is what makes it acceptable to let DuckDB-speaking tools (Superset,
Metabase through duckdb-engine) open the warehouse file read-only and read ``analytics.*``:
every table or view there must pass the export guard on ``select *`` (no column derived from
a person key, views looked through to their sources), have no column named like a person key
(including STRUCT fields) and hold no value shaped like a person key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from warehouse.guard import GuardError, check_export, check_frame_values, is_person_key

ANALYTICS_SCHEMA = "analytics"


@dataclass(frozen=True)
class AnalyticsTable:
    name: str
    columns: list[tuple[str, str]]  # (column, DuckDB type)
    is_view: bool
    comment: str | None
    column_comments: dict[str, str]


def list_tables(con: Any, schema: str = ANALYTICS_SCHEMA) -> list[AnalyticsTable]:
    """Tables and views of a DuckDB schema with their column types and comments."""
    tables = con.execute(
        """
        select table_name, false as is_view, comment from duckdb_tables()
        where schema_name = ? and database_name = current_database()
        union all
        select view_name, true, comment from duckdb_views()
        where schema_name = ? and database_name = current_database() and not internal
        order by 1
        """,
        [schema, schema],
    ).fetchall()
    result = []
    for name, is_view, comment in tables:
        columns = con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where schema_name = ? and table_name = ? and database_name = current_database() "
            "order by column_index",
            [schema, name],
        ).fetchall()
        result.append(
            AnalyticsTable(
                name=name,
                columns=[(c, t) for c, t, _ in columns],
                is_view=bool(is_view),
                comment=comment or None,
                column_comments={c: note for c, _, note in columns if note},
            )
        )
    return result


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def select_all(table: str, schema: str = ANALYTICS_SCHEMA) -> str:
    return f"select * from {quote(schema)}.{quote(table)}"


def validate_table(con: Any, table: AnalyticsTable, schema: str = ANALYTICS_SCHEMA) -> list[tuple[Any, ...]]:
    """Refuse (GuardError) a table that could hold person keys; return its rows."""
    for column, data_type in table.columns:
        if is_person_key(column, data_type):
            raise GuardError(f"{schema}.{table.name}.{column} is a person-key column: not allowed in {schema}")
    query = select_all(table.name, schema)
    check_export(query, con)
    relation = con.execute(query)
    rows = relation.fetchall()
    check_frame_values([c for c, _ in table.columns], rows)
    return rows


def validate_analytics(con: Any, schema: str = ANALYTICS_SCHEMA) -> list[AnalyticsTable]:
    """Check every table of the analytics schema holds only aggregates; return the tables checked."""
    tables = list_tables(con, schema)
    for table in tables:
        validate_table(con, table, schema)
    return tables
