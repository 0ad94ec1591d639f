"""The ``warehouse`` command line: generate, ingest, build, refresh, sql, status, and the statistics."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from warehouse.config import resolve_db
from warehouse.lock import WarehouseBusy, waiting_line, writer_lock

app = typer.Typer(
    help="Relational data warehouse for life-course criminology on CBS register microdata.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)
out = Console()

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Warehouse database file (default: $WAREHOUSE_DB or ./warehouse.duckdb)."),
]
#: How `ingest` and `refresh` check a delivery (warehouse.ingest.ingest's options).
AllowOlderOption = Annotated[
    bool,
    typer.Option("--allow-older", help="Accept a delivery that makes an older version of a table current (recorded)."),
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Reject the delivery if a file has columns that are not in its table layout.")
]
StrictCodesOption = Annotated[
    bool,
    typer.Option("--strict-codes", help="Reject the delivery if a code is not in its code list (default: keep and flag it)."),
]
LayoutsOption = Annotated[
    Path | None,
    typer.Option(
        "--layouts",
        help="Project layout overrides (TOML: remap, sentinels, codes per table); a layouts.toml in the "
        "delivery folder wins per key. See docs/layout-overrides.md.",
    ),
]
#: The writers (ingest, refresh, build, rollback) take the warehouse's writer lock (warehouse.lock).
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait", metavar="SECONDS", min=0,
        help="If another writer holds the warehouse, wait up to SECONDS for it (default 0: stop at once).",
    ),
]


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _fail_line(message: str, code: int = 1) -> None:
    """An error on exactly one line (no wrapping at the terminal width, no markup in the message)."""
    console.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def ingest(
    delivery: Annotated[
        Path, typer.Argument(help="Delivery folder (searched with its sub-folders) with CBS table files (.sav, .csv, .parquet).")
    ],
    db: DbOption = None,
    wait: WaitOption = 0,
    allow_older: AllowOlderOption = False,
    strict: StrictOption = False,
    strict_codes: StrictCodesOption = False,
    layouts: LayoutsOption = None,
) -> None:
    """Validate a delivery and apply it atomically to the raw layer (no-op if already applied).

    Columns not in a table's layout are listed and recorded in meta.unknown_columns (not loaded);
    with --strict they reject the delivery. Codes not in their code list are kept, counted and flagged
    (warning lines, meta.unknown_codes); with --strict-codes they reject the delivery. Code lists
    delivered as files (codelists/<list>.csv, LANDAKTUEELREF) replace the shipped seeds. Layout overrides
    (layouts.toml in the delivery, --layouts FILE) remap columns, add sentinels and extra codes."""
    from warehouse.db import connect
    from warehouse.ingest import DeliveryRejected, ingest as run_ingest

    def listing(label: str, names: tuple[str, ...], first: int = 5) -> None:
        if names:
            more = f", ... ({len(names) - first} more)" if len(names) > first else ""
            console.print(f"{label} {len(names)} file{'s' if len(names) != 1 else ''}: {', '.join(names[:first])}{more}", markup=False, highlight=False, soft_wrap=True)

    path = resolve_db(db)
    from warehouse.ingest.overrides import read_overrides

    _, problems = read_overrides(delivery.resolve(), layouts)
    if problems:  # checked before the warehouse is opened (or created)
        error = DeliveryRejected(delivery.resolve().name, problems)
        console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)

    def notice(holder) -> None:  # printed once if --wait has to wait
        console.print(escape(waiting_line(holder, wait)), highlight=False, soft_wrap=True)

    try:
        with writer_lock(path, f"warehouse ingest {delivery}", wait, on_wait=notice):
            con = connect(path)
            try:
                with console.status("ingesting") as status:
                    result = run_ingest(con, delivery, progress=lambda msg: status.update(msg), allow_older=allow_older,
                                        strict=strict, strict_codes=strict_codes, layouts=layouts)
            except DeliveryRejected as error:
                # one line per violation (no wrapping); rule names are in [brackets]: not rich markup
                console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
                raise typer.Exit(2) from None
            finally:
                con.close()
    except WarehouseBusy as error:
        _fail_line(str(error))
    listing("skipped (not a CBS table file)", result.skipped_files)
    listing("superseded in this delivery (a higher version is loaded)", result.superseded_files)
    listing("identical copies not loaded", result.identical_files)
    for file_name, columns in sorted(result.unknown_columns.items()):
        console.print(
            escape(f"unknown columns (not loaded, recorded in meta.unknown_columns) in {file_name}: {', '.join(columns)}"),
            highlight=False,
            soft_wrap=True,
        )
    flagged = {str(item) for item in result.unknown_codes}
    for note in result.notes:
        label = "warning: unknown codes in" if note in flagged else "note:"
        console.print(escape(f"{label} {note}"), highlight=False, soft_wrap=True)
    for codelist, file_name in sorted(result.codelists.items()):
        console.print(escape(f"code list {codelist}: delivered {file_name} used instead of the shipped seed"),
                      highlight=False, soft_wrap=True)
    if not result.applied:
        console.print(f"delivery {result.delivery_id}: {result.message}")
        return
    table = Table(title=f"delivery {result.delivery_id} applied in {result.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in sorted(result.tables.items()):
        table.add_row(name, f"{rows:,}")
    out.print(table)
    if result.note:
        console.print(result.note, markup=False, highlight=False, soft_wrap=True)


@app.command()
def build(
    db: DbOption = None,
    select: Annotated[str | None, typer.Option("--select", "-s", help="dbt selection (default: everything).")] = None,
    unit_tests: Annotated[
        bool, typer.Option("--unit-tests", help="Also run the dbt unit tests (hand-made rows; normally run by pytest).")
    ] = False,
    wait: WaitOption = 0,
) -> None:
    """Build seeds, staging, intermediate and marts with dbt, and run the dbt data tests."""
    from warehouse.dbt_driver import build_args, run_dbt

    path = resolve_db(db)
    if not path.exists():
        _fail(f"{path} does not exist: run `warehouse ingest DIR` first")

    def notice(holder) -> None:  # printed once if --wait has to wait
        console.print(escape(waiting_line(holder, wait)), highlight=False, soft_wrap=True)

    try:
        command = "warehouse build" + (f" --select {select}" if select else "")
        with writer_lock(path, command, wait, on_wait=notice):
            started = time.perf_counter()
            args = build_args(select, unit_tests=unit_tests)
            with console.status("dbt build"):
                outcome = run_dbt(path, args)
    except WarehouseBusy as error:
        _fail_line(str(error))
    if not outcome.success:
        _fail("dbt build failed:\n" + "\n".join(outcome.failures))
    console.print(f"dbt build: {outcome.n_nodes} nodes in {time.perf_counter() - started:.1f} s")


@app.command()
def refresh(
    delivery: Annotated[Path, typer.Argument(help="Delivery folder with new or replaced CBS tables.")],
    db: DbOption = None,
    wait: WaitOption = 0,
    allow_older: AllowOlderOption = False,
    strict: StrictOption = False,
    strict_codes: StrictCodesOption = False,
    layouts: LayoutsOption = None,
) -> None:
    """Apply a new delivery and rebuild (and test) only the models downstream of its tables, all or nothing."""
    from warehouse.ingest import DeliveryRejected
    from warehouse.refresh import RefreshFailed, refresh as run_refresh

    path = resolve_db(db)

    def notice(holder) -> None:  # printed once if --wait has to wait
        console.print(escape(waiting_line(holder, wait)), highlight=False, soft_wrap=True)

    try:
        # refresh() takes the writer lock itself, around the whole copy-rebuild-swap
        with console.status("refreshing") as status:
            result = run_refresh(
                path, delivery, progress=lambda msg: status.update(msg), wait=wait,
                command=f"warehouse refresh {delivery}", on_wait=notice,
                ingest_options={"allow_older": allow_older, "strict": strict, "strict_codes": strict_codes,
                                "layouts": layouts},
            )
    except WarehouseBusy as error:
        _fail_line(str(error))
    except (DeliveryRejected, RefreshFailed, FileNotFoundError) as error:
        _fail(escape(str(error)), code=2)  # escaped: rule names are in [brackets]
    if not result.applied:
        console.print(f"delivery {result.delivery_id}: already applied, nothing to do")
        return
    console.print(
        f"delivery {result.delivery_id} applied: tables {', '.join(result.tables)}; "
        f"rebuilt {result.n_nodes} dbt nodes ({result.selection}); "
        f"ingest {result.ingest_seconds:.1f} s, build {result.build_seconds:.1f} s, total {result.seconds:.1f} s"
    )


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL query to run (read-only).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Run the query in this .sql file.")] = None,
    db: DbOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table (all rows unless --limit).")] = False,
    limit: Annotated[
        int | None, typer.Option(help="Maximum rows to print (default 200 for the table, all rows for --csv).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", metavar="SECONDS",
            help="Stop the query after SECONDS (default $WAREHOUSE_SQL_TIMEOUT or 300; 0: no limit).",
        ),
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="FILE",
            help="Write the whole result to FILE (.parquet, .csv, .sav or .dta) for modelling inside the "
            "secure environment: person-level data, never to be released (use `warehouse export`/`report`).",
        ),
    ] = None,
) -> None:
    """Run a read-only SQL query against the warehouse (errors are one line on stderr)."""
    import duckdb

    from warehouse.db import connect, error_line
    from warehouse.guard import GuardError, check_read_only
    from warehouse.sql_run import (
        OUT_SUFFIXES, OutputRefused, QueryTimeout, head_and_count, local_connection, resolve_timeout,
        result_stream, statement_timeout, write_csv_rows, write_result,
    )

    if (query is None) == (file is None):
        _fail_line("give either a QUERY or --file FILE.sql", code=2)
    if out_file is not None:
        if out_file.suffix.lower() not in OUT_SUFFIXES:
            _fail_line(f"--out FILE must end in {', '.join(OUT_SUFFIXES)}, not {out_file.name!r}", code=2)
        if csv or limit is not None:
            _fail_line("--out writes the whole result: it takes no --csv or --limit (put a LIMIT in the query)", code=2)
    if limit is not None and limit < 0:
        _fail_line("--limit must be 0 or more", code=2)
    try:
        seconds = resolve_timeout(timeout)
    except ValueError as error:
        _fail_line(str(error), code=2)
    text = file.read_text() if file is not None else query
    try:
        check_read_only(text)
    except GuardError as error:
        _fail_line(str(error), code=2)
    try:
        con = connect(resolve_db(db), read_only=True)
    except (FileNotFoundError, duckdb.Error) as error:
        _fail_line(error_line(error))
    local = local_connection()
    stream = None
    try:
        with statement_timeout(seconds, con, local) as deadline:
            stream = result_stream(con, text)
            reader = deadline.watch(stream)
            if out_file is not None:
                n_rows, n_columns = write_result(reader, out_file, local)
            elif csv:
                shown, total = write_csv_rows(reader, local, limit, sys.stdout)
            else:
                result = head_and_count(reader, local, 200 if limit is None else limit)
    except (QueryTimeout, OutputRefused) as error:
        _fail_line(str(error))
    except Exception as error:  # noqa: BLE001 - show DuckDB's message on one line, not a traceback
        _fail_line(error_line(error))
    finally:
        if stream is not None:
            stream.close()  # a DuckDB result stream left open makes the next connect to the file hang
        local.close()
        con.close()
    if out_file is not None:
        console.print(
            f"wrote {n_rows:,} rows x {n_columns} columns to {out_file}: person-level data, keep it inside the "
            "secure environment; release results only through `warehouse export`/`report`",
            highlight=False, soft_wrap=True,
        )
        return
    if csv:
        if shown < total:
            sys.stdout.flush()
            console.print(f"showing {shown:,} of {total:,} rows; use --limit N or --out FILE", highlight=False)
        return
    table = Table()
    for column in result.columns:
        table.add_column(column)
    for row in result.rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    out.print(table)
    if len(result.rows) < result.total:
        console.print(
            f"showing {len(result.rows):,} of {result.total:,} rows; use --limit N or --out FILE", highlight=False
        )


@app.command()
def outputs(db: DbOption = None, limit: Annotated[int, typer.Option(help="Most recent entries to show.")] = 50) -> None:
    """List the output log: every file and table released through the output gate."""
    from warehouse.db import connect
    from warehouse.outputs import list_outputs

    path = resolve_db(db)
    if not path.exists():
        _fail(f"warehouse database {path} does not exist: run `warehouse ingest` first")
    con = connect(path, read_only=True)
    try:
        rows = list_outputs(con, limit)
    finally:
        con.close()
    if not rows:
        console.print("no outputs released yet")
        return
    table = Table(title=f"output log (meta.outputs, {len(rows)} most recent)")
    for column in ("released at", "command", "target", "profile", "rows", "rows dropped", "cells suppressed"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    out.print(table)


@app.command()
def status(db: DbOption = None) -> None:
    """Show the deliveries applied and the row counts of every warehouse table."""
    from warehouse.db import connect

    path = resolve_db(db)
    con = connect(path, read_only=True)
    try:
        rows = con.execute(
            """
            select table_schema, table_name, estimated_size
            from (
                select schema_name as table_schema, table_name, estimated_size
                from duckdb_tables() where database_name = current_database()
            )
            where table_schema not in ('source_current')
            order by table_schema, table_name
            """
        ).fetchall()
        counts = []
        for schema, name, _ in rows:
            n = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            counts.append((schema, name, n))
    finally:
        con.close()
    table = Table(title=f"warehouse {path}")
    table.add_column("schema")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for schema, name, n in counts:
        table.add_row(schema, name, f"{n:,}")
    out.print(table)


@app.command()
def deliveries(db: DbOption = None) -> None:
    """List the delivery history (applied and rolled back)."""
    from warehouse.db import connect

    con = connect(resolve_db(db), read_only=True)
    try:
        rows = con.execute(
            "select seq, delivery_id, status, n_files, n_rows, round(seconds, 1), source_path "
            "from meta.deliveries order by seq"
        ).fetchall()
    finally:
        con.close()
    table = Table(title="deliveries")
    for column in ("seq", "delivery", "status", "files", "rows", "seconds", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(value) for value in row))
    out.print(table)


@app.command()
def rollback(
    to: Annotated[str, typer.Option("--to", help="Delivery id to return to (see `warehouse deliveries`).")],
    db: DbOption = None,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the dbt models afterwards.")] = True,
    wait: WaitOption = 0,
) -> None:
    """Make the warehouse current as of an earlier delivery (later ones are kept but inactive)."""
    from warehouse.db import connect
    from warehouse.ingest import rollback_to

    path = resolve_db(db)

    def notice(holder) -> None:  # printed once if --wait has to wait
        console.print(escape(waiting_line(holder, wait)), highlight=False, soft_wrap=True)

    try:
        # held across the rebuild too (the lock is re-entrant: build() below takes it again at no cost)
        with writer_lock(path, f"warehouse rollback --to {to}", wait, on_wait=notice):
            con = connect(path)
            try:
                undone = rollback_to(con, to)
            except KeyError as error:
                _fail(str(error))
            finally:
                con.close()
            console.print(f"rolled back: {', '.join(undone) if undone else 'nothing'}")
            if rebuild:
                build(db=path, select=None, unit_tests=False, wait=0)
    except WarehouseBusy as error:
        _fail_line(str(error))


def _register_subcommands() -> None:
    from warehouse.commands import analysis, felogit, gbtm
    from warehouse.commands.bench import bench
    from warehouse.commands.export import export
    from warehouse.commands.generate import generate
    from warehouse.commands.publish import publish
    from warehouse.commands.report import report

    app.command("generate")(generate)
    app.command("report")(report)
    app.command("export")(export)
    app.command("publish")(publish)
    app.command("bench")(bench)

    app.add_typer(gbtm.app, name="gbtm", help="Group-based trajectory models (Poisson / ZIP mixtures).")
    app.command("felogit")(felogit.felogit)
    app.add_typer(analysis.app, name="analysis", help="The study's analyses (Table 5.1 life events).")


_register_subcommands()


def main() -> None:  # pragma: no cover - console entry point
    app()
