"""Publish the DuckDB ``analytics`` schema to PostgreSQL for BI tools, atomically and idempotently.

1. Every table of DuckDB ``analytics`` is validated (``warehouse.analytics.validate_table``: the
   export guard on ``select *``, no person-key columns or values) and disclosure-checked
   (``warehouse.disclosure.assert_safe``) before PostgreSQL is touched.
2. Transaction 1 loads everything into a fresh schema ``<schema>__staging_<token>`` with psycopg
   ``COPY FROM STDIN`` (no server-side file access, no extension to install, streams rows), adds
   comments from the dbt docs / figure titles and grants the reader role USAGE + SELECT.
3. Transaction 2 swaps: ``<schema>`` -> ``<schema>__old_<token>``, staging -> ``<schema>``, drop
   the old one. A publish killed before this commit leaves the published schema untouched.

A session advisory lock serialises concurrent publishes of the same schema.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from warehouse.analytics import AnalyticsTable, list_tables, validate_table
from warehouse.disclosure import assert_safe

#: Test hook: seconds to sleep after loading each table (to kill a publish midway).
SLEEP_ENV = "WAREHOUSE_PUBLISH_SLEEP_PER_TABLE"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_TYPES = {
    "BOOLEAN": "boolean", "TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer",
    "BIGINT": "bigint", "HUGEINT": "numeric", "UTINYINT": "smallint", "USMALLINT": "integer",
    "UINTEGER": "bigint", "UBIGINT": "numeric", "UHUGEINT": "numeric", "FLOAT": "real",
    "DOUBLE": "double precision", "VARCHAR": "text", "DATE": "date", "TIME": "time",
    "TIMESTAMP": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz", "INTERVAL": "interval",
    "BLOB": "bytea", "UUID": "uuid",
}


class PublishRefused(ValueError):
    """The analytics schema is empty, partial or holds a table the gate did not release."""


@dataclass
class PublishResult:
    schema: str
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    disclosure_checked: bool = False


@dataclass(frozen=True)
class _Prepared:
    table: AnalyticsTable
    rows: list[tuple[Any, ...]]
    pg_types: list[str]
    comment: str
    column_comments: dict[str, str]


def pg_type(duckdb_type: str) -> tuple[str, bool]:
    """PostgreSQL type for a DuckDB type, and whether values must be cast to text first."""
    upper = duckdb_type.upper()
    if upper in _TYPES:
        return _TYPES[upper], False
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal:
        return f"numeric({decimal.group(1)},{decimal.group(2)})", False
    return "text", True  # ENUM, LIST, STRUCT, MAP, ...: published as their text form


def dbt_descriptions(models_dir: Path | None = None) -> dict[str, tuple[str, dict[str, str]]]:
    """Model name -> (description, column descriptions) from the dbt YAML files."""
    import yaml

    from warehouse.config import DBT_PROJECT_DIR

    root = models_dir or DBT_PROJECT_DIR / "models"
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for path in sorted(root.rglob("*.yml")):
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError:
            continue
        for model in doc.get("models", []) or []:
            if not isinstance(model, dict) or "name" not in model:
                continue
            columns = {
                str(c["name"]).lower(): str(c["description"]).strip()
                for c in model.get("columns", []) or []
                if isinstance(c, dict) and c.get("name") and c.get("description")
            }
            found[str(model["name"]).lower()] = (str(model.get("description") or "").strip(), columns)
    return found


def figure_titles(con: Any, schema: str, tables: list[AnalyticsTable]) -> dict[str, str]:
    """Titles from ``<schema>.meta_figures`` (a table-name column and a title column), if present."""
    meta = next((t for t in tables if t.name.lower() == "meta_figures"), None)
    if meta is None:
        return {}
    names = {c.lower(): c for c, _ in meta.columns}
    key = next((names[c] for c in ("table_name", "figure_table", "table", "name") if c in names), None)
    title = next((names[c] for c in ("title", "figure_title", "description", "caption") if c in names), None)
    if key is None or title is None:
        return {}
    rows = con.execute(f'select "{key}", "{title}" from "{schema}"."meta_figures"').fetchall()
    return {str(k).lower(): str(v) for k, v in rows if k is not None and v}


def prepare(con: Any, schema: str = "analytics", profile: str = "cbs") -> tuple[list[_Prepared], bool]:
    """Validate and read every analytics table; nothing is published if any table fails."""
    import pandas as pd

    from warehouse.outputs import released_tables

    tables = list_tables(con, schema)
    if not tables:
        raise PublishRefused(f"{schema} holds no tables: run `warehouse report` first (the published schema "
                             "is left as it is)")
    released = released_tables(con)
    for table in tables:
        if table.is_view or table.name not in released:
            raise PublishRefused(f"{schema}.{table.name} was not released through the output gate (no entry in "
                                 "meta.outputs): only tables written by `warehouse report` are published")
    missing = sorted(set(released) - {t.name for t in tables})
    if missing:
        raise PublishRefused(f"{schema} is partial: {len(missing)} released tables are missing "
                             f"({', '.join(missing[:5])}): run `warehouse report` again")
    docs = dbt_descriptions()
    titles = figure_titles(con, schema, tables)
    prepared, checked = [], True
    for table in tables:
        validate_table(con, table, schema)
        text_cast = [pg_type(t)[1] for _, t in table.columns]
        select = ", ".join(
            f'cast("{c}" as varchar) as "{c}"' if cast else f'"{c}"' for (c, _), cast in zip(table.columns, text_cast)
        )
        rows = con.execute(f'select {select} from "{schema}"."{table.name}"').fetchall()
        frame = pd.DataFrame.from_records(rows, columns=[c for c, _ in table.columns])
        assert_safe(frame, profile)  # published as-is: the analytics tables must already be safe
        if len(rows) != released[table.name]:
            raise PublishRefused(f"{schema}.{table.name} holds {len(rows)} rows, the output log "
                                 f"{released[table.name]}: changed after its release")
        model_doc, column_docs = docs.get(table.name.lower(), ("", {}))
        comment = (
            model_doc or titles.get(table.name.lower()) or table.comment
            or f"Disclosure-controlled aggregate table {schema}.{table.name} published from the warehouse."
        )
        column_comments = {c: column_docs.get(c.lower()) or table.column_comments.get(c, "") for c, _ in table.columns}
        prepared.append(
            _Prepared(table, rows, [pg_type(t)[0] for _, t in table.columns], comment,
                      {c: note for c, note in column_comments.items() if note})
        )
    return prepared, checked


def _lock_key(schema: str) -> int:
    digest = hashlib.blake2b(f"warehouse.publish:{schema}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _harden(cur: psycopg.Cursor[Any], schema: str, role: str) -> None:
    """Role, database and schema privileges so the reader can read ``schema`` and nothing more."""
    cur.execute("select 1 from pg_roles where rolname = %s", [role])
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    cur.execute("select current_database()")
    (database,) = cur.fetchone()  # type: ignore[misc]
    cur.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), sql.Identifier(role)))
    cur.execute(sql.SQL("revoke create on database {} from public").format(sql.Identifier(database)))
    cur.execute(sql.SQL("revoke create on database {} from {}").format(sql.Identifier(database), sql.Identifier(role)))
    # no schema other than the published one may let PUBLIC (hence the BI users) create objects
    cur.execute(
        "select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' "
        "and has_schema_privilege('public', oid, 'CREATE')"
    )
    for (name,) in cur.fetchall():
        cur.execute(sql.SQL("revoke create on schema {} from public").format(sql.Identifier(name)))


def _load(cur: psycopg.Cursor[Any], staging: str, role: str, prepared: list[_Prepared],
          progress: Callable[[str], None]) -> None:
    sleep = float(os.environ.get(SLEEP_ENV, "0") or 0)
    cur.execute(sql.SQL("create schema {}").format(sql.Identifier(staging)))
    cur.execute(sql.SQL("revoke all on schema {} from public").format(sql.Identifier(staging)))
    cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(staging), sql.Identifier(role)))
    cur.execute(
        sql.SQL("alter default privileges in schema {} grant select on tables to {}").format(
            sql.Identifier(staging), sql.Identifier(role)
        )
    )
    for item in prepared:
        name = sql.Identifier(staging, item.table.name)
        columns = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
                   for (c, _), t in zip(item.table.columns, item.pg_types)]
        cur.execute(sql.SQL("create table {} ({})").format(name, sql.SQL(", ").join(columns)))
        column_list = sql.SQL(", ").join(sql.Identifier(c) for c, _ in item.table.columns)
        with cur.copy(sql.SQL("copy {} ({}) from stdin").format(name, column_list)) as copy:
            for row in item.rows:
                copy.write_row(row)
        cur.execute(sql.SQL("comment on table {} is {}").format(name, sql.Literal(item.comment)))
        for column, note in item.column_comments.items():
            cur.execute(sql.SQL("comment on column {} is {}").format(
                sql.Identifier(staging, item.table.name, column), sql.Literal(note)))
        cur.execute(sql.SQL("revoke all on table {} from public").format(name))
        cur.execute(sql.SQL("grant select on table {} to {}").format(name, sql.Identifier(role)))
        progress(f"loaded {item.table.name} ({len(item.rows):,} rows)")
        if sleep:
            time.sleep(sleep)
    cur.execute(sql.SQL("comment on schema {} is {}").format(
        sql.Identifier(staging), sql.Literal("Disclosure-controlled aggregates published by `warehouse publish`.")))


def publish(
    db: Path,
    postgres_url: str,
    schema: str = "analytics",
    bi_role: str = "analytics_reader",
    source_schema: str = "analytics",
    profile: str = "cbs",
    progress: Callable[[str], None] = lambda message: None,
) -> PublishResult:
    """Publish every table of DuckDB ``source_schema`` to PostgreSQL ``schema`` (see module doc)."""
    from warehouse.db import connect

    for name in (schema, bi_role):
        if not _IDENT.match(name):
            raise ValueError(f"{name!r} must be a lower-case identifier of at most 41 characters")
    started = time.perf_counter()
    con = connect(db, read_only=True)
    try:
        prepared, checked = prepare(con, source_schema, profile)
    finally:
        con.close()
    progress(f"validated {len(prepared)} tables")

    token = f"{time.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(3)}"
    staging, old = f"{schema}__staging_{token}", f"{schema}__old_{token}"
    with psycopg.connect(postgres_url, autocommit=False) as pg:
        with pg.cursor() as cur:
            cur.execute("select pg_advisory_lock(%s)", [_lock_key(schema)])
            pg.commit()
            try:
                # transaction 1: leftovers of killed publishes, roles, and the full load into staging
                cur.execute(
                    "select nspname from pg_namespace where nspname like %s or nspname like %s",
                    [f"{schema}\\_\\_staging\\_%", f"{schema}\\_\\_old\\_%"],
                )
                for (leftover,) in cur.fetchall():
                    cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(leftover)))
                _harden(cur, schema, bi_role)
                _load(cur, staging, bi_role, prepared, progress)
                pg.commit()
                # transaction 2: the swap
                cur.execute("select 1 from pg_namespace where nspname = %s", [schema])
                if cur.fetchone() is not None:
                    cur.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(schema), sql.Identifier(old)))
                cur.execute(sql.SQL("alter schema {} rename to {}").format(sql.Identifier(staging), sql.Identifier(schema)))
                cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(old)))
                pg.commit()
            except BaseException:
                pg.rollback()
                raise
            finally:
                if not pg.closed:
                    try:
                        cur.execute("select pg_advisory_unlock(%s)", [_lock_key(schema)])
                        pg.commit()
                    except psycopg.Error:
                        pass  # the lock goes with the session anyway
    result = PublishResult(schema=schema, seconds=time.perf_counter() - started, disclosure_checked=checked)
    result.tables = {item.table.name: len(item.rows) for item in prepared}
    return result
