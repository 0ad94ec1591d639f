"""Running ``warehouse sql``: the statement timeout, streamed terminal output and ``--out`` files.

The user's SQL has been checked by :func:`warehouse.guard.check_read_only` before anything here runs
it; it runs once, on the read-only warehouse connection, as a stream of Arrow record batches. Files
are written from that stream by our own code (an in-memory DuckDB connection that never sees the
user's SQL, or pyreadstat), to a temporary file in the target folder that replaces the target only
when complete.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.config import NO_EXTENSION_AUTOLOAD

OUT_SUFFIXES = (".parquet", ".csv", ".sav", ".dta")
DEFAULT_TIMEOUT = 300.0
TIMEOUT_ENV = "WAREHOUSE_SQL_TIMEOUT"
#: Rows per Arrow batch pulled from DuckDB (terminal output streams batch by batch).
BATCH_ROWS = 10_000


class QueryTimeout(RuntimeError):
    """The query ran longer than ``--timeout`` and was interrupted."""


class OutputRefused(ValueError):
    """The result cannot be written in the requested format (one-line reason)."""


def resolve_timeout(option: float | None) -> float:
    """``--timeout``, else ``$WAREHOUSE_SQL_TIMEOUT``, else 300 seconds; 0 means no limit."""
    if option is None:
        env = os.environ.get(TIMEOUT_ENV, "").strip()
        if not env:
            return DEFAULT_TIMEOUT
        try:
            option = float(env)
        except ValueError:
            raise ValueError(f"${TIMEOUT_ENV} must be a number of seconds, not {env!r}") from None
    if option < 0:
        raise ValueError("--timeout must be 0 (no limit) or a positive number of seconds")
    return option


def _seconds(value: float) -> str:
    return f"{value:g}"


class Deadline:
    """Interrupts DuckDB connections once ``seconds`` have passed (DuckDB has no server-side statement
    timeout), and keeps interrupting until stopped: an interrupt that lands between two fetches of a
    streamed result is otherwise lost. :meth:`watch` also stops a stream between batches."""

    def __init__(self, seconds: float, connections: tuple[duckdb.DuckDBPyConnection, ...]) -> None:
        self.seconds = seconds
        self.connections = connections
        self.fired = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sql-timeout", daemon=True)

    def _run(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.fired.set()
        while True:
            for con in self.connections:
                con.interrupt()
            if self.done.wait(0.05):
                return

    def error(self) -> QueryTimeout:
        return QueryTimeout(f"query stopped after {_seconds(self.seconds)} s (--timeout)")

    def check(self) -> None:
        if self.fired.is_set():
            raise self.error()

    def watch(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        """The same stream, stopped at the first batch after the deadline."""
        if not self.seconds:
            return reader

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for batch in reader:
                    self.check()
                    yield batch
                self.check()
            finally:
                reader.close()

        return pa.RecordBatchReader.from_batches(reader.schema, batches())


@contextmanager
def statement_timeout(seconds: float, *connections: duckdb.DuckDBPyConnection) -> Iterator[Deadline]:
    """A :class:`Deadline` for the block; any error raised after it passed becomes :class:`QueryTimeout`."""
    deadline = Deadline(seconds, connections)
    if seconds:
        deadline.thread.start()
    try:
        yield deadline
    except QueryTimeout:
        raise
    except Exception as error:
        if deadline.fired.is_set():
            raise deadline.error() from error
        raise
    finally:
        deadline.done.set()
        if seconds:
            deadline.thread.join()


def local_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for converting and writing results (never runs the user's SQL)."""
    return duckdb.connect(":memory:", config=dict(NO_EXTENSION_AUTOLOAD))


def result_stream(con: duckdb.DuckDBPyConnection, sql: str) -> pa.RecordBatchReader:
    """Run the (already guarded) SQL and stream its last statement's result."""
    return con.execute(sql).to_arrow_reader(BATCH_ROWS)


def python_rows(local: duckdb.DuckDBPyConnection, batch: pa.RecordBatch) -> list[tuple[Any, ...]]:
    """Rows of a batch as Python values, converted by DuckDB itself (as ``fetchall`` would)."""
    if batch.num_rows == 0:
        return []
    positional = batch.rename_columns([f"c{index}" for index in range(batch.num_columns)])  # duplicates
    return local.from_arrow(pa.Table.from_batches([positional])).fetchall()


@dataclass
class Shown:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    total: int


def head_and_count(reader: pa.RecordBatchReader, local: duckdb.DuckDBPyConnection, limit: int) -> Shown:
    """The first ``limit`` rows, and the total number of rows (counted batch by batch, not held)."""
    rows: list[tuple[Any, ...]] = []
    total = 0
    for batch in reader:
        if len(rows) < limit:
            rows.extend(python_rows(local, batch.slice(0, limit - len(rows))))
        total += batch.num_rows
    return Shown(list(reader.schema.names), rows, total)


