"""`warehouse publish`: publish the disclosure-controlled analytics schema to PostgreSQL.

Wire with ``app.command("publish")(publish)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table


def publish(
    postgres: Annotated[str, typer.Option("--postgres", envvar="WAREHOUSE_POSTGRES_URL",
                                          help="PostgreSQL URL, e.g. postgresql://publisher@host/bi.")],
    schema: Annotated[str, typer.Option(help="PostgreSQL schema to (re)place.")] = "analytics",
    bi_role: Annotated[str, typer.Option("--bi-role", help="NOLOGIN group role granted read access.")] = "analytics_reader",
    db: Annotated[Optional[Path], typer.Option("--db", help="Warehouse database file (default: $WAREHOUSE_DB or ./warehouse.duckdb).")] = None,
    profile: Annotated[str, typer.Option(help="Disclosure-control profile.")] = "cbs",
) -> None:
    """Publish every analytics table to PostgreSQL atomically (guarded and disclosure-checked)."""
    from warehouse.config import resolve_db
    from warehouse.guard import GuardError
    from warehouse.publish import publish as run_publish

    console = Console(stderr=True)
    try:
        with console.status("publishing") as status:
            result = run_publish(resolve_db(db), postgres, schema=schema, bi_role=bi_role, profile=profile,
                                 progress=lambda message: status.update(message))
    except GuardError as error:
        console.print(f"[bold red]refused:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except Exception as error:  # noqa: BLE001 - DisclosureError, psycopg errors: message, no traceback
        kind = "refused" if type(error).__name__ in ("DisclosureError", "PublishRefused") else "error"
        console.print(f"[bold red]{kind}:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2 if kind == "refused" else 1) from None
    table = Table(title=f"published schema {result.schema} in {result.seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in sorted(result.tables.items()):
        table.add_row(name, f"{rows:,}")
    Console().print(table)
