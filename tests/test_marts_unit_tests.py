"""The marts' dbt unit tests (hand-built rows with hand-derived answers, SPEC §2-3) pass.

dbt unit tests take the column types of their inputs from the database, so they run against the
tiny warehouse built by ``tests/conftest.py``. The test also checks that the selector picks up every
unit test declared under ``models/marts`` (a selector matching nothing would otherwise pass).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from warehouse.config import DBT_PROJECT_DIR
from warehouse.dbt_driver import run_dbt

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
SELECTOR = "test_type:unit,path:models/marts"


def declared_unit_tests() -> dict[str, str]:
    """Name -> model of every unit test declared in a YAML file under models/marts."""
    declared: dict[str, str] = {}
    for path in sorted(MARTS_DIR.rglob("*.yml")):
        document = yaml.safe_load(path.read_text()) or {}
        for unit_test in document.get("unit_tests", []) or []:
            declared[unit_test["name"]] = unit_test["model"]
    return declared


def test_every_mart_with_measures_has_unit_tests() -> None:
    models = set(declared_unit_tests().values())
    expected = {
        "dim_study_cohort", "dim_study_population", "dim_control_persons", "fct_control_match_quality",
        "dim_person_kin_counts",
        "fct_offending_by_age", "fct_offender_careers", "fct_recidivism_windows", "fct_recidivism_survival",
        "fct_criminal_network", "fct_person_background", "fct_life_events", "fct_person_month",
        "fct_trajectory_curves", "fct_trajectory_membership",
    }
    assert expected <= models, sorted(expected - models)


def test_marts_unit_tests_pass(tiny_warehouse: Path) -> None:
    declared = declared_unit_tests()
    outcome = run_dbt(tiny_warehouse, ["test", "--select", SELECTOR])
    assert outcome.success, outcome.failures
    assert outcome.failures == ()
    assert outcome.n_nodes == len(declared), (outcome.n_nodes, sorted(declared))
