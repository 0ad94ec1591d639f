"""Shared fixtures: a tiny hand-built delivery and a warehouse built from it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from fixtures.tiny_delivery import write_tiny_delivery  # noqa: E402


@pytest.fixture()
def tiny_delivery(tmp_path: Path) -> Path:
    return write_tiny_delivery(tmp_path / "delivery")


@pytest.fixture()
def loaded(tmp_path: Path) -> Path:
    """A warehouse database holding the tiny delivery (ingested only, not built)."""
    from warehouse.db import connect
    from warehouse.ingest import ingest

    db = tmp_path / "wh.duckdb"
    con = connect(db)
    ingest(con, write_tiny_delivery(tmp_path / "first"))
    con.close()
    return db


@pytest.fixture(scope="module")
def tiny_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny delivery ingested and built with dbt (module-scoped: built once per module)."""
    from fixtures.warehouses import build_tiny

    return build_tiny(tmp_path_factory.mktemp("tiny_warehouse"))


@pytest.fixture(scope="session")
def generated_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated delivery (4,000 persons, cohort 60) ingested and fully built with dbt (tests included).

    Returns the folder holding ``delivery/``, ``truth/`` and ``warehouse.duckdb``; built once per session.
    """
    from warehouse.db import connect
    from warehouse.dbt_driver import build_args, run_dbt
    from warehouse.ingest import ingest
    from warehouse.synth import SynthConfig, generate

    root = tmp_path_factory.mktemp("generated_wh")
    generate(SynthConfig(persons=4000, cohort_size=60, seed=3, out=root / "delivery", truth=root / "truth"))
    db = root / "warehouse.duckdb"
    con = connect(db)
    ingest(con, root / "delivery")
    con.close()
    outcome = run_dbt(db, build_args())
    assert outcome.success, outcome.failures
    return root
