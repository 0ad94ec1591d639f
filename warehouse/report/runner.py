"""Run the figure queries of ``sql/`` and pass every result through :mod:`warehouse.disclosure`."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from warehouse.config import SQL_DIR
from warehouse.disclosure import Profile, assert_safe, get_profile, protect

_HEADER_RE = re.compile(r"^--\s*([a-z_]+):\s*(.*)$")
GROUP_ORDER = ["INC", "EPK", "LPK", "CON", "OFF", "CC", "NCC"]


@dataclass
class FigureQuery:
    """One ``sql/*.sql`` file: its name (file stem) and ``-- key: value`` header lines."""

    name: str
    path: Path
    sql: str
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def chart(self) -> str:
        return self.meta.get("chart", "bar")

    @property
    def title(self) -> str:
        return self.meta.get("title", self.name)

    @property
    def figure(self) -> str:
        return self.meta.get("figure", self.name)


@dataclass
class FigureResult:
    query: FigureQuery
    raw: pd.DataFrame  # as released by the output gate, before the report's table conventions
    table: pd.DataFrame  # disclosure-controlled
    seconds: float
    release: Any = None  # warehouse.gate.Release: what the gate suppressed and dropped


@dataclass
class ReportResult:
    out: Path
    profile: str
    figures: list[FigureResult]
    comparison: pd.DataFrame
    files: list[Path]
    seconds: float
    analytics_tables: list[str] = field(default_factory=list)


def parse_header(sql: str) -> dict[str, str]:
    """The ``-- key: value`` lines of the leading comment block (continuation lines ``--   ...`` appended)."""
    meta: dict[str, str] = {}
    last: str | None = None
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        m = _HEADER_RE.match(line)
        if m and not line.startswith("--  "):
            last = m.group(1)
            meta[last] = m.group(2).strip()
        elif last is not None:
            meta[last] += " " + line.lstrip("-").strip()
    return meta


def load_queries(sql_dir: Path | None = None) -> list[FigureQuery]:
    """Every ``*.sql`` file of ``sql_dir`` (default: the project's ``sql/``), sorted by name."""
    folder = Path(sql_dir) if sql_dir is not None else SQL_DIR
    queries = []
    for path in sorted(folder.glob("*.sql")):
        text = path.read_text()
        queries.append(FigureQuery(name=path.stem, path=path, sql=text, meta=parse_header(text)))
    return queries


def _protect_figure(query: FigureQuery, raw: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    frame = raw.copy()
    for column in frame.columns:  # HUGEINT/decimal sums come back as objects or floats
        if str(column) == "n" or str(column).startswith("n_"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if query.chart == "trajectories":
        # model curves are estimates of the model, not statistics of a cell; the observed mean is
        stats = [c for c in ("observed_mean",) if c in frame.columns]
        table = protect(frame, profile=profile, statistic_columns=stats)
    else:
        stats = [c for c in frame.columns
                 if pd.api.types.is_float_dtype(frame[c]) and not str(c).startswith("p_")
                 and not (str(c) == "n" or str(c).startswith("n_"))]
        table = protect(frame, profile=profile, statistic_columns=stats)
    if "pct" in table.columns and "n" not in table.columns:
        table = table.drop(columns="pct")
    assert_safe(table, profile, name=query.name)
    return table


def run_queries(con: Any, profile: str | Profile = "cbs", sql_dir: Path | None = None) -> list[FigureResult]:
    """Run every figure query and return the unrounded and the protected result of each."""
    from warehouse.gate import GateError, release

    prof = get_profile(profile)
    results = []
    for query in load_queries(sql_dir):
        started = time.perf_counter()
        try:
            gated = release(con, query.sql, prof)
        except GateError as error:
            raise GateError(f"{query.path.name}: {error}") from None
        table = _protect_figure(query, gated.frame, prof)
        results.append(FigureResult(query=query, raw=gated.frame, table=table,
                                    seconds=time.perf_counter() - started, release=gated))
    return results


def _log_release(con: Any, out: Path, figures: list[FigureResult], tables: list[str]) -> None:
    """One output-log entry per figure (its CSV, and its analytics table when written), and the readable
    log of the whole report beside it (``outputs.log.json``)."""
    import json

    from warehouse.outputs import readable, record, store

    entries = []
    for figure in figures:
        entry = record(figure.release, command="report", target=str(out / f"{figure.query.name}.csv"))
        entry["rows_released"] = len(figure.table)
        entries.append(entry)
        if figure.query.name in tables:
            table_entry = dict(entry, target=f"analytics.{figure.query.name}", output_id=entry["output_id"] + "-a")
            entries.append(table_entry)
    store(con, entries)
    (out / "outputs.log.json").write_text(json.dumps([readable(e) for e in entries], indent=2, default=str) + "\n",
                                          encoding="utf-8")


def render_report(con: Any, out: Path, profile: str | Profile = "cbs", *, sql_dir: Path | None = None
                  ) -> ReportResult:
    """Run every figure query through the output gate on ``con`` (read-only is enough) and write
    ``out/index.html``, the CSVs and PNGs; nothing is written when a query is refused."""
    from warehouse.report.html import write_html
    from warehouse.report.published import compare_published

    started = time.perf_counter()
    prof = get_profile(profile)
    out = Path(out)
    figures = run_queries(con, prof, sql_dir)
    out.mkdir(parents=True, exist_ok=True)
    comparison = compare_published({f.query.name: f.table for f in figures})
    files = write_html(out, figures, comparison, prof)
    return ReportResult(out=out, profile=prof.name, figures=figures, comparison=comparison, files=files,
                        seconds=time.perf_counter() - started)


def store_report(con: Any, result: ReportResult, *, analytics: bool = True) -> ReportResult:
    """Write the gated figure tables to the ``analytics`` schema and the output log (read-write ``con``)."""
    from warehouse.report.analytics import write_analytics

    started = time.perf_counter()
    figures = result.figures
    tables: list[str] = []
    if analytics:
        tables = write_analytics(con, {f.query.name: f.table for f in figures}, profile=result.profile,
                                 comments={f.query.name: f"{f.query.figure}: {f.query.title}" for f in figures})
    _log_release(con, result.out, figures, tables)
    result.analytics_tables = tables
    result.seconds += time.perf_counter() - started
    return result


def run_report(
    con: Any,
    out: Path,
    profile: str | Profile = "cbs",
    *,
    sql_dir: Path | None = None,
    analytics: bool = True,
) -> ReportResult:
    """:func:`render_report` and :func:`store_report` on one read-write connection."""
    return store_report(con, render_report(con, out, profile, sql_dir=sql_dir), analytics=analytics)
