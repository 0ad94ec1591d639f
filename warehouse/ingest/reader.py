"""Recognise delivered files and stream them into staging tables (all values as strings).

CBS ships SPSS ``.sav`` files with string codes, plus converted ``.csv`` and ``.parquet``
copies (cbs-layouts.md §1.1). Every reader lands the file in a temporary table with one
VARCHAR column per delivered column (names as delivered) and ``_row_number`` (1-based data
row), so that contracts can name the exact row of a violation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.ingest.errors import Violation
from warehouse.layouts import TableLayout, identify

DATA_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".sav": "sav"}
SAV_CHUNK_ROWS = 250_000


@dataclass(frozen=True, slots=True)
class DeliveredFile:
    """A file of a delivery folder recognised as a CBS table."""

    path: Path
    layout: TableLayout
    year: int
    version: int
    file_format: str

    @property
    def slot(self) -> int:
        """The table version slot this file replaces: its year for per-year tables, else 0."""
        return self.year if self.layout.per_year else 0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(folder: Path) -> tuple[list[DeliveredFile], list[Violation], list[str]]:
    """Recognise the data files of a delivery folder (top level only).

    Returns the recognised files, violations (two copies of one table version), and the names
    of files that were skipped because they are not a table the warehouse uses.
    """
    files: list[DeliveredFile] = []
    skipped: list[str] = []
    for path in sorted(folder.iterdir()):
        file_format = DATA_SUFFIXES.get(path.suffix.lower())
        if not path.is_file() or file_format is None:
            if path.is_file():
                skipped.append(path.name)
            continue
        found = identify(path.stem)
        if found is None:
            skipped.append(path.name)
            continue
        layout, year, version = found
        files.append(DeliveredFile(path, layout, year, version, file_format))
    violations: list[Violation] = []
    seen: dict[tuple[str, int], DeliveredFile] = {}
    for delivered in files:
        slot = (delivered.layout.name, delivered.slot)
        if slot in seen:
            other = seen[slot]
            violations.append(
                Violation(
                    delivered.path.name,
                    "duplicate table",
                    f"a second copy of table {delivered.layout.name}"
                    f"{' for ' + str(delivered.year) if delivered.layout.per_year else ''}"
                    f" (also in {other.path.name}); deliver one file per table version",
                )
            )
        else:
            seen[slot] = delivered
    return files, violations, skipped


def load_to_stage(
    con: duckdb.DuckDBPyConnection, delivered: DeliveredFile, stage: str
) -> tuple[list[str], list[Violation]]:
    """Create temp table ``stage`` from the file; returns (delivered column names, violations)."""
    path = str(delivered.path)
    name = delivered.path.name
    try:
        if delivered.file_format == "csv":
            _check_utf8(delivered.path)
            delimiter = _sniff_delimiter(delivered.path)
            # parallel scan into a table (insertion order = file order), numbered by rowid in a view:
            # no single-threaded window over the whole file and no stored row-number column
            con.execute(
                f"""
                create or replace temp table {stage}_data as
                select *
                from read_csv(?, all_varchar = true, header = true, delim = ?, quote = '"',
                              strict_mode = true, null_padding = false, parallel = true)
                """,
                [path, delimiter],
            )
            con.execute(f"create or replace temp view {stage} as select rowid + 1 as _row_number, * from {stage}_data")
        elif delivered.file_format == "parquet":
            described = con.execute("describe select * from read_parquet(?)", [path]).fetchall()
            casts = ", ".join(_varchar_cast(column, dtype) for column, dtype, *_ in described)
            con.execute(
                f"""
                create or replace temp table {stage} as
                select file_row_number + 1 as _row_number, {casts}
                from read_parquet(?, file_row_number = true)
                """,
                [path],
            )
        else:
            _load_sav(con, delivered.path, stage)
    except _EncodingError as error:
        return [], [Violation(name, "encoding", str(error))]
    except (duckdb.Error, ValueError, OSError, UnicodeDecodeError) as error:
        message = str(error).strip().splitlines()[0][:300]
        return [], [Violation(name, "unreadable file", f"cannot be parsed as {delivered.file_format}: {message}")]
    columns = [row[0] for row in con.execute(f"describe {stage}").fetchall() if row[0] != "_row_number"]
    return columns, []


def drop_stage(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    """Drop a staged file (a table, or for csv a row-numbering view over ``<stage>_data``)."""
    kind = con.execute(
        "select 'view' from duckdb_views() where view_name = ? and temporary "
        "union all select 'table' from duckdb_tables() where table_name = ? and temporary",
        [stage, stage],
    ).fetchone()
    if kind is not None:
        con.execute(f"drop {kind[0]} if exists {stage}")
    con.execute(f"drop table if exists {stage}_data")


def _sniff_delimiter(path: Path) -> str:
    """CBS CSV conversions use ',' or ';' (cbs-layouts.md §1.1): decide from the header line."""
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class _EncodingError(ValueError):
    pass


def _check_utf8(path: Path) -> None:
    """CBS converted CSVs are UTF-8; reject anything else with the byte offset."""
    offset = 0
    decoder = __import__("codecs").getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                line = _line_of(path, offset + error.start)
                raise _EncodingError(
                    f"not valid UTF-8 at byte {offset + error.start} (line {line}); re-export the file as UTF-8"
                ) from None
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _EncodingError("file ends inside a multi-byte UTF-8 character (truncated?)") from None


def _line_of(path: Path, byte_offset: int) -> int:
    with path.open("rb") as handle:
        return handle.read(byte_offset).count(b"\n") + 1


def _varchar_cast(column: str, dtype: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    if dtype.upper() in {"DOUBLE", "FLOAT", "DECIMAL"} or dtype.upper().startswith("DECIMAL"):
        # integral floats (e.g. 19941001.0 from a conversion) become plain integers
        return (
            f"case when {quoted} = trunc({quoted}) then cast(cast({quoted} as bigint) as varchar) "
            f"else cast({quoted} as varchar) end as {quoted}"
        )
    return f"cast({quoted} as varchar) as {quoted}"


def _load_sav(con: duckdb.DuckDBPyConnection, path: Path, stage: str) -> None:
    import pyreadstat

    first = True
    offset = 0
    for chunk, _meta in pyreadstat.read_file_in_chunks(
        pyreadstat.read_sav, str(path), chunksize=SAV_CHUNK_ROWS, apply_value_formats=False
    ):
        frame = _frame_as_strings(chunk)
        frame.insert(0, "_row_number", range(offset + 1, offset + len(frame) + 1))
        offset += len(frame)
        con.register("_sav_chunk", frame)
        if first:
            con.execute(f"create or replace temp table {stage} as select * from _sav_chunk")
            first = False
        else:
            con.execute(f"insert into {stage} select * from _sav_chunk")
        con.unregister("_sav_chunk")
    if first:
        raise ValueError("empty .sav file")


def _frame_as_strings(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            values = series.astype("float64")
            integral = values.notna() & (values == values.round())
            text = values.astype(str).astype(object).where(values.notna(), None)
            text[integral] = values[integral].astype("int64").astype(str)
            out[column] = text
        else:
            text = series.astype(object)
            out[column] = text.where(text.notna() & (text != ""), None)
    return pd.DataFrame(out)


def delivered_header(delivered: DeliveredFile, stage_columns: list[str]) -> list[str]:
    """The column names as written in the file, aligned with the staged columns.

    DuckDB makes column names unique ignoring case when it reads a file (a second ``rinpersoon``
    beside ``RINPERSOON`` is staged as ``rinpersoon_1``); the contracts need the delivered names to
    report duplicate and unknown columns. Falls back to the staged names when they cannot be aligned."""
    header: list[str] | None = None
    try:
        if delivered.file_format == "csv":
            import csv

            with delivered.path.open("r", encoding="utf-8", newline="") as handle:
                header = next(csv.reader(handle, delimiter=_sniff_delimiter(delivered.path), quotechar='"'), None)
        elif delivered.file_format == "parquet":
            import pyarrow.parquet as pq

            header = list(pq.read_schema(delivered.path).names)
    except (OSError, ValueError, ImportError, UnicodeDecodeError):
        header = None
    if header is None or len(header) != len(stage_columns):
        return list(stage_columns)
    return [name if name.strip() else staged for name, staged in zip(header, stage_columns)]
