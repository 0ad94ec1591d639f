"""`warehouse analysis life-events`: the study's Table 5.1 (fixed-effects logit of offending in a month).

The numbers come from ``sql/tab_5_01_fixed_effects_logit.sql`` -- the one definition of the
panel (SPEC §3.5 P01-P03: adult months, SECM category with reference WORK, partner, biological
child, resident non-biological child, age) and of the models (SPEC §4.2: exact conditional
logit per trajectory group, OFF total and CC, through the ``clogit_fit`` UDF).  This module
runs that query unchanged; the persons dropped for lack of variation in the outcome are
counted from the query's own ``grouped`` CTE.  The table passes disclosure control
(:mod:`warehouse.disclosure`: counts rounded to 5, small bases suppressed); it has no
person-level rows.

Register with ``app.add_typer(analysis.app, name="analysis")``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from scipy import stats

from python_udfs.clogit import significance_stars
from warehouse.config import SQL_DIR, resolve_db
from warehouse.disclosure import DisclosureError, Profile, assert_safe, get_profile, protect

__all__ = ["LifeEventsTable", "app", "life_events_table", "TABLE_5_1_SQL"]

TABLE_5_1_SQL = SQL_DIR / "tab_5_01_fixed_effects_logit.sql"
GROUP_ORDER = ("INC", "EPK", "LPK", "CON", "OFF", "CC")
#: row labels of the published table (SPEC §5.4 Table 5.1), by term of the query
TERM_LABELS = {
    "age": "Age",
    "secm_benefit": "SECM (ref. work): benefit",
    "secm_school_student": "SECM: (not yet) school/student",
    "secm_other_no_income": "SECM: other without income",
    "partner": "Partner (cohabiting)",
    "bio_child": ">=1 biological child",
    "resident_nonbio_child": ">=1 resident non-biological child",
}

app = typer.Typer(help="The study's analyses on a built warehouse.", no_args_is_help=True)


@dataclass(frozen=True, slots=True)
class LifeEventsTable:
    """Table 5.1 in long form (one row per group x term), disclosure-controlled.

    Columns: grp, term, term_order, odds_ratio, ci_low, ci_high, p_value, stars, converged,
    n_den (persons contributing), n_dropped (persons of the group's panel without variation
    in the outcome), n_months (person-months used); counts rounded by the profile.
    """

    table: pd.DataFrame
    profile: str


def _cte_prefix(sql: str, last_cte: str) -> str:
    """The query's ``with`` clause up to and including CTE ``last_cte`` (for reuse)."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    match = re.search(rf"\n{last_cte}\s+as\s*\(", body)
    if match is None:
        raise RuntimeError(f"{TABLE_5_1_SQL.name} has no CTE {last_cte!r}: update warehouse/commands/analysis.py")
    nxt = re.search(r"\)\s*,\s*\n\s*[a-z_]+\s+as\s*\(", body[match.end():])
    if nxt is None:
        raise RuntimeError(f"cannot find the CTE after {last_cte!r} in {TABLE_5_1_SQL.name}")
    return body[: match.end() + nxt.start() + 1]


