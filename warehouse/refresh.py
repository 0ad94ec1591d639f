"""Refresh: apply a new delivery and rebuild only what depends on the tables it brought.

The whole refresh runs on a copy of the database file that replaces the original with one
atomic ``os.replace`` at the very end, so a crash or ``kill -9`` at any moment (during the
copy, the ingest, or the dbt build) leaves the warehouse exactly as it was before. The whole
copy-rebuild-swap holds the warehouse's writer lock (:mod:`warehouse.lock`), so no other writer
(an ingest, a build, a rollback) can change the database meanwhile and be lost by the swap.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.dbt_driver import build_args, run_dbt
from warehouse.ingest import ingest
from warehouse.layouts import LAYOUTS
from warehouse.lock import writer_lock

#: dbt source name of each raw table (see dbt_project/models/staging/*/_*__sources.yml)
SOURCE_OF_TABLE = {
    name: ("justice" if name in {"instroomomtab", "instroomomfeittab", "objdtab", "gedetineerdentab", "mensenhandeltab"} else "cbs")
    for name in LAYOUTS
}


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What a refresh did."""

    delivery_id: str
    applied: bool
    tables: tuple[str, ...]
    selection: str
    n_nodes: int
    ingest_seconds: float
    build_seconds: float
    seconds: float


class RefreshFailed(RuntimeError):
    """The rebuild after ingest failed; the warehouse was left unchanged."""


def selection_for(tables: list[str]) -> str:
    """dbt selection of everything downstream of the given raw tables (``source:x.t+``)."""
    return " ".join(f"source:{SOURCE_OF_TABLE[table]}.{table}+" for table in sorted(tables))


def _checkpoint(db: Path) -> None:
    from warehouse.config import NO_EXTENSION_AUTOLOAD

    con = duckdb.connect(str(db), config=dict(NO_EXTENSION_AUTOLOAD))
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def refresh(
    db: Path, delivery: Path, *, progress=None, wait: float = 0, command: str | None = None, on_wait=None,
    ingest_options: dict | None = None,
) -> RefreshResult:
    """Ingest ``delivery`` and rebuild the models downstream of its tables, all or nothing.

    Holds the writer lock on ``db`` throughout (waiting up to ``wait`` seconds for another writer,
    else :class:`warehouse.lock.WarehouseBusy`); ``command`` names this run in the lock file and
    ``on_wait(holder)`` is called once if it has to wait. ``ingest_options`` go to
    :func:`warehouse.ingest.ingest` (``allow_older``, ``strict``, ``strict_codes``, ``layouts``).
    """
    if not db.exists():
        raise FileNotFoundError(f"{db} does not exist: ingest and build a first delivery before refreshing")
    with writer_lock(db, command or f"refresh {delivery}", wait, on_wait=on_wait):
        return _refresh_locked(db, delivery, progress=progress, ingest_options=ingest_options)


def _refresh_locked(db: Path, delivery: Path, *, progress=None, ingest_options: dict | None = None) -> RefreshResult:
    from warehouse.db import connect

    started = time.perf_counter()
    if not db.exists():
        raise FileNotFoundError(f"{db} does not exist: ingest and build a first delivery before refreshing")
    _checkpoint(db)
    work = db.with_name(db.name + ".refresh")
    for leftover in (work, work.with_name(work.name + ".wal")):
        leftover.unlink(missing_ok=True)
    shutil.copy2(db, work)
    try:
        con = connect(work)
        try:
            result = ingest(con, delivery, progress=progress, **(ingest_options or {}))
        finally:
            con.close()
        ingest_seconds = time.perf_counter() - started
        if not result.applied:
            return RefreshResult(result.delivery_id, False, (), "", 0, ingest_seconds, 0.0, time.perf_counter() - started)
        tables = sorted(result.tables)
        selection = selection_for(tables)
        build_started = time.perf_counter()
        outcome = run_dbt(work, build_args(selection))
        if not outcome.success:
            raise RefreshFailed("dbt build failed during refresh; warehouse unchanged:\n" + "\n".join(outcome.failures))
        build_seconds = time.perf_counter() - build_started
        _checkpoint(work)
        os.replace(work, db)
        return RefreshResult(
            result.delivery_id, True, tuple(tables), selection, outcome.n_nodes, ingest_seconds, build_seconds,
            time.perf_counter() - started,
        )
    finally:
        for leftover in (work, work.with_name(work.name + ".wal")):
            leftover.unlink(missing_ok=True)
