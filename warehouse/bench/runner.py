"""Orchestrate a benchmark run: per size, every stage in a fresh work dir, then the pandas baseline."""

from __future__ import annotations

import os
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from warehouse.bench.baseline import BASELINE_INPUTS, OUR_MODELS
from warehouse.bench.measure import StageMeasure, run_stage

SCHEMA = "warehouse-bench/1"

#: Stages in order; a failure in one of ``BLOCKING`` skips everything after it.
PIPELINE = ("generate", "ingest", "dbt_staging", "dbt_intermediate", "dbt_marts", "panel", "gbtm", "felogit",
            "baseline_export", "linkage_ours", "linkage_pandas", "compare", "report")
#: Stages skipped when an already built warehouse is benched (``--warehouse``).
BUILD_STAGES = frozenset({"generate", "ingest", "dbt_staging", "dbt_intermediate", "dbt_marts", "panel"})
BLOCKING = frozenset({"generate", "ingest", "dbt_staging", "dbt_intermediate", "dbt_marts", "panel",
                      "baseline_export", "linkage_ours", "linkage_pandas"})

BASELINE_NOTE = (
    "pandas reads the typed tables our models read, exported to Parquet before timing (reading them is "
    "timed): staging tables for siblings and partner episodes, the intermediate spell tables and the "
    "study population for the panel. Our time is dbt's execution time of the models that compute the "
    "same output from the same tables, run one at a time (--threads 1), each writing a persistent, "
    "compressed table; pandas keeps its result in memory."
)


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to run: sizes, where, and the knobs passed to the stages."""

    persons: tuple[int, ...]
    workdir: Path
    keep: bool = False
    delivery: Path | None = None
    warehouse: Path | None = None
    seed: int = 20240228
    cohort_size: int = 630
    gbtm_groups: int = 4
    gbtm_starts: int = 20
    memory_limit: str | None = None
    threads: int | None = None


def _machine() -> dict[str, Any]:
    import duckdb
    import pandas

    memory_gb = None
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
        "load_average_at_start": list(os.getloadavg()),
    }


def _env(config: BenchConfig) -> dict[str, str]:
    env = {}
    if config.memory_limit:
        env["WAREHOUSE_MEMORY_LIMIT"] = config.memory_limit
    if config.threads:
        env["WAREHOUSE_THREADS"] = str(config.threads)
    return env


def _params(stage: str, config: BenchConfig, persons: int, run_dir: Path, delivery: Path) -> dict[str, Any]:
    # a copied warehouse keeps its file name: dbt's views name their catalog after the file stem
    db = run_dir / (config.warehouse.name if config.warehouse is not None else "warehouse.duckdb")
    # one dbt target folder per run: dbt re-uses its parse between the stages (partial parsing)
    common: dict[str, Any] = {"db": str(db), "target": str(run_dir / "dbt_target")}
    extra: dict[str, dict[str, Any]] = {
        "generate": {"persons": persons, "seed": config.seed, "cohort_size": config.cohort_size,
                     "delivery": str(delivery), "truth": str(run_dir / "truth")},
        "ingest": {"delivery": str(delivery)},
        "gbtm": {"groups": config.gbtm_groups, "starts": config.gbtm_starts, "seed": config.seed},
        "report": {"out": str(run_dir / "report")},
        "baseline_export": {"inputs": str(run_dir / "baseline" / "inputs")},
        "linkage_pandas": {"inputs": str(run_dir / "baseline" / "inputs"),
                           "outputs": str(run_dir / "baseline" / "outputs")},
        "compare": {"outputs": str(run_dir / "baseline" / "outputs")},
    }
    return {**common, **extra.get(stage, {})}


def _linkage_summary(stages: dict[str, StageMeasure]) -> dict[str, Any]:
    ours, pandas_, compare = stages.get("linkage_ours"), stages.get("linkage_pandas"), stages.get("compare")
    summary: dict[str, Any] = {
        "baseline_inputs": {name: list(tables) for name, tables in BASELINE_INPUTS.items()},
        "our_models": {name: list(models) for name, models in OUR_MODELS.items()},
        "note": BASELINE_NOTE,
        "outputs": {},
        "identical": False,
    }
    if not (ours and pandas_ and ours.ok and pandas_.ok):
        summary["error"] = "linkage stages did not complete"
        return summary
    checks = compare.detail.get("outputs", {}) if compare and compare.ok else {}
    total_ours = total_pandas = 0.0
    for name in OUR_MODELS:
        ours_s = float(ours.detail["output_seconds"][name])
        pandas_s = float(pandas_.detail["output_seconds"][name])
        total_ours += ours_s
        total_pandas += pandas_s
        check = checks.get(name, {})
        summary["outputs"][name] = {
            "ours_seconds": ours_s,
            "pandas_seconds": pandas_s,
            "ratio_ours_over_pandas": ours_s / pandas_s if pandas_s else None,
            "speedup_over_pandas": pandas_s / ours_s if ours_s else None,
            "rows_ours": ours.detail["rows"].get(name),
            "rows_pandas": pandas_.detail["rows"].get(name),
            "identical": bool(check.get("identical", False)),
            "check": check,
        }
    summary["total"] = {
        "ours_seconds": total_ours,
        "ours_dbt_invocation_seconds": ours.detail.get("dbt_invocation_seconds"),
        "pandas_seconds": total_pandas,
        "ratio_ours_over_pandas": total_ours / total_pandas if total_pandas else None,
        "speedup_over_pandas": total_pandas / total_ours if total_ours else None,
        "ours_peak_rss_mb": ours.peak_rss_mb,
        "pandas_peak_rss_mb": pandas_.peak_rss_mb,
    }
    summary["identical"] = bool(checks) and all(o["identical"] for o in summary["outputs"].values())
    return summary


def run_size(config: BenchConfig, persons: int, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every stage for one size in a fresh ``<workdir>/n<persons>`` and return its JSON record."""
    run_dir = (config.workdir / f"n{persons}").resolve()
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    if config.warehouse is not None:  # a copy: the bench re-runs models and writes the report into it
        shutil.copyfile(config.warehouse, run_dir / config.warehouse.name)
    delivery = config.delivery.resolve() if config.delivery else run_dir / "delivery"
    started = time.perf_counter()
    stages: dict[str, StageMeasure] = {}
    skipped: list[str] = []
    blocked = False
    for stage in PIPELINE:
        if (stage == "generate" and config.delivery is not None) or (
            stage in BUILD_STAGES and config.warehouse is not None
        ):
            skipped.append(stage)
            continue
        if blocked:
            skipped.append(stage)
            continue
        if progress:
            progress(f"{persons:,} persons: {stage}")
        measure = run_stage(stage, _params(stage, config, persons, run_dir, delivery), run_dir / "logs",
                            env=_env(config))
        stages[stage] = measure
        if not measure.ok and stage in BLOCKING:
            blocked = True
    linkage = _linkage_summary(stages)
    records = [m.to_json_dict() for m in stages.values()]
    for record in records:
        if record["stage"] == "linkage_ours" and linkage.get("total"):
            record["baseline_ratio"] = linkage["total"]["ratio_ours_over_pandas"]
    record: dict[str, Any] = {
        "persons": persons,
        "delivery": "generated" if config.delivery is None else str(delivery),
        "warehouse": None if config.warehouse is None else str(config.warehouse),
        "workdir": str(run_dir),
        "kept": config.keep,
        "seconds": time.perf_counter() - started,
        "stages": records,
        "skipped": skipped,
        "ok": all(m.ok for m in stages.values()) and not (set(skipped) - {"generate"} - (
            BUILD_STAGES if config.warehouse is not None else set())),
        "linkage": linkage,
    }
    if not config.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return record


def run_bench(config: BenchConfig, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the benchmark for every size in ``config.persons``; the JSON document of ``warehouse bench``."""
    from warehouse.config import duckdb_settings

    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    machine = _machine()
    os.environ.update(_env(config))
    runs = [run_size(config, n, progress) for n in config.persons]
    machine["load_average_at_end"] = list(os.getloadavg())
    return {
        "schema": SCHEMA,
        "started_at": started_at,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "settings": {
            "duckdb": duckdb_settings(),
            "seed": config.seed,
            "cohort_size": config.cohort_size,
            "gbtm_groups": config.gbtm_groups,
            "gbtm_starts": config.gbtm_starts,
        },
        "runs": runs,
        "ok": all(run["ok"] for run in runs),
        "identical": all(run["linkage"]["identical"] for run in runs),
    }