def life_events_table(con: Any, profile: str | Profile = "cbs", sql_path: Path = TABLE_5_1_SQL) -> LifeEventsTable:
    """Run Table 5.1's query on ``con`` (UDFs registered) and return the protected table.

    95% Wald confidence intervals are exp(log OR -+ z_0.975 se), se of the log-odds as
    returned by the query (the conditional logit's inverse observed information).
    """
    from warehouse.gate import release

    prof = get_profile(profile)
    sql = sql_path.read_text()
    fits = release(con, sql, prof).frame  # through the output gate, like every output
    panel = release(
        con,
        _cte_prefix(sql, "grouped") + "\nselect grp, count(distinct person_id) as n_persons from grouped group by grp",
        prof,
    ).frame
    if fits.empty:
        raise DisclosureError("Table 5.1: no group has two or more persons with variation in offending")
    frame = fits.merge(panel, on="grp", how="left")
    frame["n_dropped"] = frame["n_persons"] - frame["n_den"]
    z = stats.norm.ppf(0.975)
    log_or = frame["odds_ratio"].map(lambda v: math.log(v) if v > 0 else -math.inf)
    frame["ci_low"] = [math.exp(b - z * s) if math.isfinite(b - z * s) else 0.0 for b, s in zip(log_or, frame["se"])]
    frame["ci_high"] = [
        math.exp(b + z * s) if b + z * s < 709.0 else math.inf for b, s in zip(log_or, frame["se"])
    ]
    frame["stars"] = [significance_stars(p) for p in frame["p_value"]]
    for column in ("n_den", "n_dropped", "n_months"):  # nullable: the gate may have suppressed a count
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    keep = ["grp", "term", "term_order", "odds_ratio", "ci_low", "ci_high", "p_value", "stars", "converged",
            "n_den", "n_dropped", "n_months"]
    frame = frame[keep]
    # every statistic is based on the group's contributing persons (n_den)
    table = protect(frame, ["n_den", "n_dropped", "n_months"], profile=prof, denominator="n_den",
                    statistic_columns=["odds_ratio", "ci_low", "ci_high", "p_value"], basis="n_den")
    table.loc[table["odds_ratio"].isna(), "stars"] = ""
    assert_safe(table, prof, name="life-events")
    order = {g: i for i, g in enumerate(GROUP_ORDER)}
    table = table.sort_values(["grp", "term_order"], key=lambda s: s.map(order) if s.name == "grp" else s)
    return LifeEventsTable(table.reset_index(drop=True), prof.name)


def _wide(result: LifeEventsTable) -> pd.DataFrame:
    """The published layout: terms as rows, groups as columns, 'OR***' cells, n rows below."""
    t = result.table
    groups = [g for g in GROUP_ORDER if g in set(t["grp"])] + sorted(set(t["grp"]) - set(GROUP_ORDER))
    rows: dict[str, dict[str, str]] = {}
    for rec in t.itertuples(index=False):
        label = TERM_LABELS.get(rec.term, rec.term)
        cell = "–" if pd.isna(rec.odds_ratio) else f"{rec.odds_ratio:.2f}{rec.stars}"
        rows.setdefault(label, {})[rec.grp] = cell
    first = t.drop_duplicates("grp").set_index("grp")
    for name, col in (("n persons", "n_den"), ("n dropped (no variation)", "n_dropped")):
        rows[name] = {g: "–" if pd.isna(first.loc[g, col]) else f"{int(first.loc[g, col])}" for g in groups}
    return pd.DataFrame.from_dict(rows, orient="index")[groups]


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return _json_value(value.item())
    return value


@app.command("life-events")
def life_events(
    db: Annotated[Path | None, typer.Option("--db", help="Warehouse database file (default: $WAREHOUSE_DB).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the long table as JSON records.")] = False,
    profile: Annotated[str, typer.Option(help="Disclosure-control profile (cbs or study).")] = "cbs",
) -> None:
    """Table 5.1: fixed-effects logit odds ratios of offending in a month, per group (SPEC §5.4)."""
    from warehouse.db import connect

    path = resolve_db(db)
    try:
        con = connect(path, read_only=True)
    except FileNotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    try:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name = 'fct_person_month'"
        ).fetchone()[0]
        if not exists:
            typer.echo("error: marts.fct_person_month does not exist: run `warehouse build` first", err=True)
            raise typer.Exit(code=2)
        result = life_events_table(con, profile)
    except DisclosureError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    finally:
        con.close()
    if json_out:
        records = [{k: _json_value(v) for k, v in rec.items()} for rec in result.table.to_dict("records")]
        typer.echo(json.dumps({"table": "5.1", "profile": result.profile, "rows": records}, indent=2))
        return
    typer.echo("Table 5.1 Fixed-effects logit: odds ratios of offending in a month")
    typer.echo(_wide(result).to_string())
    typer.echo("* p<0.05; ** p<0.01; *** p<0.001. Counts rounded to multiples of 5 "
               f"(disclosure profile {result.profile}).")
