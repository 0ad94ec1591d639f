"""dbt unit tests of the linkage layer (staging and intermediate), run explicitly on the tiny warehouse.

``warehouse build`` leaves dbt unit tests out (``--exclude-resource-type unit_test``, see
warehouse.dbt_driver): they check SQL logic on hand-made rows, not the delivery. This module runs
every unit test defined under models/staging and models/intermediate and fails when one of them fails
or did not run. The unit tests (YAML files ``_unit_tests.yml``) cover the fiddly linkage cases of
issue #5: re-partnering, a child in two households in one month, masked parents, spells cut at
October 1994, a person who emigrates and returns, half-siblings, SECM categories.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from warehouse.config import DBT_PROJECT_DIR
from warehouse.dbt_driver import EXCLUDE_UNIT_TESTS, build_args, run_unit_tests

LINKAGE_PATHS = ("models/staging", "models/intermediate")

# the cases issue #5 asks for, by unit-test name
REQUIRED_CASES = {
    "int_partner_episodes__repartnering_and_back_to_the_ex",
    "int_household_episodes__child_in_two_households_in_one_month",
    "int_resident_children__child_in_two_households_in_one_month",
    "stg_cbs__child_parents__masked_parents_are_null",
    "int_parent_child_links__masked_parents_give_no_link",
    "int_siblings__full_and_half_siblings_symmetric_none_via_masked_parent",
    "stg_cbs__household_spells__october_1994_cut_and_running_spells",
    "int_persons__emigration_and_return",
}


def defined_unit_tests(paths: tuple[str, ...] = LINKAGE_PATHS) -> set[str]:
    """Names of the dbt unit tests defined in the YAML files under the project folders ``paths``."""
    names: set[str] = set()
    for path in paths:
        for file in sorted((DBT_PROJECT_DIR / path).rglob("*.yml")):
            document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            names |= {test["name"] for test in document.get("unit_tests", [])}
    return names


def test_the_issue_cases_are_defined() -> None:
    assert REQUIRED_CASES <= defined_unit_tests()


def test_linkage_unit_tests_pass(tiny_warehouse: Path) -> None:
    defined = defined_unit_tests()
    outcome = run_unit_tests(tiny_warehouse, LINKAGE_PATHS)
    assert outcome.success, "\n".join(outcome.failures)
    # every defined unit test ran, and nothing else (no data tests, no marts unit tests)
    assert set(outcome.nodes) == defined
    assert outcome.n_nodes == len(defined)


def test_production_build_excludes_unit_tests() -> None:
    assert build_args() == ["build", *EXCLUDE_UNIT_TESTS]
    assert build_args("path:models/intermediate") == ["build", "--select", "path:models/intermediate", *EXCLUDE_UNIT_TESTS]
    assert build_args(unit_tests=True) == ["build"]


def test_run_unit_tests_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        run_unit_tests(tmp_path / "warehouse.duckdb", ())