def write_csv_rows(reader: pa.RecordBatchReader, local: duckdb.DuckDBPyConnection, limit: int | None,
                   stream: Any) -> tuple[int, int]:
    """Write a header and the first ``limit`` rows (all if None) as CSV to ``stream``, batch by batch;
    the rest is counted, not held. Returns (rows written, total rows)."""
    import csv

    writer = csv.writer(stream)
    writer.writerow(reader.schema.names)
    shown = total = 0
    for batch in reader:
        total += batch.num_rows
        if limit is None or shown < limit:
            part = batch if limit is None else batch.slice(0, limit - shown)
            shown += part.num_rows
            writer.writerows(python_rows(local, part))
    return shown, total


# --------------------------------------------------------------------------- --out files


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique for a file (``a, a`` -> ``a, a_1``), as DuckDB names table columns."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 0
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.lower())
        result.append(candidate)
    return result


class _Counter:
    """Passes batches through under unique column names, counting rows."""

    def __init__(self, reader: pa.RecordBatchReader) -> None:
        self.reader = reader
        self.names = unique_names(list(reader.schema.names))
        self.rows = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        for batch in self.reader:
            self.rows += batch.num_rows
            yield batch.rename_columns(self.names)

    def stream(self) -> pa.RecordBatchReader:
        schema = pa.schema([field.with_name(name) for field, name in zip(self.reader.schema, self.names)])
        return pa.RecordBatchReader.from_batches(schema, self.batches())


def write_result(reader: pa.RecordBatchReader, path: Path, local: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Write the whole result to ``path`` (.parquet, .csv, .sav or .dta) atomically; (rows, columns)."""
    suffix = path.suffix.lower()
    if suffix not in OUT_SUFFIXES:
        raise OutputRefused(f"--out must end in {', '.join(OUT_SUFFIXES)}, not {path.name!r}")
    n_columns = len(reader.schema.names)
    if suffix in (".sav", ".dta"):
        _check_stat_columns(reader.schema, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if suffix in (".parquet", ".csv"):
            counter = _Counter(reader)
            relation = local.from_arrow(counter.stream())
            if suffix == ".parquet":
                relation.write_parquet(str(temporary))
            else:
                relation.write_csv(str(temporary), header=True)
            n_rows = counter.rows
        else:
            table = reader.read_all()
            n_rows = _write_stat(table.rename_columns(unique_names(table.column_names)), temporary, suffix)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return n_rows, n_columns


def _stat_type(field: pa.Field) -> pa.DataType | None:
    """The Arrow type a .sav/.dta column is converted to, or None when it cannot be written."""
    t = field.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
        return pa.float64()  # SPSS and Stata numeric (booleans as 0/1, nulls as missing)
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t):
        return pa.string()
    if pa.types.is_date(t):
        return pa.date32()
    if pa.types.is_timestamp(t):
        return pa.timestamp("us")  # a TIMESTAMPTZ is written as its UTC time
    return None


def _check_stat_columns(schema: pa.Schema, suffix: str) -> None:
    for field in schema:
        if _stat_type(field) is None:
            raise OutputRefused(
                f"column {field.name!r} has type {field.type}, which {suffix} cannot hold: "
                "cast it (to VARCHAR, DOUBLE or DATE) or leave it out of the query"
            )


def _write_stat(table: pa.Table, temporary: Path, suffix: str) -> int:
    import pandas as pd
    import pyreadstat

    columns = {}
    for field, column in zip(table.schema, table.columns):
        target = _stat_type(field)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_timestamp(column.type) and column.type.tz is not None:
            column = column.cast(pa.timestamp(column.type.unit))
        columns[field.name] = column.cast(target)
    converted = pa.table(columns)
    frame = converted.to_pandas(date_as_object=True)
    for field in converted.schema:
        if pa.types.is_string(field.type):
            series = frame[field.name]
            frame[field.name] = pd.Series(
                [None if value is None or value != value else value for value in series.astype(object)],
                dtype=object, index=frame.index,
            )
    try:
        if suffix == ".sav":
            pyreadstat.write_sav(frame, str(temporary))
        else:
            pyreadstat.write_dta(frame, str(temporary))
    except Exception as error:  # noqa: BLE001 - pyreadstat's reason, on one line
        reason = " ".join(str(error).split()) or type(error).__name__
        raise OutputRefused(f"cannot write {suffix}: {reason}") from None
    return len(frame)
