"""Atomicity under SIGKILL: an ingest killed at a random moment leaves the warehouse either exactly
as it was before or with the delivery completely applied, never half-applied (10 seeded trials)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest

CLI = [sys.executable, "-c", "from warehouse.cli import app; app()"]


def _state(db: Path) -> tuple:
    con = duckdb.connect(str(db), read_only=True)
    try:
        deliveries = tuple(con.execute("select delivery_id, status from meta.deliveries order by seq").fetchall())
        tables = tuple(
            con.execute(
                "select table_name, estimated_size from duckdb_tables() where schema_name = 'raw' order by 1"
            ).fetchall()
        )
        counts = tuple(
            (name, con.execute(f"select count(*), count(distinct _file_id) from raw.{name}").fetchone())
            for name, _ in tables
        )
        return deliveries, counts
    finally:
        con.close()


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from warehouse.synth import SynthConfig, generate

    root = tmp_path_factory.mktemp("kill")
    generate(SynthConfig(persons=6000, cohort_size=20, seed=11, out=root / "first", truth=root / "truth_first"))
    generate(SynthConfig(persons=6000, cohort_size=20, seed=12, out=root / "second_full", truth=root / "truth_second"))
    second = root / "second"
    second.mkdir()
    for path in (root / "second_full").iterdir():  # a new version of every table
        shutil.copy(path, second / path.name.replace("V1.", "V2."))
    return root / "first", second


def test_sigkill_during_ingest_never_half_applies(deliveries: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = deliveries
    base = tmp_path / "base.duckdb"
    subprocess.run([*CLI, "ingest", str(first), "--db", str(base)], check=True, capture_output=True)
    before = _state(base)

    applied_db = tmp_path / "applied.duckdb"
    shutil.copy(base, applied_db)
    started = time.perf_counter()
    subprocess.run([*CLI, "ingest", str(second), "--db", str(applied_db)], check=True, capture_output=True)
    duration = time.perf_counter() - started
    after = _state(applied_db)
    assert before != after

    rng = np.random.default_rng(20261123)
    outcomes = []
    for trial in range(10):
        db = tmp_path / f"trial_{trial}.duckdb"
        shutil.copy(base, db)
        process = subprocess.Popen([*CLI, "ingest", str(second), "--db", str(db)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(0.2, duration * 1.05)))
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = _state(db)
        assert state in (before, after), f"trial {trial}: half-applied state"
        outcomes.append("before" if state == before else "after")
    # the trials must actually interrupt ingests, not only kill finished processes
    assert "before" in outcomes, outcomes
