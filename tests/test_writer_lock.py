"""One writer at a time: ``ingest``/``refresh``/``build``/``rollback`` hold ``<db>.lock``; a second writer is
refused with one line naming the holder (exit 1) or waits with ``--wait``; nothing is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from fixtures.tiny_delivery import KINDOUDER, KINDOUDER_COLUMNS, PERSON_COLUMNS, PERSONS, write_tiny_delivery
from warehouse.lock import WarehouseBusy, lock_path, read_holder, writer_lock

WAREHOUSE = str(Path(sys.executable).with_name("warehouse"))
ENV = {**os.environ, "COLUMNS": "250"}
ENV.pop("WAREHOUSE_DB", None)

HOLDER = """
import sys
from pathlib import Path
from warehouse.lock import writer_lock
with writer_lock(Path(sys.argv[1]), "test holder"):
    print("held", flush=True)
    sys.stdin.readline()
"""


def _hold(db: Path) -> subprocess.Popen:
    """A process holding the writer lock on ``db`` until a line is written to its stdin (or it is killed)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen) -> None:
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=10) == 0


def _warehouse(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([WAREHOUSE, *args], capture_output=True, text=True, env=ENV, timeout=timeout)


def _deliveries(db: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select delivery_id, status from meta.deliveries order by seq").fetchall()
    finally:
        con.close()


def test_second_writer_refused_with_one_line_naming_the_holder(tmp_path: Path) -> None:
    delivery = write_tiny_delivery(tmp_path / "delivery")
    db = tmp_path / "warehouse.duckdb"
    holder = _hold(db)
    try:
        started = time.perf_counter()
        refused = _warehouse("ingest", str(delivery), "--db", str(db))
        assert time.perf_counter() - started < 10  # --wait 0: stops at once
        assert refused.returncode == 1
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1, refused.stderr
        assert "is busy" in lines[0] and "`test holder`" in lines[0]
        assert f"pid {holder.pid}" in lines[0] and "started 2" in lines[0]
        assert not db.exists()  # nothing was written
        # the other writers are refused the same way; --wait gives up after its time
        for args in (["build"], ["refresh", str(delivery)], ["rollback", "--to", "x"]):
            db.touch()
            result = _warehouse(*args, "--db", str(db), "--wait", "0.5")
            assert result.returncode == 1, (args, result.stderr)
            waiting, error = result.stderr.strip().splitlines()  # a notice that it waits, then the one error line
            assert waiting.startswith("waiting up to 0.5 s for the writer lock held by `test holder`")
            assert error.startswith("error: ") and "busy after waiting 0.5 s" in error and f"pid {holder.pid}" in error
            db.unlink()
    finally:
        _release(holder)
    assert read_holder(db) is None  # released: the lock file names nobody
    applied = _warehouse("ingest", str(delivery), "--db", str(db))
    assert applied.returncode == 0, applied.stderr
    assert [status for _, status in _deliveries(db)] == ["applied"]


def test_wait_waits_then_succeeds_when_the_holder_releases(tmp_path: Path) -> None:
    delivery = write_tiny_delivery(tmp_path / "delivery")
    db = tmp_path / "warehouse.duckdb"
    holder = _hold(db)
    try:
        waiting = subprocess.Popen(
            [WAREHOUSE, "ingest", str(delivery), "--db", str(db), "--wait", "60"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
        )
        time.sleep(2.5)
        assert waiting.poll() is None  # still waiting for the lock
        assert not db.exists()
    finally:
        _release(holder)
    stdout, stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, stderr
    assert "waiting up to 60 s for the writer lock held by `test holder`" in stderr
    assert [status for _, status in _deliveries(db)] == ["applied"]


def test_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    delivery = write_tiny_delivery(tmp_path / "delivery")
    db = tmp_path / "warehouse.duckdb"
    holder = _hold(db)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert read_holder(db).pid == holder.pid  # the file still names the dead holder ...
    result = _warehouse("ingest", str(delivery), "--db", str(db))  # ... but the kernel released the lock
    assert result.returncode == 0, result.stderr
    with writer_lock(db, "after the kill"):
        assert read_holder(db).command == "after the kill"


def test_lock_is_reentrant_in_one_thread_and_exclusive_across_processes(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    with writer_lock(db, "outer"):
        with writer_lock(db, "inner"):  # e.g. rollback then build: no deadlock
            pass
        assert read_holder(db).command == "outer"  # the inner exit did not release
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; from pathlib import Path; from warehouse.lock import writer_lock\n"
             "with writer_lock(Path(sys.argv[1]), 'probe'): pass", str(db)],
            capture_output=True, text=True,
        )
        assert probe.returncode != 0 and "WarehouseBusy" in probe.stderr and f"pid {os.getpid()}" in probe.stderr
    holder = _hold(db)
    try:
        with pytest.raises(WarehouseBusy, match=f"pid {holder.pid}"):
            with writer_lock(db, "second", wait=0.3):
                pass
    finally:
        _release(holder)
    assert lock_path(db).exists() and read_holder(db) is None


def test_ingest_during_refresh_is_not_lost(tiny_warehouse: Path, tmp_path: Path) -> None:
    """The case of the issue: a refresh swaps in a rebuilt copy; an ingest meanwhile must not vanish."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse, db)
    first = _deliveries(db)
    # two new deliveries, each a new version of one table (CBS re-delivers whole table versions)
    refreshed = write_tiny_delivery(
        tmp_path / "refreshed", {"GBAPERSOON2022TABV2.csv": (PERSON_COLUMNS, PERSONS[:-1])}
    )
    ingested = write_tiny_delivery(
        tmp_path / "ingested", {"KINDOUDER2022TABV2.csv": (KINDOUDER_COLUMNS, KINDOUDER[:-1])}
    )
    refresh = subprocess.Popen(
        [WAREHOUSE, "refresh", str(refreshed), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )
    deadline = time.monotonic() + 30
    while (holder := read_holder(db)) is None or holder.pid != refresh.pid:
        assert refresh.poll() is None, refresh.communicate()
        assert time.monotonic() < deadline, "refresh never took the lock"
        time.sleep(0.02)
    # without waiting: refused, naming the refresh
    refused = _warehouse("ingest", str(ingested), "--db", str(db))
    assert refused.returncode == 1
    assert "`warehouse refresh" in refused.stderr and f"pid {refresh.pid}" in refused.stderr
    assert refresh.poll() is None  # the refresh was still running when the ingest was refused
    # with --wait: applied after the refresh has swapped its copy in
    waited = _warehouse("ingest", str(ingested), "--db", str(db), "--wait", "120", timeout=180)
    assert waited.returncode == 0, waited.stderr
    _, refresh_err = refresh.communicate(timeout=120)
    assert refresh.returncode == 0, refresh_err
    history = _deliveries(db)
    assert len(history) == len(first) + 2 and history[: len(first)] == first
    assert all(status == "applied" for _, status in history)
    listed = _warehouse("deliveries", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    for delivery_id, _ in history:  # both new deliveries are in the warehouse: nothing lost
        assert delivery_id in listed.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        current = dict(con.execute("select table_name, file_name from meta.current_files").fetchall())
    finally:
        con.close()
    assert current["gbapersoontab"] == "GBAPERSOON2022TABV2.csv"  # refreshed
    assert current["kindoudertab"] == "KINDOUDER2022TABV2.csv"  # ingested during the refresh
