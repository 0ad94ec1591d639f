"""dbt build on the tiny hand-built delivery: kinship answers known by construction."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_siblings_full_and_half(tiny_warehouse: Path) -> None:
    rows = _query(
        tiny_warehouse,
        "select sibling_id, sibling_type from intermediate.int_siblings where person_id = 'R000000021' order by sibling_id",
    )
    assert rows == [
        ("R000000022", "full_sibling"),
        ("R000000023", "half_sibling_paternal"),
        ("R000000024", "half_sibling_maternal"),
    ]


def test_kin_count_mart(tiny_warehouse: Path) -> None:
    rows = dict(
        (row[0], row[1:])
        for row in _query(
            tiny_warehouse,
            "select person_id, has_known_mother, has_known_father, n_full_siblings, n_half_siblings, n_legal_children "
            "from marts.dim_person_kin_counts",
        )
    )
    assert rows["R000000021"] == (True, True, 1, 2, 0)
    assert rows["R000000024"] == (True, False, 0, 2, 0)  # masked father: maternal half-siblings only
    assert rows["R000000023"] == (True, True, 0, 2, 0)
    assert rows["R000000012"] == (False, False, 0, 0, 3)
    assert rows["R000000011"] == (False, False, 0, 0, 3)
    assert rows["R000000031"] == (False, False, 0, 0, 0)  # absent from KINDOUDERTAB


def test_staging_decodes_cbs_conventions(tiny_warehouse: Path) -> None:
    persons = dict(
        (row[0], row[1:])
        for row in _query(
            tiny_warehouse, "select person_id, birth_date, birth_date_precision, sex from staging.stg_cbs__persons"
        )
    )
    assert str(persons["R000000012"][0]) == "1968-11-15"  # unknown day -> 15th (D01)
    assert persons["R000000013"][1] == "year"
    spells = _query(
        tiny_warehouse,
        "select is_left_censored, is_running from staging.stg_cbs__household_spells "
        "where person_id = 'R000000031'",
    )
    assert spells == [(True, True)]


def test_udfs_available_in_dbt_connection(tiny_warehouse: Path) -> None:
    from warehouse.db import connect

    con = connect(tiny_warehouse, read_only=True)
    try:
        assert con.execute("select round5(n_legal_children + 0.0) from marts.dim_person_kin_counts where person_id = 'R000000011'").fetchone() == (5.0,)
    finally:
        con.close()
