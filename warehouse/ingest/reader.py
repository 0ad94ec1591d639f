"""Recognise delivered files and stream them into staging tables (all values as strings).

CBS ships SPSS ``.sav`` files with string codes, plus converted ``.csv`` and ``.parquet``
copies (cbs-layouts.md §1.1). Every reader lands the file in a temporary table with one
VARCHAR column per delivered column (names as delivered) and ``_row_number`` (1-based data
row), so that contracts can name the exact row of a violation.

Discovery rules (``discover``)
------------------------------
* The delivery folder is walked recursively in sorted order, so a CBS Remote Access tree
  (``GBAHUISHOUDENSBUS/2022/GBAHUISHOUDENS2022BUSV2.sav``, ``Justitie/OMDATA/2019/...``) is
  read like a flat folder. File names are matched in any case; files are named by their path
  relative to the delivery folder.
* Every file that is not a recognised CBS table file is listed as skipped (never silently),
  including dot files / dot folders (not entered) and ``*.log.json`` files.
* A table split over several files carries a part suffix before the extension:
  ``<NAME>_part<n>``, ``<NAME> part<n>``, ``<NAME>part<n>`` (``deel`` for ``part`` too) or
  ``<NAME>_<n>``, e.g. ``GBAPERSOON2022TABV1_part2.csv``. cbs-layouts.md names no part
  convention; this is the warehouse's rule. The parts of one folder and format are one
  table, read in part-number order; their numbers must run without gaps.
* Versions within the delivery: per table slot (the year for per-year tables, else the
  table) the highest (year, version) wins; the lower ones are "superseded in this delivery".
  Two copies of the winning version (e.g. ``.sav`` and ``.csv``, or the same name in two
  folders) are an error naming both files, unless their bytes are identical: then the first
  (in sorted path order) is used and the others are listed as identical copies.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from warehouse.ingest.errors import Violation
from warehouse.layouts import TableLayout, identify

#: Stata ``.dta`` is read like SPSS ``.sav`` (pyreadstat), see ``_load_sav``
DATA_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".sav": "sav", ".dta": "dta"}
SAV_CHUNK_ROWS = 250_000
#: ``<NAME>_part2``, ``<NAME> part2``, ``<NAME>PART2``, ``<NAME>_deel2``, ``<NAME>_2`` (stem, upper-cased)
PART_SUFFIX = re.compile(r"(?P<base>.+?)(?:[ _-]?(?:PART|DEEL)[ _-]?(?P<part>\d+)|_(?P<digits>\d+))")


@dataclass(frozen=True, slots=True)
class DeliveredFile:
    """A file of a delivery folder recognised as a CBS table (or one part of one)."""

    path: Path
    layout: TableLayout
    year: int
    version: int
    file_format: str
    name: str = ""  # path relative to the delivery folder (posix); the file name when empty
    part: int | None = None  # part number of a table split over several files

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.path.name)

    @property
    def slot(self) -> int:
        """The table version slot this file replaces: its year for per-year tables, else 0."""
        return self.year if self.layout.per_year else 0


@dataclass(frozen=True, slots=True)
class DeliveredTable:
    """One table version of a delivery: a single file, or the parts of a split table in order."""

    files: tuple[DeliveredFile, ...]

    @property
    def first(self) -> DeliveredFile:
        return self.files[0]

    @property
    def layout(self) -> TableLayout:
        return self.first.layout

    @property
    def year(self) -> int:
        return self.first.year

    @property
    def version(self) -> int:
        return self.first.version

    @property
    def slot(self) -> int:
        return self.first.slot

    @property
    def name(self) -> str:
        """How violations without a row name the table: the file, or the first part and the count."""
        if len(self.files) == 1:
            return self.first.name
        return f"{self.first.name} (+{len(self.files) - 1} parts)"


@dataclass(slots=True)
class Discovery:
    """What ``discover`` found in a delivery folder."""

    tables: list[DeliveredTable] = field(default_factory=list)  # to load, in path order
    violations: list[Violation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not recognised (relative paths)
    superseded: list[str] = field(default_factory=list)  # lower versions in this delivery
    identical: list[str] = field(default_factory=list)  # byte-identical copies not used ("a (= b)")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def recognise(path: Path, name: str) -> DeliveredFile | None:
    """The CBS table file ``path`` (relative name ``name``) holds, or None."""
    file_format = DATA_SUFFIXES.get(path.suffix.lower())
    if file_format is None:
        return None
    stem = path.stem
    found = identify(stem)
    part = None
    if found is None:
        split = PART_SUFFIX.fullmatch(stem.upper().strip())
        if split is None:
            return None
        found = identify(split.group("base"))
        if found is None:
            return None
        part = int(split.group("part") or split.group("digits"))
    layout, year, version = found
    return DeliveredFile(path, layout, year, version, file_format, name, part)


def _walk(folder: Path, prefix: str, found: list[DeliveredFile], skipped: list[str]) -> None:
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = prefix + path.name
        if path.name.startswith("."):
            skipped.append(name + ("/" if path.is_dir() else ""))
        elif path.is_dir():
            if path.is_symlink():
                skipped.append(name + "/")  # never follow a linked folder (loops, other trees)
            else:
                _walk(path, name + "/", found, skipped)
        elif not path.is_file() or path.name.lower().endswith(".log.json"):
            skipped.append(name)
        else:
            delivered = recognise(path, name)
            if delivered is None:
                skipped.append(name)
            else:
                found.append(delivered)


def _label(delivered: DeliveredFile) -> str:
    year = f" for {delivered.year}" if delivered.layout.per_year else f" {delivered.year}"
    return f"{delivered.layout.name}{year} V{delivered.version}"


def discover(folder: Path) -> Discovery:
    """Recognise the data files of a delivery folder and its sub-folders (rules in the module doc).

    Returns the tables to load, violations (two different copies of one table version, parts
    with a gap), the skipped files and the files superseded or duplicated within the delivery.
    """
    result = Discovery()
    found: list[DeliveredFile] = []
    _walk(folder, "", found, result.skipped)
    slots: dict[tuple[str, int], list[DeliveredFile]] = {}
    for delivered in found:
        slots.setdefault((delivered.layout.name, delivered.slot), []).append(delivered)
    for files in slots.values():
        best = max((f.year, f.version) for f in files)
        result.superseded.extend(f.name for f in files if (f.year, f.version) != best)
        winners = [f for f in files if (f.year, f.version) == best]
        # candidate copies: each whole file, and each set of parts (one folder, one format)
        candidates: dict[tuple, list[DeliveredFile]] = {}
        for delivered in winners:
            if delivered.part is None:
                key: tuple = ("file", delivered.name)
            else:
                key = ("parts", str(Path(delivered.name).parent), delivered.file_format)
            candidates.setdefault(key, []).append(delivered)
        copies = [tuple(sorted(c, key=lambda f: (f.part if f.part is not None else -1, f.name))) for c in candidates.values()]
        copies.sort(key=lambda c: c[0].name)
        chosen = copies[0]
        for other in copies[1:]:
            if _identical(chosen, other):
                result.identical.extend(f"{o.name} (= {c.name})" for o, c in zip(other, chosen))
            else:
                result.violations.append(
                    Violation(
                        other[0].name,
                        "duplicate table",
                        f"a second copy of table {_label(other[0])} (also in {chosen[0].name}) with different "
                        "content; deliver one file per table version",
                    )
                )
        numbers = [f.part for f in chosen if f.part is not None]
        if numbers and (numbers[0] not in (0, 1) or numbers != list(range(numbers[0], numbers[0] + len(numbers)))):
            result.violations.append(
                Violation(
                    chosen[0].name,
                    "missing part",
                    f"table {_label(chosen[0])} is split into parts {', '.join(map(str, numbers))}: "
                    "parts must be numbered from 1 (or 0) without gaps",
                )
            )
        result.tables.append(DeliveredTable(chosen))
    result.tables.sort(key=lambda t: t.first.name)
    return result


def _identical(a: tuple[DeliveredFile, ...], b: tuple[DeliveredFile, ...]) -> bool:
    if len(a) != len(b):
        return False
    for left, right in zip(a, b):
        if left.path.stat().st_size != right.path.stat().st_size or sha256_file(left.path) != sha256_file(right.path):
            return False
    return True


def load_table_to_stage(
    con: duckdb.DuckDBPyConnection, table: DeliveredTable, stage: str
) -> tuple[list[str], list[Violation], list[tuple[str, int]]]:
    """Stage a table (a file, or all its parts as one view in part order).

    Returns (delivered column names, violations, [(file name, rows before it)] per part). A
    split table's stage numbers rows over all parts (``_row_number``) and keeps the file
    (``_source_file``) and the row within it (``_part_row``) for lineage; ``locate`` turns a
    table row back into (file, row).
    """
    if len(table.files) == 1:
        columns, violations = load_to_stage(con, table.first, stage)
        return columns, violations, [(table.first.name, 0)]
    columns: list[str] | None = None
    violations: list[Violation] = []
    offsets: list[tuple[str, int]] = []
    selects: list[str] = []
    total = 0
    for index, part in enumerate(table.files):
        part_stage = f"{stage}_p{index}"
        part_columns, part_violations = load_to_stage(con, part, part_stage)
        if part_violations:
            violations.extend(part_violations)
            continue
        if columns is None:
            columns = part_columns
        elif [c.upper().strip() for c in part_columns] != [c.upper().strip() for c in columns]:
            violations.append(
                Violation(part.name, "part columns", f"the columns differ from those of {table.first.name}")
            )
            continue
        offsets.append((part.name, total))
        listed = ", ".join('"' + c.replace('"', '""') + '"' for c in part_columns)
        selects.append(
            f"select _row_number + {total} as _row_number, {listed}, "
            f"'{part.name.replace(chr(39), chr(39) * 2)}' as _source_file, _row_number as _part_row from {part_stage}"
        )
        total += con.execute(f"select count(*) from {part_stage}").fetchone()[0]
    if violations or columns is None:
        return [], violations, offsets
    con.execute(f"create or replace temp view {stage} as " + " union all ".join(selects))
    for suffix in ("_labels", "_notes"):  # the parts' labels and notes (.sav / .dta) as the table's
        parts = [f"{stage}_p{i}{suffix}" for i in range(len(table.files)) if _temp_table_exists(con, f"{stage}_p{i}{suffix}")]
        if parts:
            con.execute(f"create or replace temp table {stage}{suffix} as " + " union all ".join(f"select * from {p}" for p in parts))
    return columns, [], offsets


def locate(offsets: list[tuple[str, int]], row: int) -> tuple[str, int]:
    """(file, row within it) of row ``row`` of a staged table with these part offsets."""
    name, before = offsets[0]
    for part_name, part_before in offsets:
        if part_before < row:
            name, before = part_name, part_before
    return name, row - before


def load_to_stage(
    con: duckdb.DuckDBPyConnection, delivered: DeliveredFile, stage: str
) -> tuple[list[str], list[Violation]]:
    """Create temp table ``stage`` from the file; returns (delivered column names, violations)."""
    path = str(delivered.path)
    name = delivered.name
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
            _load_sav(con, delivered, stage)
    except _EncodingError as error:
        return [], [Violation(name, "encoding", str(error))]
    except _UnreadableFile as error:
        return [], [Violation(name, "unreadable file", str(error))]
    except (duckdb.Error, ValueError, OSError, UnicodeDecodeError) as error:
        message = str(error).strip().splitlines()[0][:300]
        return [], [Violation(name, "unreadable file", f"cannot be parsed as {delivered.file_format}: {message}")]
    columns = [row[0] for row in con.execute(f"describe {stage}").fetchall() if row[0] != "_row_number"]
    return columns, []


def drop_stage(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    """Drop a staged file (a table, or for csv a row-numbering view over ``<stage>_data``), or
    a staged split table (a view over the staged parts ``<stage>_p<n>``)."""
    _drop_one(con, stage)
    parts = con.execute(
        "select view_name from duckdb_views() where temporary and starts_with(view_name, ?) "
        "union select table_name from duckdb_tables() where temporary and starts_with(table_name, ?)",
        [f"{stage}_p", f"{stage}_p"],
    ).fetchall()
    for (name,) in parts:
        if re.fullmatch(re.escape(stage) + r"_p\d+", name):
            _drop_one(con, name)


def _drop_one(con: duckdb.DuckDBPyConnection, stage: str) -> None:
    kind = con.execute(
        "select 'view' from duckdb_views() where view_name = ? and temporary "
        "union all select 'table' from duckdb_tables() where table_name = ? and temporary",
        [stage, stage],
    ).fetchone()
    if kind is not None:
        con.execute(f"drop {kind[0]} if exists {stage}")
    for suffix in ("_data", "_labels", "_notes"):
        con.execute(f"drop table if exists {stage}{suffix}")


def stage_labels(con: duckdb.DuckDBPyConnection, stage: str) -> str | None:
    """The temp table of variable and value labels of a staged .sav / .dta table, or None (csv, parquet).

    Columns: file_name, column_name, variable_label, value, value_label (see ``_stage_labels``)."""
    return f"{stage}_labels" if _temp_table_exists(con, f"{stage}_labels") else None


def stage_notes(con: duckdb.DuckDBPyConnection, stage: str) -> list[str]:
    """Notes of staging a table (user-missing values loaded as NULL), in file order."""
    if not _temp_table_exists(con, f"{stage}_notes"):
        return []
    return [row[0] for row in con.execute(f"select note from {stage}_notes").fetchall()]


def _temp_table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute(
        "select count(*) from duckdb_tables() where temporary and table_name = ?", [name]
    ).fetchone()[0] > 0


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


#: SPSS formats (letters before the width) whose values are dates, date-times or durations
SPSS_DATE_FORMATS = {"DATE", "ADATE", "EDATE", "JDATE", "SDATE", "QYR", "MOYR", "WKYR"}
SPSS_DATETIME_FORMATS = {"DATETIME", "YMDHMS"}
SPSS_TIME_FORMATS = {"TIME", "DTIME", "MTIME"}
_SPSS_EPOCH = np.datetime64("1582-10-14", "s")  # SPSS date values are seconds since this day
_STATA_EPOCH = np.datetime64("1960-01-01", "s")  # Stata %td: days, %tc: milliseconds since this day


class _UnreadableFile(ValueError):
    pass


def _value_kind(file_format: str, original_type: str | None) -> str:
    """'date', 'datetime', 'time' or 'value' for a column of this SPSS / Stata display format."""
    fmt = (original_type or "").upper()
    if file_format == "dta":
        if fmt.startswith(("%TD", "%D")):
            return "date"
        if fmt.startswith("%TC"):
            return "datetime"
        return "value"
    letters = re.match(r"[A-Z]*", fmt).group(0)
    if letters in SPSS_DATE_FORMATS:
        return "date"
    if letters in SPSS_DATETIME_FORMATS:
        return "datetime"
    if letters in SPSS_TIME_FORMATS:
        return "time"
    return "value"


def _date_columns(delivered: DeliveredFile, columns: list[str]) -> set[str]:
    """Delivered columns that map to a layout column meaning a date (a DATETIME there becomes YYYYMMDD)."""
    from warehouse.ingest.contracts import map_columns

    mapping, _ = map_columns(delivered.layout, columns, delivered.name)
    by_name = {c.name: c for c in delivered.layout.columns}
    return {staged for name, staged in mapping.delivered.items() if by_name[name].means == "date"}


def _load_sav(con: duckdb.DuckDBPyConnection, delivered: DeliveredFile, stage: str) -> None:
    """Stage an SPSS ``.sav`` (or Stata ``.dta``) file in chunks of ``SAV_CHUNK_ROWS`` rows as strings.

    Conversion (every staged column is VARCHAR, whatever the SPSS type):

    * strings as delivered, empty strings as NULL;
    * numbers: integral values without a decimal part (``4``, not ``4.0``), others as Python
      prints them (``3.5``); system-missing as NULL;
    * SPSS DATE, ADATE, EDATE, SDATE, JDATE, MOYR, QYR, WKYR (Stata ``%td``) as ``YYYYMMDD``, the
      CBS date convention the ``date format`` contract expects;
    * SPSS DATETIME / YMDHMS (Stata ``%tc``): ``YYYYMMDD`` (the time dropped) when the column maps
      to a layout column meaning a date, else ISO ``YYYY-MM-DD HH:MM:SS``; TIME / DTIME as ``HH:MM:SS``;
    * user-missing values (SPSS missing values and ranges) as NULL; they are counted and the
      loader reports the counts in the ingest result's notes (Stata's extended missing values
      ``.a``..``.z`` are NULL like ``.`` and not counted).

    Besides the data, temp table ``<stage>_labels`` gets the variable and value labels and
    ``<stage>_notes`` the user-missing counts (see :func:`stage_labels`, :func:`stage_notes`).
    A file pyreadstat cannot parse (corrupt, truncated, another format renamed) raises
    :class:`_UnreadableFile`.
    """
    import pyreadstat

    file_format = delivered.file_format
    reader = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    options = {"apply_value_formats": False, "disable_datetime_conversion": True}
    if file_format == "sav":
        options["user_missing"] = True
    first = True
    offset = 0
    missing_counts: dict[str, int] = {}
    meta = None
    date_columns: set[str] = set()
    try:
        for chunk, meta in pyreadstat.read_file_in_chunks(reader, str(delivered.path), chunksize=SAV_CHUNK_ROWS, **options):
            if first:
                date_columns = _date_columns(delivered, list(chunk.columns))
            table = _frame_as_strings(chunk, meta, file_format, date_columns, missing_counts, offset)
            offset += table.num_rows
            con.register("_sav_chunk", table)
            try:
                if first:
                    con.execute(f"create or replace temp table {stage} as select * from _sav_chunk")
                    first = False
                else:
                    con.execute(f"insert into {stage} select * from _sav_chunk")
            finally:
                con.unregister("_sav_chunk")
    except _pyreadstat_errors() as error:
        message = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise _UnreadableFile(f"not a readable {_FORMAT_NAMES[file_format]} file (corrupt, truncated or another format renamed): {message}") from None
    if first or meta is None:
        raise _UnreadableFile(f"empty {_FORMAT_NAMES[file_format]} file")
    # (readstat itself rejects a file with fewer rows than its header announces)
    _stage_labels(con, delivered, stage, meta)
    notes = []
    if missing_counts:
        total = sum(missing_counts.values())
        listed = ", ".join(f"{column}: {count}" for column, count in missing_counts.items())
        notes.append(f"{delivered.name}: {total} user-missing values loaded as NULL ({listed})")
    con.execute(f"create or replace temp table {stage}_notes (note varchar)")
    if notes:
        con.executemany(f"insert into {stage}_notes values (?)", [[n] for n in notes])


_FORMAT_NAMES = {"sav": "SPSS .sav", "dta": "Stata .dta"}


def _pyreadstat_errors() -> tuple[type[BaseException], ...]:
    import pyreadstat._readstat_parser as parser

    found = tuple(
        getattr(parser, name) for name in ("ReadstatError", "PyreadstatError") if isinstance(getattr(parser, name, None), type)
    )
    return found + (UnicodeDecodeError, OverflowError)


def _stage_labels(con: duckdb.DuckDBPyConnection, delivered: DeliveredFile, stage: str, meta) -> None:
    """Temp table ``<stage>_labels``: one row per value label, plus one (value NULL) per variable label."""
    rows: list[tuple] = []
    variable_labels = getattr(meta, "column_names_to_labels", None) or {}
    value_labels = getattr(meta, "variable_value_labels", None) or {}
    for column in meta.column_names:
        label = variable_labels.get(column) or None
        if label is not None:
            rows.append((delivered.name, column, label, None, None))
        for value, value_label in (value_labels.get(column) or {}).items():
            rows.append((delivered.name, column, label, _label_value(value), None if value_label is None else str(value_label)))
    con.execute(
        f"create or replace temp table {stage}_labels (file_name varchar, column_name varchar, "
        "variable_label varchar, value varchar, value_label varchar)"
    )
    if rows:
        con.executemany(f"insert into {stage}_labels values (?, ?, ?, ?, ?)", rows)


def _label_value(value) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)


def _is_user_missing(values: pd.Series, ranges: list[dict]) -> pd.Series:
    hit = pd.Series(False, index=values.index)
    numeric = pd.api.types.is_numeric_dtype(values)
    for bounds in ranges:
        low, high = bounds.get("lo"), bounds.get("hi")
        if numeric and isinstance(low, (int, float)) and isinstance(high, (int, float)):
            hit |= values.between(low, high).fillna(False).astype(bool)
        elif not numeric and low is not None:
            text = values.astype(object)
            hit |= (text == low) if low == high else ((text >= low) & (text <= high)).fillna(False).astype(bool)
    return hit


def _frame_as_strings(
    frame: pd.DataFrame,
    meta=None,
    file_format: str = "sav",
    date_columns: set[str] | frozenset[str] = frozenset(),
    missing_counts: dict[str, int] | None = None,
    offset: int = 0,
) -> pa.Table:
    """A chunk of a .sav / .dta file as an Arrow table of strings with ``_row_number`` first."""
    original = getattr(meta, "original_variable_types", None) or {}
    missing_ranges = getattr(meta, "missing_ranges", None) or {}
    arrays = {"_row_number": pa.array(range(offset + 1, offset + len(frame) + 1), type=pa.int64())}
    for column in frame.columns:
        series = frame[column]
        ranges = missing_ranges.get(column)
        if ranges:
            hit = _is_user_missing(series, ranges)
            n_hit = int(hit.sum())
            if n_hit:
                series = series.where(~hit)
                if missing_counts is not None:
                    missing_counts[column] = missing_counts.get(column, 0) + n_hit
        kind = _value_kind(file_format, original.get(column))
        if kind != "value" and pd.api.types.is_numeric_dtype(series):
            text = _temporal_strings(series.astype("float64"), kind, file_format, column in date_columns)
        elif pd.api.types.is_numeric_dtype(series) or series.isna().all():
            text = _number_strings(series)
        else:
            text = [None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v == "" else str(v)
                    for v in series.astype(object).tolist()]
        arrays[str(column)] = pa.array(text, type=pa.string())
    return pa.table(arrays)


def _number_strings(series: pd.Series) -> list[str | None]:
    values = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    present = ~np.isnan(values)
    integral = present & np.isfinite(values) & (np.abs(values) < 2**53)
    integral[integral] = values[integral] == np.round(values[integral])
    out = np.full(len(values), None, dtype=object)
    out[present] = [repr(float(v)) for v in values[present]]
    out[integral] = values[integral].astype("int64").astype(str)
    return out.tolist()


def _temporal_strings(values: pd.Series, kind: str, file_format: str, as_date: bool) -> list[str | None]:
    raw = values.to_numpy()
    present = np.isfinite(raw)
    out = np.full(len(raw), None, dtype=object)
    if not present.any():
        return out.tolist()
    if kind == "time":
        seconds = np.round(raw[present]).astype("int64")
        out[present] = [f"{'-' if s < 0 else ''}{abs(s) // 3600:02d}:{abs(s) % 3600 // 60:02d}:{abs(s) % 60:02d}" for s in seconds]
        return out.tolist()
    if file_format == "dta":
        scale = 86400 if kind == "date" else 0.001  # %td days, %tc milliseconds
        stamps = _STATA_EPOCH + np.round(raw[present] * scale).astype("int64").astype("timedelta64[s]")
    else:
        stamps = _SPSS_EPOCH + np.round(raw[present]).astype("int64").astype("timedelta64[s]")
    if kind == "date" or as_date:
        days = np.datetime_as_string(stamps.astype("datetime64[D]"), unit="D")
        out[present] = [d.replace("-", "") for d in days]
    else:
        out[present] = [s.replace("T", " ") for s in np.datetime_as_string(stamps, unit="s")]
    return out.tolist()


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
