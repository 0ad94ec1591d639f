"""`warehouse bench`: time every stage at one or more sizes and compare the linkage with pandas.

Wire with ``app.command("bench")(bench)``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _stage_table(run: dict[str, Any]) -> Table:
    source = f"warehouse {run['warehouse']}" if run.get("warehouse") else run["delivery"]
    table = Table(title=f"{run['persons']:,} persons ({source}), {run['seconds']:.0f} s")
    for column in ("stage", "seconds", "cpu s", "rows", "rows/s", "peak RSS MB", "note"):
        table.add_column(column, justify="left" if column in ("stage", "note") else "right")
    for stage in run["stages"]:
        note = "" if stage["ok"] else f"[red]{(stage['error'] or '').splitlines()[0][:70]}[/]"
        if stage.get("baseline_ratio") is not None:
            note = f"ours/pandas {stage['baseline_ratio']:.3f}"
        table.add_row(stage["stage"], _fmt(stage["seconds"]), _fmt(stage["cpu_seconds"]),
                      "" if stage["rows"] is None else f"{stage['rows']:,}", _fmt(stage["rows_per_second"], 0),
                      _fmt(stage["peak_rss_mb"], 0), note)
    return table


def _linkage_table(run: dict[str, Any]) -> Table:
    table = Table(title=f"linkage vs pandas baseline, {run['persons']:,} persons")
    for column in ("output", "ours s", "pandas s", "ours/pandas", "speed-up", "rows", "identical"):
        table.add_column(column, justify="left" if column in ("output", "identical") else "right")
    for name, output in run["linkage"]["outputs"].items():
        table.add_row(name, _fmt(output["ours_seconds"], 2), _fmt(output["pandas_seconds"], 2),
                      _fmt(output["ratio_ours_over_pandas"], 3), _fmt(output["speedup_over_pandas"], 1) + "x",
                      f"{output['rows_ours']:,}", "yes" if output["identical"] else "[bold red]NO[/]")
    total = run["linkage"].get("total")
    if total:
        table.add_row("total", _fmt(total["ours_seconds"], 2), _fmt(total["pandas_seconds"], 2),
                      _fmt(total["ratio_ours_over_pandas"], 3), _fmt(total["speedup_over_pandas"], 1) + "x", "",
                      "yes" if run["linkage"]["identical"] else "[bold red]NO[/]")
    return table


def bench(
    persons: Annotated[list[int], typer.Option("--persons", help="Population size(s) to run (repeatable).")] = [100_000],  # noqa: B006
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the results as JSON to this file.")] = None,
    workdir: Annotated[Optional[Path], typer.Option("--workdir", help="Scratch folder (default: a new temporary one).")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Keep each size's delivery, warehouse and logs.")] = False,
    delivery: Annotated[Optional[Path], typer.Option(
        "--delivery", help="Bench an existing delivery (skips generate; one --persons value labels it).",
        exists=True, file_okay=False)] = None,
    warehouse: Annotated[Optional[Path], typer.Option(
        "--warehouse", help="Bench a copy of an already built warehouse: skips generate, ingest and the build.",
        exists=True, dir_okay=False)] = None,
    seed: Annotated[int, typer.Option(help="Generator and GBTM seed.")] = 20240228,
    cohort_size: Annotated[int, typer.Option(help="Study sample size planted by the generator.")] = 630,
    gbtm_starts: Annotated[int, typer.Option(help="Random starts of the GBTM fit.")] = 20,
    memory_limit: Annotated[Optional[str], typer.Option(help="DuckDB memory_limit (sets WAREHOUSE_MEMORY_LIMIT).")] = None,
    threads: Annotated[Optional[int], typer.Option(help="Sets WAREHOUSE_THREADS: DuckDB threads of our own connections and the models dbt builds at once (the linkage comparison always runs one model at a time).")] = None,
) -> None:
    """Time generate, ingest, the dbt layers, panel, GBTM, FE logit and report; compare linkage with pandas."""
    from warehouse.bench import BenchConfig, run_bench

    console = Console(stderr=True)
    if (delivery is not None or warehouse is not None) and len(persons) != 1:
        raise typer.BadParameter("--delivery/--warehouse bench one given input: give one --persons value as its label")
    root = workdir if workdir is not None else Path(tempfile.mkdtemp(prefix="warehouse-bench-"))
    config = BenchConfig(persons=tuple(persons), workdir=root, keep=keep, delivery=delivery, warehouse=warehouse, seed=seed,
                         cohort_size=cohort_size, gbtm_starts=gbtm_starts, memory_limit=memory_limit, threads=threads)
    with console.status("bench") as status:
        result = run_bench(config, progress=lambda message: status.update(f"bench: {message}"))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(result, indent=2, default=str))
    out = Console(width=None if sys.stdout.isatty() else 132)
    for run in result["runs"]:
        out.print(_stage_table(run))
        out.print(_linkage_table(run))
    if json_out is not None:
        console.print(f"wrote {json_out}")
    if not result["identical"]:
        console.print("[bold red]identical-result check FAILED:[/] our linkage and the pandas baseline differ "
                      "(see linkage.outputs.*.check in the JSON)")
        raise typer.Exit(3)
    if not result["ok"]:
        console.print("[bold red]some stages failed[/] (see the JSON and the logs in the work dir with --keep)")
        raise typer.Exit(1)
