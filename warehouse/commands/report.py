"""`warehouse report`: every figure and table of the study, disclosure-controlled, as offline HTML + CSV + PNG.

Wire with ``app.command("report")(report)``.  The figure queries (``sql/`` or ``--sql-dir``) run on a
read-only connection through the output gate; then the gated tables (``analytics``) and the output log
(``meta.outputs``) are written on a short read-write connection: do not run it while dbt holds the database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table


def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for index.html, CSVs and PNGs.")] = Path("report"),
    db: Annotated[Optional[Path], typer.Option("--db", help="Warehouse database file (default: $WAREHOUSE_DB or ./warehouse.duckdb).")] = None,
    profile: Annotated[str, typer.Option(help="Disclosure-control profile: cbs (default) or study.")] = "cbs",
    analytics: Annotated[bool, typer.Option("--analytics/--no-analytics", help="Also write the tables to the analytics schema.")] = True,
    sql_dir: Annotated[Optional[Path], typer.Option("--sql-dir", help="Folder with the figure queries (default: sql/).")] = None,
) -> None:
    """Run every sql/ figure query, apply disclosure control, and write the report."""
    from warehouse.config import resolve_db
    from warehouse.db import connect
    from warehouse.disclosure import PROFILES, DisclosureError
    from warehouse.guard import GuardError
    from warehouse.report.runner import render_report, store_report

    console = Console(stderr=True)
    if profile not in PROFILES:
        raise typer.BadParameter(f"profile must be one of {sorted(PROFILES)}")
    path = resolve_db(db)
    if not path.exists():
        console.print(f"[bold red]error:[/] {path} does not exist: run `warehouse ingest` and `warehouse build` first")
        raise typer.Exit(1)
    try:
        # the queries run on a read-only connection; only the gated tables and the log are written after
        con = connect(path, read_only=True)
    except Exception as error:  # e.g. the file is locked by a running dbt build
        console.print(f"[bold red]error:[/] cannot open {path} ({str(error).splitlines()[0]}); is dbt running?")
        raise typer.Exit(1) from None
    try:
        with console.status("report"):
            result = render_report(con, out, profile, sql_dir=sql_dir)
    except (DisclosureError, GuardError) as error:
        console.print(f"[bold red]refused:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        con.close()
    try:
        con = connect(path)
    except Exception as error:  # noqa: BLE001
        console.print(f"[bold red]error:[/] cannot open {path} read-write to log the release "
                      f"({str(error).splitlines()[0]})")
        raise typer.Exit(1) from None
    try:
        store_report(con, result, analytics=analytics)
    finally:
        con.close()
    tab = Table(title=f"report {result.out / 'index.html'} (profile {result.profile}, {result.seconds:.1f} s)")
    tab.add_column("figure")
    tab.add_column("rows", justify="right")
    tab.add_column("s", justify="right")
    for fig in result.figures:
        tab.add_row(fig.query.name, str(len(fig.table)), f"{fig.seconds:.2f}")
    Console().print(tab)
    flagged = result.comparison[result.comparison["flag"] == "DEVIATES"]
    chance = int(flagged["within_sampling_band"].eq(True).sum())
    console.print(f"published vs reproduced: {len(result.comparison)} numbers, {len(flagged)} beyond the thresholds "
                  f"({chance} within the 95% sampling band of their group size); "
                  f"{len(result.analytics_tables)} analytics tables written")
