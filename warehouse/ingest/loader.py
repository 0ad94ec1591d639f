"""Apply a delivery to the warehouse: validate everything, then load in one transaction.

Layout of the database
----------------------
``raw.<table>``              every delivered version of a table, all values as delivered
                             (strings), plus lineage: ``_delivery_id``, ``_file_id``,
                             ``_source_file``, ``_row_number``, ``_file_year``
``meta.deliveries``          one row per applied delivery (sequence, status, checksums, timings,
                             ``note``: e.g. the older versions accepted with ``allow_older``)
``meta.delivery_files``      one row per delivered file (table, year, version, sha256, rows);
                             ``file_name`` is the path relative to the delivery folder
``meta.unknown_columns``     delivered columns that are not in the table's layout (not loaded; a
                             ``strict`` ingest rejects them instead)
``meta.unknown_codes``       codes not in their code list, per file, column and code with their row
                             count (the rows are loaded as delivered; ``strict_codes`` rejects instead)
``meta.delivered_codes``     code lists delivered as files (``codelists/<list>.csv``, LANDAKTUEELREF);
                             ``meta.current_codes`` (view): per list, the last applied delivery's list,
                             which the contracts use instead of the shipped seed
``meta.layout_overrides``    the layout overrides files in force for a delivery (``layouts.toml`` in the
                             delivery, a project file given with ``--layouts``): source, name, sha256
                             and the full text, so a rebuild knows what was applied
                             (:mod:`warehouse.ingest.overrides`)
``meta.labels``              variable and value labels of delivered SPSS ``.sav`` / Stata ``.dta``
                             files: one row per value label (``value`` as staged, e.g. ``1``,
                             with ``value_label``), and one row with ``value`` NULL per variable
                             label; ``variable_label`` repeated on every row of the column
``meta.current_files``       view: the file(s) current for each table version slot (all parts of
                             a table split over several files)
``source_current.<table>``   view: the current rows of each raw table (what dbt reads)

Versions: within a delivery the highest version of a slot wins (``discover``). Across
deliveries the last applied delivery is current; an ingest that would make an older version
of a slot current than the one the warehouse holds is refused unless ``allow_older`` is given
(then ``meta.deliveries.note`` records it). ``rollback_to`` is not subject to that rule.

A delivery is applied completely or not at all: files are staged and checked in temporary
tables, and only when every contract holds are the raw inserts and the meta rows written
in one DuckDB transaction. A crash (even ``kill -9``) before COMMIT leaves the database as it
was; DuckDB's write-ahead log makes the COMMIT itself atomic.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from warehouse.config import SEEDS_DIR
from warehouse.ingest.codelists import find_codelists, read_codelist
from warehouse.ingest.contracts import UnknownCode, check_duplicate_columns, check_stage, map_columns, unknown_codes
from warehouse.ingest.errors import DeliveryRejected, Violation
from warehouse.ingest.overrides import OVERRIDES_FILE, read_overrides
from warehouse.ingest.reader import (
    DeliveredFile,
    DeliveredTable,
    delivered_header,
    discover,
    drop_stage,
    load_table_to_stage,
    locate,
    sha256_file,
    stage_labels,
    stage_notes,
)
from warehouse.layouts import LAYOUTS, STRICT_CODELISTS

LINEAGE_COLUMNS = ("_delivery_id", "_file_id", "_source_file", "_row_number", "_file_year")
#: Tables an initial delivery must contain (later deliveries may bring any subset).
CORE_TABLES = ("gbapersoontab", "kindoudertab", "gbahuishoudensbus")

META_DDL = """
create schema if not exists raw;
create schema if not exists meta;
create schema if not exists source_current;
create table if not exists meta.deliveries (
    delivery_id varchar primary key,
    seq integer not null,
    source_path varchar,
    status varchar not null,
    n_files integer,
    n_rows bigint,
    seconds double,
    applied_at timestamp,
    note varchar
);
create table if not exists meta.delivery_files (
    file_id varchar primary key,
    delivery_id varchar not null,
    file_name varchar not null,
    table_name varchar not null,
    file_year integer not null,
    file_version integer not null,
    slot integer not null,
    file_format varchar not null,
    sha256 varchar not null,
    n_rows bigint not null,
    n_bytes bigint not null
);
create table if not exists meta.unknown_columns (
    delivery_id varchar not null,
    file_name varchar not null,
    column_name varchar not null,
    primary key (delivery_id, file_name, column_name)
);
create table if not exists meta.unknown_codes (
    delivery_id varchar not null,
    file_name varchar not null,
    column_name varchar not null,
    codelist varchar not null,
    code varchar not null,
    n_rows bigint not null,
    first_row bigint not null,
    primary key (delivery_id, file_name, column_name, code)
);
create table if not exists meta.delivered_codes (
    delivery_id varchar not null,
    codelist varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    code varchar not null,
    label varchar,
    primary key (delivery_id, codelist, code)
);
create or replace view meta.current_codes as
select codelist, code, label, delivery_id, file_name
from (
    select delivered_codes.*, dense_rank() over (partition by codelist order by deliveries.seq desc) as list_rank
    from meta.delivered_codes as delivered_codes
    inner join meta.deliveries as deliveries using (delivery_id)
    where deliveries.status = 'applied'
)
where list_rank = 1;
create table if not exists meta.layout_overrides (
    delivery_id varchar not null,
    source varchar not null,
    file_name varchar not null,
    sha256 varchar not null,
    text varchar not null,
    primary key (delivery_id, source)
);
create table if not exists meta.labels (
    delivery_id varchar not null,
    file_name varchar not null,
    column_name varchar not null,
    variable_label varchar,
    value varchar,
    value_label varchar
);
"""
CURRENT_FILES_DDL = """
create or replace view meta.current_files as
select * exclude (slot_rank)
from (
    select delivery_files.*, deliveries.seq,
           dense_rank() over (
               partition by delivery_files.table_name, delivery_files.slot
               order by deliveries.seq desc, delivery_files.file_version desc
           ) as slot_rank
    from meta.delivery_files as delivery_files
    inner join meta.deliveries as deliveries using (delivery_id)
    where deliveries.status = 'applied'
)
where slot_rank = 1;
"""
# warehouses made before deliveries had a note (and before split tables): brought up to date
MIGRATE_DDL = "alter table meta.deliveries add column if not exists note varchar;" + CURRENT_FILES_DDL


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Outcome of ``ingest``: what was applied (or that nothing needed applying)."""

    delivery_id: str
    applied: bool
    tables: dict[str, int] = field(default_factory=dict)  # table -> rows loaded
    skipped_files: tuple[str, ...] = ()  # not recognised as a CBS table file (relative paths)
    superseded_files: tuple[str, ...] = ()  # lower versions of a slot in this delivery (not loaded)
    identical_files: tuple[str, ...] = ()  # byte-identical second copies (not loaded): "copy (= used)"
    note: str = ""  # e.g. the older versions accepted with allow_older
    seconds: float = 0.0
    message: str = ""
    #: file name -> delivered columns that are not in its layout (listed, recorded, not loaded)
    unknown_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # e.g. identical duplicate columns merged; unknown codes flagged
    #: codes not in their code list, kept and flagged (also in ``meta.unknown_codes``), per file and column
    unknown_codes: tuple[FlaggedCodes, ...] = ()
    #: code list -> delivered file used instead of the shipped seed
    codelists: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FlaggedCodes:
    """Codes of one file's column that are not in the column's code list (rows kept as delivered)."""

    file: str
    column: str
    codelist: str
    n_rows: int  # rows holding one of the unknown codes
    n_codes: int  # distinct unknown codes
    examples: tuple[str, ...]  # up to 5, the most frequent first
    first_row: int

    def __str__(self) -> str:
        more = f", ... ({self.n_codes - len(self.examples)} more)" if self.n_codes > len(self.examples) else ""
        return (
            f"{self.file}, column {self.column}: {self.n_rows} row{'s' if self.n_rows != 1 else ''} with "
            f"{self.n_codes} code{'s' if self.n_codes != 1 else ''} not in code list {self.codelist} "
            f"(first row {self.first_row}), kept and flagged in meta.unknown_codes: {', '.join(self.examples)}{more}"
        )


