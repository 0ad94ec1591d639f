"""`warehouse export`: write a guarded, disclosure-checked query result to CSV.

Wire with ``app.command("export")(export)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console


def export(
    query: Annotated[Optional[str], typer.Argument(help="SELECT query whose result leaves the warehouse.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", help="Read the query from this .sql file.")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")] = Path("export.csv"),
    db: Annotated[Optional[Path], typer.Option("--db", help="Warehouse database file (default: $WAREHOUSE_DB or ./warehouse.duckdb).")] = None,
    profile: Annotated[str, typer.Option(help="Disclosure-control profile.")] = "cbs",
) -> None:
    """Export an aggregate query result to CSV (refuses person keys and person-level rows)."""
    from warehouse.config import resolve_db
    from warehouse.db import connect
    from warehouse.export import export_query
    from warehouse.guard import GuardError

    console = Console(stderr=True)
    if (query is None) == (file is None):
        console.print("[bold red]error:[/] give either a QUERY or --file FILE.sql")
        raise typer.Exit(1)
    sql = file.read_text() if file is not None else query
    assert sql is not None
    path = resolve_db(db)
    con = connect(path, read_only=True)
    try:
        result = export_query(con, sql, out, profile, db=path)
    except GuardError as error:
        console.print(f"[bold red]refused:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except Exception as error:  # noqa: BLE001 - DisclosureError or DuckDB errors, without a traceback
        kind = "refused" if type(error).__name__ == "DisclosureError" else "error"
        console.print(f"[bold red]{kind}:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2 if kind == "refused" else 1) from None
    finally:
        try:
            con.close()
        except Exception:  # noqa: BLE001 - already closed for the log
            pass
    assert result.release is not None
    console.print(f"wrote {result.rows:,} rows x {len(result.columns)} columns to {result.out} "
                  f"({result.release.summary()}; log {result.log})")
