"""Benchmark stages, each run in its own process by :func:`warehouse.bench.measure.run_stage`.

``python -m warehouse.bench.worker STAGE PARAMS.json RESULT.json``: runs one stage, times its work
and writes ``{"ok", "seconds", "rows", "detail"}`` (aggregates only, never person-level rows).
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The dbt selection of each build layer (the panel mart is its own stage).
LAYER_SELECTIONS: dict[str, list[str]] = {
    "dbt_staging": ["--select", "resource_type:seed", "staging"],
    "dbt_intermediate": ["--select", "intermediate"],
    "dbt_marts": ["--select", "marts", "--exclude", "fct_person_month"],
    "panel": ["--select", "fct_person_month"],
}

StageResult = tuple[int | None, dict[str, Any]]


def _count(db: Path, where: str) -> tuple[int, dict[str, int]]:
    """Row counts of the warehouse relations matching ``where`` (on schema_name, table_name)."""
    from warehouse.db import connect

    con = connect(db, read_only=True)
    try:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = current_database() and "
            + where
            + " union all select schema_name, view_name from duckdb_views() where not internal and "
            "database_name = current_database() and " + where.replace("table_name", "view_name")
        ).fetchall()
        counts = {f"{s}.{t}": int(con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]) for s, t in names}
    finally:
        con.close()
    return sum(counts.values()), counts


def _dbt(db: Path, args: list[str], target: Path) -> dict[str, Any]:
    """Run dbt with its artifacts in ``target``; return per-node timings from run_results.json."""
    from warehouse.dbt_driver import run_dbt

    outcome = run_dbt(db, [*args, "--target-path", str(target)])
    if not outcome.success:
        raise RuntimeError("dbt failed: " + "; ".join(outcome.failures)[:2000])
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = {r["unique_id"]: round(float(r["execution_time"]), 3) for r in results}
    return {"n_nodes": outcome.n_nodes, "node_seconds": nodes}


def stage_generate(p: dict[str, Any]) -> StageResult:
    from warehouse.synth import SynthConfig, generate

    cfg = SynthConfig(
        persons=int(p["persons"]), seed=int(p["seed"]), out=Path(p["delivery"]), truth=Path(p["truth"]),
        cohort_size=int(p["cohort_size"]),
    )
    res = generate(cfg)
    detail = {"files": len(res.files), "persons_registered": res.persons_registered, "chunks": res.chunks,
              "generator_peak_rss_mb": res.peak_rss_mb}
    return int(sum(res.files.values())), detail


def stage_ingest(p: dict[str, Any]) -> StageResult:
    from warehouse.db import connect
    from warehouse.ingest import ingest

    con = connect(Path(p["db"]))
    try:
        res = ingest(con, Path(p["delivery"]))
    finally:
        con.close()
    return int(sum(res.tables.values())), {"tables": len(res.tables)}


def _layer(stage: str) -> Callable[[dict[str, Any]], StageResult]:
    def run(p: dict[str, Any]) -> StageResult:
        db = Path(p["db"])
        timings = _dbt(db, ["build", *LAYER_SELECTIONS[stage]], Path(p["target"]))
        slowest = sorted(timings["node_seconds"].items(), key=lambda item: -item[1])[:8]
        detail: dict[str, Any] = {"n_nodes": timings["n_nodes"], "slowest_nodes": dict(slowest)}
        return None, detail

    return run


def _layer_rows(stage: str, db: Path) -> tuple[int, dict[str, int]]:
    if stage == "dbt_staging":  # rows the staging views read and expose: the current raw rows
        return _count(db, "schema_name = 'source_current'")
    if stage == "dbt_intermediate":
        return _count(db, "schema_name = 'intermediate'")
    if stage == "dbt_marts":
        return _count(db, "schema_name = 'marts' and table_name <> 'fct_person_month'")
    return _count(db, "schema_name = 'marts' and table_name = 'fct_person_month'")


def stage_gbtm(p: dict[str, Any]) -> StageResult:
    import numpy as np

    from python_udfs.gbtm import fit_gbtm, make_data
    from warehouse.db import connect

    con = connect(Path(p["db"]), read_only=True)
    try:
        by_age = con.execute("select person_id, age, n_cases from marts.fct_offending_by_age").df()
    finally:
        con.close()
    wide = by_age.pivot(index="person_id", columns="age", values="n_cases").sort_index()
    counts = wide.to_numpy(dtype=float)
    groups = max(1, min(int(p["groups"]), counts.shape[0] // 10))
    result = fit_gbtm(make_data(np.asarray(wide.columns, dtype=float), counts), groups=groups, degree=3,
                      model="zip", starts=int(p["starts"]), seed=int(p["seed"]))
    detail = {"groups": groups, "persons": int(counts.shape[0]), "starts": int(result.n_starts),
              "loglik": float(result.loglik), "converged": bool(getattr(result, "converged", True))}
    return int(np.isfinite(counts).sum()), detail


FE_COVARIATES = ["age", "secm_category", "has_partner", "has_bio_child", "has_resident_nonbio_child"]


def stage_felogit(p: dict[str, Any]) -> StageResult:
    from python_udfs.clogit import clogit_from_frame
    from warehouse.db import connect

    con = connect(Path(p["db"]), read_only=True)
    try:
        panel = con.execute(
            """
            select person_id, cast(offended as integer) as offended, age, secm_category,
                   cast(has_partner as double) as has_partner, cast(has_bio_child as double) as has_bio_child,
                   cast(has_resident_nonbio_child as double) as has_resident_nonbio_child
            from marts.fct_person_month
            where is_adult and secm_category is not null and is_household_known
            """
        ).df()
    finally:
        con.close()
    result = clogit_from_frame(panel, outcome="offended", covariates=FE_COVARIATES, subject_id="person_id",
                               categorical={"secm_category": "WORK"})
    detail = {"n_obs": int(result.n_obs), "persons": int(result.n_groups),
              "persons_dropped": int(result.n_groups_dropped), "loglik": float(result.loglik)}
    return int(len(panel)), detail


def stage_report(p: dict[str, Any]) -> StageResult:
    from warehouse.db import connect
    from warehouse.report import run_report

    con = connect(Path(p["db"]))
    try:
        res = run_report(con, Path(p["out"]), "cbs")
    finally:
        con.close()
    rows = sum(len(fig.table) for fig in res.figures)
    return int(rows), {"figures": len(res.figures), "files": len(res.files)}


def stage_baseline_export(p: dict[str, Any]) -> StageResult:
    from warehouse.bench.baseline import BASELINE_INPUTS
    from warehouse.db import connect

    folder = Path(p["inputs"])
    folder.mkdir(parents=True, exist_ok=True)
    tables = sorted({name for names in BASELINE_INPUTS.values() for name in names})
    con = connect(Path(p["db"]), read_only=True)
    rows: dict[str, int] = {}
    try:
        for qualified in tables:
            name = qualified.split(".")[1]
            con.execute(f"copy (select * from {qualified}) to '{folder / name}.parquet' (format parquet)")
            rows[qualified] = int(con.execute(f"select count(*) from {qualified}").fetchone()[0])
    finally:
        con.close()
    return sum(rows.values()), {"tables": rows}


def stage_linkage_ours(p: dict[str, Any]) -> StageResult:
    from warehouse.bench.baseline import OUR_MODELS

    models = [model for names in OUR_MODELS.values() for model in names]
    started = time.perf_counter()
    # one model at a time: concurrent models would share the 2 cores and inflate each other's node times
    timings = _dbt(Path(p["db"]), ["run", "--threads", "1", "--select", *models], Path(p["target"]))
    invocation = time.perf_counter() - started
    node_seconds = {uid.rsplit(".", 1)[1]: s for uid, s in timings["node_seconds"].items()}
    outputs = {output: round(sum(node_seconds[m] for m in names), 3) for output, names in OUR_MODELS.items()}
    total, counts = _count(Path(p["db"]), "table_name in ('int_siblings', 'int_partner_episodes', 'fct_person_month')")
    return total, {"output_seconds": outputs, "node_seconds": node_seconds, "dbt_invocation_seconds": invocation,
                   "rows": {k.split(".")[1]: v for k, v in counts.items()}}


def stage_linkage_pandas(p: dict[str, Any]) -> StageResult:
    from warehouse.bench.baseline import BASELINES, BaselineInputs

    inputs = BaselineInputs(Path(p["inputs"]))
    out = Path(p["outputs"])
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    rows: dict[str, int] = {}
    for output, function in BASELINES.items():
        started = time.perf_counter()
        frame = function(inputs)
        seconds[output] = round(time.perf_counter() - started, 3)
        rows[output] = len(frame)
        frame.to_parquet(out / f"{output}.parquet", index=False)
        del frame
    return sum(rows.values()), {"output_seconds": seconds, "rows": rows}


def stage_compare(p: dict[str, Any]) -> StageResult:
    import pandas as pd

    from warehouse.bench.baseline import BASELINES
    from warehouse.bench.compare import compare_frames
    from warehouse.db import connect

    schemas = {"int_siblings": "intermediate", "int_partner_episodes": "intermediate", "fct_person_month": "marts"}
    con = connect(Path(p["db"]), read_only=True)
    results: dict[str, Any] = {}
    try:
        for output in BASELINES:
            ours = con.execute(f"select * from {schemas[output]}.{output}").df()
            theirs = pd.read_parquet(Path(p["outputs"]) / f"{output}.parquet")
            results[output] = compare_frames(ours, theirs).to_json_dict()
    finally:
        con.close()
    return sum(r["rows_ours"] for r in results.values()), {"outputs": results}


STAGES: dict[str, Callable[[dict[str, Any]], StageResult]] = {
    "generate": stage_generate,
    "ingest": stage_ingest,
    **{name: _layer(name) for name in LAYER_SELECTIONS},
    "gbtm": stage_gbtm,
    "felogit": stage_felogit,
    "report": stage_report,
    "baseline_export": stage_baseline_export,
    "linkage_ours": stage_linkage_ours,
    "linkage_pandas": stage_linkage_pandas,
    "compare": stage_compare,
}


def main(argv: list[str]) -> int:
    """Run one stage; the result JSON is written even when the stage fails."""
    stage, params_path, out_path = argv
    params = json.loads(Path(params_path).read_text())
    record: dict[str, Any] = {"ok": False, "seconds": None, "rows": None, "detail": {}}
    try:
        started = time.perf_counter()
        rows, detail = STAGES[stage](params)
        record["seconds"] = round(time.perf_counter() - started, 3)
        if stage in LAYER_SELECTIONS:
            rows, counts = _layer_rows(stage, Path(params["db"]))
            detail["relations"] = len(counts)
        record.update(ok=True, rows=rows, detail=detail)
    except Exception as error:  # noqa: BLE001 - reported in the JSON, the run goes on
        traceback.print_exc()
        record["error"] = f"{type(error).__name__}: {error}"[:2000]
    Path(out_path).write_text(json.dumps(record, default=str))
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
