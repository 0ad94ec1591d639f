"""`warehouse bench` runs end to end on a tiny generated population and emits valid JSON.

No timing assertions: benchmarks are measured, not tested (issue #11). What is tested is that every
stage ran, the JSON has the documented keys, and our linkage equals the pandas baseline row for row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from warehouse.bench.compare import compare_frames
from warehouse.cli import app

STAGE_KEYS = {"stage", "ok", "seconds", "process_seconds", "cpu_seconds", "peak_rss_mb", "rows", "rows_per_second",
              "detail", "error"}
pytestmark = pytest.mark.slow  # a full generate + ingest + build + report at 4,000 persons

OUTPUTS = {"int_siblings", "int_partner_episodes", "fct_person_month"}


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("bench")
    out = root / "bench.json"
    result = CliRunner().invoke(
        app,
        ["bench", "--persons", "4000", "--cohort-size", "60", "--gbtm-starts", "2", "--seed", "3",
         "--workdir", str(root / "work"), "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def test_json_has_the_documented_keys(bench_json: dict) -> None:
    assert bench_json["schema"] == "warehouse-bench/1"
    assert {"started_at", "finished_at", "machine", "settings", "runs", "ok", "identical"} <= set(bench_json)
    (run,) = bench_json["runs"]
    assert run["persons"] == 4000
    assert [s["stage"] for s in run["stages"]] == [
        "generate", "ingest", "dbt_staging", "dbt_intermediate", "dbt_marts", "panel", "gbtm", "felogit",
        "baseline_export", "linkage_ours", "linkage_pandas", "compare", "report",
    ]
    for stage in run["stages"]:
        assert set(stage) >= STAGE_KEYS
        assert stage["ok"], stage["error"]
        assert stage["peak_rss_mb"] > 0 and stage["rows"] > 0
    assert bench_json["ok"] and run["ok"]


def test_linkage_identical_to_pandas_baseline(bench_json: dict) -> None:
    linkage = bench_json["runs"][0]["linkage"]
    assert set(linkage["outputs"]) == OUTPUTS
    for name, output in linkage["outputs"].items():
        assert output["identical"], (name, output["check"])
        assert output["rows_ours"] == output["rows_pandas"] > 0, name
        assert output["ours_seconds"] > 0 and output["pandas_seconds"] > 0
    assert linkage["identical"] and bench_json["identical"]
    assert linkage["total"]["ratio_ours_over_pandas"] > 0


def test_work_dir_removed_without_keep(bench_json: dict) -> None:
    assert not Path(bench_json["runs"][0]["workdir"]).exists()


def test_comparison_detects_a_changed_cell_and_a_missing_row() -> None:
    ours = pd.DataFrame({"person_id": ["a", "b", "c"], "n": [1, 2, None], "day": pd.to_datetime(["2001-01-01"] * 3)})
    same = ours.iloc[[2, 0, 1]].reset_index(drop=True)
    assert compare_frames(ours, same).identical
    changed = ours.copy()
    changed.loc[1, "n"] = 3
    check = compare_frames(ours, changed)
    assert not check.identical and check.columns_differing == ("n",)
    assert (check.rows_only_ours, check.rows_only_theirs) == (1, 1)
    shorter = compare_frames(ours, ours.iloc[:2])
    assert not shorter.identical and shorter.rows_only_ours == 1