def init_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas, meta tables, empty raw tables and the current-version views (idempotent)."""
    existing = {
        (row[0], row[1])
        for row in con.execute("select schema_name, table_name from duckdb_tables() union all "
                               "select schema_name, view_name from duckdb_views() where not internal").fetchall()
    }
    wanted = {("meta", "deliveries"), ("meta", "current_files"), ("meta", "unknown_columns")}
    wanted |= {("meta", "unknown_codes"), ("meta", "delivered_codes"), ("meta", "current_codes")}
    wanted |= {("meta", "labels"), ("meta", "layout_overrides")}
    wanted |= {("raw", name) for name in LAYOUTS} | {("source_current", name) for name in LAYOUTS}
    if wanted <= existing:
        if not _has_note_column(con):
            con.execute(MIGRATE_DDL)
        return
    con.execute(META_DDL + CURRENT_FILES_DDL)
    if not _has_note_column(con):
        con.execute(MIGRATE_DDL)
    for layout in LAYOUTS.values():
        columns = ", ".join(f'"{c.name}" varchar' for c in layout.columns)
        con.execute(
            f"create table if not exists raw.{layout.name} ({columns}, _delivery_id varchar, "
            f"_file_id varchar, _source_file varchar, _row_number bigint, _file_year integer)"
        )
        select_columns = ", ".join(f'"{c.name}"' for c in layout.columns)
        con.execute(
            f"""
            create or replace view source_current.{layout.name} as
            select {select_columns}, _file_year, _delivery_id, _file_id, _row_number
            from raw.{layout.name}
            where _file_id in (select file_id from meta.current_files where table_name = '{layout.name}')
            """
        )


def _has_note_column(con: duckdb.DuckDBPyConnection) -> bool:
    return (
        con.execute(
            "select count(*) from duckdb_columns() where schema_name = 'meta' and table_name = 'deliveries' "
            "and column_name = 'note'"
        ).fetchone()[0]
        > 0
    )


def _is_initialised(con: duckdb.DuckDBPyConnection) -> bool:
    return (
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'deliveries'"
        ).fetchone()[0]
        > 0
    )


def _load_codes(con: duckdb.DuckDBPyConnection, delivered: dict[str, object] | None = None) -> None:
    """Temp table ``_codes(codelist, code)`` for the contracts: the shipped seeds, where a list was
    delivered replaced by the warehouse's current delivered list (``meta.current_codes``), and that
    in turn by a list in the delivery being ingested (``delivered``: list -> frame with ``code``)."""
    parts = []
    for seed in sorted(SEEDS_DIR.glob("*.csv")):
        parts.append(
            f"select '{seed.stem}' as codelist, trim(cast(code as varchar)) as code "
            f"from read_csv('{seed}', all_varchar = true, header = true)"
        )
    con.execute("create or replace temp table _codes as " + " union all ".join(parts))
    has_current = con.execute(
        "select count(*) from duckdb_views() where schema_name = 'meta' and view_name = 'current_codes'"
    ).fetchone()[0]
    if has_current:
        con.execute("delete from _codes where codelist in (select codelist from meta.current_codes)")
        con.execute("insert into _codes select codelist, code from meta.current_codes")
    for codelist, frame in (delivered or {}).items():
        con.execute("delete from _codes where codelist = ?", [codelist])
        con.register("_delivered_list", frame)
        try:
            con.execute("insert into _codes select ?, code from _delivered_list", [codelist])
        finally:
            con.unregister("_delivered_list")


def delivery_id_for(files: list[tuple[str, str]]) -> str:
    """Content address of a delivery: hash over (file name, sha256) of its recognised files."""
    digest = hashlib.sha256()
    for name, checksum in sorted(files):
        digest.update(f"{name}\0{checksum}\n".encode())
    return "D" + digest.hexdigest()[:12]


def ingest(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    progress=None,
    allow_older: bool = False,
    strict: bool = False,
    strict_codes: bool = False,
    layouts: Path | None = None,
) -> IngestResult:
    """Validate and apply the delivery in ``folder``; raises :class:`DeliveryRejected`.

    ``allow_older`` accepts a delivery that makes an older version of a table slot current
    than the one the warehouse holds (otherwise refused); the delivery's note records it.
    Delivered columns that are not in a table's layout are listed in the result and recorded in
    ``meta.unknown_columns``; with ``strict`` they reject the delivery (one violation per file).
    Codes not in their code list are kept, counted and flagged (result ``unknown_codes`` and notes,
    ``meta.unknown_codes``); with ``strict_codes`` (or for a list in ``STRICT_CODELISTS``) they reject
    the delivery (``code list`` rule). Code lists delivered as files (see
    :mod:`warehouse.ingest.codelists`) replace the shipped seeds in the contracts.

    Layout overrides (:mod:`warehouse.ingest.overrides`): a ``layouts.toml`` at the top of the delivery
    folder and/or the project file ``layouts`` (the delivery's file wins per key) remap columns, add
    sentinels (loaded as NULL) and extra codes per table. A problem in either file rejects the delivery
    before anything else; the files in force are part of the delivery id and recorded in
    ``meta.layout_overrides``.
    """
    started = time.perf_counter()
    folder = folder.resolve()
    if not folder.is_dir():
        raise DeliveryRejected(str(folder), [Violation(str(folder), "no delivery", "folder does not exist")])
    overrides, override_violations = read_overrides(folder, layouts)
    if override_violations:  # a bad overrides file: say so, and decide nothing else
        raise DeliveryRejected(folder.name, override_violations)
    found = discover(folder)
    files, violations = found.tables, found.violations
    if overrides:
        found.skipped = [name for name in found.skipped if name != OVERRIDES_FILE]
        files = [_with_overrides(table, overrides) for table in files]
    codelists, still_skipped, list_violations = find_codelists(folder, found.skipped)
    violations.extend(list_violations)
    listed = {
        "skipped_files": tuple(still_skipped),
        "superseded_files": tuple(found.superseded),
        "identical_files": tuple(found.identical),
    }
    if not files and not codelists:
        violations.append(Violation(folder.name, "no tables", "no recognised CBS table files in the folder or its sub-folders"))
    if violations:  # the delivery's files themselves are ambiguous: decide nothing else
        raise DeliveryRejected(folder.name, violations)
    checksums = {f.name: sha256_file(f.path) for table in files for f in table.files}
    list_checksums = {c.name: sha256_file(c.path) for c in codelists}
    # the overrides change what is loaded: the same files read with other overrides are another delivery
    override_checksums = [(f"{OVERRIDES_FILE}:{source.source}", source.sha256) for source in overrides.sources]
    delivery_id = delivery_id_for(list(checksums.items()) + list(list_checksums.items()) + override_checksums)
    initialised = _is_initialised(con)
    already = None
    if initialised:
        already = con.execute("select status from meta.deliveries where delivery_id = ?", [delivery_id]).fetchone()
    if already is not None and already[0] == "applied":
        return IngestResult(delivery_id, False, **listed, message="already applied: nothing to do")

    first_delivery = (
        not initialised
        or con.execute("select count(*) from meta.deliveries where status = 'applied'").fetchone()[0] == 0
    )
    if first_delivery:
        present = {f.layout.name for f in files}
        for table in CORE_TABLES:
            if table not in present:
                violations.append(
                    Violation(folder.name, "missing table", f"the first delivery must contain {LAYOUTS[table].file_stem} ({table})")
                )
    older = [] if first_delivery else _older_than_current(con, files)
    note = ""
    if older and allow_older:
        note = "allow-older: " + "; ".join(line for _, line in older)
    elif older:
        # a policy refusal, not a content error: refused before the (slow) contract checks
        raise DeliveryRejected(
            folder.name,
            violations
            + [Violation(table.name, "older version", line + "; use --allow-older to accept it") for table, line in older],
        )

    delivered_lists: dict[str, object] = {}
    for codelist in codelists:
        frame, read_violations = read_codelist(codelist)
        violations.extend(read_violations)
        if frame is not None:
            delivered_lists[codelist.codelist] = frame
    _load_codes(con, delivered_lists)
    flagged: list[FlaggedCodes] = []
    code_rows: list[UnknownCode] = []
    staged: list[tuple[DeliveredTable, str, dict[str, str], int]] = []
    unknown_columns: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    for index, delivered in enumerate(files):
        if progress is not None:
            progress(f"checking {delivered.name}")
        stage = f"_stage_{index}"
        columns, read_violations, offsets = load_table_to_stage(con, delivered, stage)
        if read_violations:
            violations.extend(read_violations)
            drop_stage(con, stage)
            continue
        header = delivered_header(delivered.first, columns)
        mapping, map_violations = map_columns(delivered.layout, columns, delivered.name, header)
        violations.extend(map_violations)
        checked = check_stage(con, delivered.layout, stage, mapping, delivered.name, year=delivered.year)
        for violation in checked:
            if violation.rule == "code list" and violation.column is not None and not strict_codes:
                codelist = delivered.layout.column(violation.column).codelist
                if codelist not in STRICT_CODELISTS:
                    _flag_codes(con, delivered, stage, mapping, violation.column, offsets, flagged, code_rows)
                    continue
            violations.append(_in_part(violation, offsets))
        duplicate_violations, duplicate_notes = check_duplicate_columns(con, stage, mapping, delivered.name)
        violations.extend(_in_part(v, offsets) for v in duplicate_violations)
        notes.extend(duplicate_notes)
        if mapping.unknown:
            unknown_columns[delivered.name] = mapping.unknown
            if strict:
                violations.append(
                    Violation(
                        delivered.name,
                        "unknown column",
                        f"columns not in the layout of {delivered.layout.name}: {', '.join(mapping.unknown)}",
                    )
                )
        notes.extend(stage_notes(con, stage))  # e.g. user-missing values of a .sav loaded as NULL
        n_rows = con.execute(f"select count(*) from {stage}").fetchone()[0]
        staged.append((delivered, stage, mapping.delivered, n_rows))
    if violations:
        _drop_stages(con, staged)
        raise DeliveryRejected(folder.name, violations)
    notes.extend(str(item) for item in flagged)

    tables: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        init_warehouse(con)
        seq = con.execute("select coalesce(max(seq), 0) + 1 from meta.deliveries").fetchone()[0]
        for delivered, stage, mapping, n_rows in staged:
            if progress is not None:
                progress(f"loading {delivered.name}")
            _insert_raw(con, delivered, stage, mapping, delivery_id)
            for part in delivered.files:
                part_rows = n_rows
                if len(delivered.files) > 1:
                    part_rows = con.execute(f"select count(*) from {stage} where _source_file = ?", [part.name]).fetchone()[0]
                con.execute(
                    "insert into meta.delivery_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        _file_id(delivery_id, part),
                        delivery_id,
                        part.name,
                        part.layout.name,
                        part.year,
                        part.version,
                        part.slot,
                        part.file_format,
                        checksums[part.name],
                        part_rows,
                        part.path.stat().st_size,
                    ],
                )
            tables[delivered.layout.name] = tables.get(delivered.layout.name, 0) + n_rows
            labels = stage_labels(con, stage)
            if labels is not None:
                con.execute(  # a rolled-back delivery applied again: its labels once
                    f"delete from meta.labels where delivery_id = ? and file_name in (select file_name from {labels})",
                    [delivery_id],
                )
                con.execute(
                    "insert into meta.labels select ?, file_name, column_name, variable_label, value, value_label "
                    f"from {labels}",
                    [delivery_id],
                )
            for column_name in unknown_columns.get(delivered.name, ()):
                con.execute(
                    "insert or ignore into meta.unknown_columns values (?, ?, ?)",
                    [delivery_id, delivered.name, column_name],
                )
        for row in code_rows:
            con.execute(
                "insert or replace into meta.unknown_codes values (?, ?, ?, ?, ?, ?, ?)",
                [delivery_id, row.file, row.column, row.codelist, row.code, row.n_rows, row.first_row],
            )
        con.execute("delete from meta.delivered_codes where delivery_id = ?", [delivery_id])
        for codelist in codelists:
            if codelist.codelist not in delivered_lists:
                continue
            con.register("_delivered_list", delivered_lists[codelist.codelist])
            try:
                con.execute(
                    "insert into meta.delivered_codes select ?, ?, ?, ?, code, label from _delivered_list",
                    [delivery_id, codelist.codelist, codelist.name, list_checksums[codelist.name]],
                )
            finally:
                con.unregister("_delivered_list")
        con.execute("delete from meta.layout_overrides where delivery_id = ?", [delivery_id])
        for source in overrides.sources:
            con.execute(
                "insert into meta.layout_overrides values (?, ?, ?, ?, ?)",
                [delivery_id, source.source, source.name, source.sha256, source.text],
            )
        seconds = time.perf_counter() - started
        if already is not None:  # re-applying a delivery that was rolled back
            con.execute(
                "update meta.deliveries set status = 'applied', seq = ?, seconds = ?, applied_at = now(), "
                "note = nullif(concat_ws('; ', nullif(note, ''), nullif(?, '')), '') where delivery_id = ?",
                [seq, seconds, note, delivery_id],
            )
        else:
            con.execute(
                "insert into meta.deliveries (delivery_id, seq, source_path, status, n_files, n_rows, seconds, "
                "applied_at, note) values (?, ?, ?, 'applied', ?, ?, ?, now(), ?)",
                [delivery_id, seq, str(folder), len(checksums) + len(list_checksums), sum(tables.values()), seconds,
                 note or None],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        _drop_stages(con, staged)
    return IngestResult(
        delivery_id, True, tables, **listed, note=note, seconds=time.perf_counter() - started, message="applied",
        unknown_columns=unknown_columns, notes=tuple(notes), unknown_codes=tuple(flagged),
        codelists={c.codelist: c.name for c in codelists},
    )


def _flag_codes(
    con: duckdb.DuckDBPyConnection,
    delivered: DeliveredTable,
    stage: str,
    mapping,
    column: str,
    offsets: list[tuple[str, int]],
    flagged: list[FlaggedCodes],
    code_rows: list[UnknownCode],
) -> None:
    """Count the unknown codes of one column (per part file of a split table) and record them."""
    found, n_codes = unknown_codes(con, delivered.layout, stage, mapping, delivered.name, column)
    if len(offsets) > 1:  # name the part file and the row within it
        found = [dataclasses.replace(u, file=locate(offsets, u.first_row)[0], first_row=locate(offsets, u.first_row)[1])
                 for u in found]
    code_rows.extend(found)
    files = list(dict.fromkeys(u.file for u in found))
    for file in files:
        mine = [u for u in found if u.file == file]
        flagged.append(
            FlaggedCodes(
                file=file,
                column=column,
                codelist=mine[0].codelist,
                n_rows=sum(u.n_rows for u in mine),
                n_codes=n_codes if len(files) == 1 else len(mine),
                examples=tuple(u.code for u in mine[:5]),
                first_row=min(u.first_row for u in mine),
            )
        )


def _with_overrides(table: DeliveredTable, overrides) -> DeliveredTable:
    """The delivered table read with the layout overrides for its file year."""
    layout = overrides.layout_for(table.layout, table.year)
    if layout is table.layout:
        return table
    return dataclasses.replace(table, files=tuple(dataclasses.replace(part, layout=layout) for part in table.files))


def _file_id(delivery_id: str, delivered: DeliveredFile) -> str:
    return f"{delivery_id}:{delivered.name}"


def _in_part(violation: Violation, offsets: list[tuple[str, int]]) -> Violation:
    """Name the file and the row within it for a violation in a table split over several files."""
    if violation.row is None or len(offsets) < 2:
        return violation
    name, row = locate(offsets, violation.row)
    return dataclasses.replace(violation, file=name, row=row)


def _older_than_current(con: duckdb.DuckDBPyConnection, files: list[DeliveredTable]) -> list[tuple[DeliveredTable, str]]:
    """The tables of a delivery that are an older (year, version) than the current one of their slot."""
    older = []
    for table in files:
        current = con.execute(
            "select file_year, file_version, file_name from meta.current_files where table_name = ? and slot = ? "
            "order by file_year desc, file_version desc limit 1",
            [table.layout.name, table.slot],
        ).fetchone()
        if current is None or (table.year, table.version) >= (current[0], current[1]):
            continue
        if table.layout.per_year or table.year == current[0]:
            line = (
                f"{table.layout.name} {table.year}: this delivery has V{table.version}, "
                f"the warehouse holds the newer V{current[1]} ({current[2]})"
            )
        else:
            line = (
                f"{table.layout.name}: this delivery has {table.year} V{table.version}, "
                f"the warehouse holds the newer {current[0]} V{current[1]} ({current[2]})"
            )
        older.append((table, line))
    return older


def _insert_raw(
    con: duckdb.DuckDBPyConnection,
    delivered: DeliveredTable,
    stage: str,
    mapping: dict[str, str],
    delivery_id: str,
) -> None:
    layout = delivered.layout
    select = []
    for column in layout.columns:
        if column.name in mapping:
            ref = '"' + mapping[column.name].replace('"', '""') + '"'
            if column.null_values:  # sentinels of a layouts.toml: missing, loaded as NULL
                ref = f"case when trim({ref}) in ({', '.join(_sql_text(v) for v in column.null_values)}) then null else {ref} end"
            elif column.kind == "rin":
                # the person key rule has accepted only 9-digit keys (surrounding blanks allowed) and the
                # masked value: store the key without blanks (a plain trim, no per-row pattern match)
                ref = f"trim({ref})"
            select.append(f"{ref} as \"{column.name}\"")
        else:
            select.append(f"null as \"{column.name}\"")
    if len(delivered.files) == 1:
        lineage = "? as _file_id, ? as _source_file, _row_number"
        params = [delivery_id, _file_id(delivery_id, delivered.first), delivered.first.name, delivered.year]
    else:  # a split table: each row keeps its part file and its row within that file
        lineage = "? || ':' || _source_file as _file_id, _source_file, _part_row as _row_number"
        params = [delivery_id, delivery_id, delivered.year]
    con.execute(
        f"""
        insert into raw.{layout.name} by name
        select {', '.join(select)},
               ? as _delivery_id, {lineage}, ? as _file_year
        from {stage}
        """,
        params,
    )


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _drop_stages(con: duckdb.DuckDBPyConnection, staged) -> None:
    for _, stage, _, _ in staged:
        drop_stage(con, stage)


def rollback_to(con: duckdb.DuckDBPyConnection, delivery_id: str) -> list[str]:
    """Make the warehouse current as of ``delivery_id``: later deliveries become 'rolled_back'.

    Raw rows are kept, so a rolled-back delivery can be re-applied by ingesting it again.
    """
    init_warehouse(con)
    row = con.execute("select seq, status from meta.deliveries where delivery_id = ?", [delivery_id]).fetchone()
    if row is None:
        raise KeyError(f"unknown delivery {delivery_id}")
    later = [
        r[0]
        for r in con.execute(
            "select delivery_id from meta.deliveries where seq > ? and status = 'applied' order by seq", [row[0]]
        ).fetchall()
    ]
    con.execute("begin transaction")
    con.execute("update meta.deliveries set status = 'rolled_back' where seq > ? and status = 'applied'", [row[0]])
    con.execute("update meta.deliveries set status = 'applied' where delivery_id = ?", [delivery_id])
    con.execute("commit")
    return later
