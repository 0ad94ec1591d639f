"""`warehouse generate`: write a synthetic CBS delivery with planted ground truth.

Wire with ``app.command("generate")(generate)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def generate(
    persons: Annotated[int, typer.Option(help="Number of simulated persons (lineage chunks are filled up to this).")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed + N + version gives identical files.")] = 20240228,
    out: Annotated[Path, typer.Option(help="Delivery folder (files named as in layouts.py).")] = Path("delivery"),
    truth: Annotated[Optional[Path], typer.Option(help="Truth folder (default: <out>/../truth_<outname>).")] = None,
    format: Annotated[str, typer.Option(help="csv | parquet | sav")] = "csv",
    cohort_size: Annotated[int, typer.Option(help="Exact size of the study sample (trafficking offenders).")] = 630,
    chunk_size: Annotated[int, typer.Option(help="Simulated persons per lineage chunk (memory bound).")] = 25_000,
    version: Annotated[int, typer.Option(help="CBS file version number in the file names.")] = 1,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes (default: up to 2 cores); output is identical for any value.")] = None,
    layout: Annotated[str, typer.Option(help="flat (all files in one folder) | remote-access (a CBS Remote Access tree: "
                                             "table and year folders, superseded versions, a split table, a stray file)")] = "flat",
) -> None:
    """Generate a synthetic population written as a CBS delivery, plus the planted truth."""
    from warehouse.synth import SynthConfig
    from warehouse.synth import generate as run

    if format not in ("csv", "parquet", "sav"):
        raise typer.BadParameter("format must be csv, parquet or sav")
    if layout not in ("flat", "remote-access"):
        raise typer.BadParameter("layout must be flat or remote-access")
    cfg = SynthConfig(persons=persons, seed=seed, out=out, truth=truth, fmt=format, cohort_size=cohort_size,
                      chunk_size=chunk_size, version=version)
    console = Console()
    with Progress(TextColumn("[bold]generate"), BarColumn(), TextColumn("chunk {task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True) as prog:
        task = prog.add_task("chunks", total=None)

        def tick(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        res = run(cfg, progress=tick, workers=workers, layout=layout)
    tab = Table(title=f"delivery {res.out} ({format}, {layout})")
    tab.add_column("file")
    tab.add_column("rows", justify="right")
    for name, rows in res.files.items():
        tab.add_row(name, f"{rows:,}")
    console.print(tab)
    console.print(
        f"simulated {res.persons_simulated:,} persons ({res.persons_registered:,} registered), "
        f"study sample {res.study_sample}, {res.chunks} chunk(s), {res.seconds:.1f} s, "
        f"peak RSS {res.peak_rss_mb:.0f} MB; truth in {res.truth}"
    )
