"""Justice data as delivered: a case's offence category from the per-offence table or the case file.

The tiny delivery plus a few OM cases (INSTROOMOMTAB) is built twice: once with the per-offence
table (INSTROOMOMFEITTAB, a proposal layout) and once without it. Both builds succeed; without the
per-offence table every case is classified by the case file's own most serious offence code
(``offence_category_source = 'case file code'``). Where both sources exist they agree, except for the
documented difference (docs/justice-data.md): the case file names the most serious offence by statutory
maximum, the per-offence table gives the case type by the D05 precedence rule.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from fixtures.tiny_delivery import TABLES

CASE_COLUMNS = [
    "RINPERSOONS", "RINPERSOON", "OMZAAKNUMMER", "OMDATUMINSCHRIJVING", "OMSOORTVERDACHTE", "OMDATUMPLEGEN",
    "OMZWAARSTEFEITSCM", "OMZWAARSTEFEITARTIKEL", "OMAANTALFEITEN", "OMPARKET",
]
CASES = [
    # theft only: both sources say PROPERTY
    ["R", "000000012", "000000000C01", "20100301", "1", "20100215", "1.1.1", "SR 310", "1", "01"],
    # aggravated assault (8 y) + burglary (6 y): most serious = precedence = VIOLENCE
    ["R", "000000021", "000000000C02", "20100410", "1", "--------", "3.1.2", "SR 302", "2", "01"],
    # trafficking, old article (6 y) + aggravated assault (8 y): the case file names the assault (highest
    # maximum), the precedence rule makes the case TRAFFICKING -> the documented difference
    ["R", "000000022", "000000000C03", "20100505", "1", "20100501", "3.1.2", "SR 302", "2", "02"],
    # no offence rows even when the per-offence table is delivered: always the case file code
    ["R", "000000031", "000000000C04", "20100606", "1", "20100601", "6.1.1", "OW 2", "1", "02"],
    # no offence rows and no case file code: no category
    ["R", "000000011", "000000000C05", "20100707", "1", "--------", "", "", "1", "03"],
]
OFFENCE_COLUMNS = ["OMZAAKNUMMER", "OMFEITVOLGNR", "OMFEITSCM", "OMFEITARTIKEL", "OMFEITMAXSTRAFJAREN"]
OFFENCES = [
    ["000000000C01", "1", "1.1.1", "SR 310", "4"],
    ["000000000C02", "1", "3.1.2", "SR 302", "8"],
    ["000000000C02", "2", "1.1.3", "SR 311-1", "6"],
    ["000000000C03", "1", "3.6.2", "SR 250A", "6"],
    ["000000000C03", "2", "3.1.2", "SR 302", "8"],
]
CASE_FILE = "INSTROOMOM2010TABV1.csv"
OFFENCE_FILE = "INSTROOMOMFEIT2010TABV1.csv"

CASES_SQL = """
select case_id, case_type, categories, has_trafficking, severity_class, n_offences, offence_category_source
from intermediate.int_cases where case_source = 'om' order by case_id
"""


def _build(root: Path, with_offences: bool) -> Path:
    from fixtures.warehouses import build_tiny

    tables = {**TABLES, CASE_FILE: (CASE_COLUMNS, CASES)}
    if with_offences:
        tables[OFFENCE_FILE] = (OFFENCE_COLUMNS, OFFENCES)
    return build_tiny(root, tables)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, tuple]]:
    """int_cases (om) of the build with and without the per-offence table, by case id."""
    out = {}
    for label, with_offences in (("with", True), ("without", False)):
        db = _build(tmp_path_factory.mktemp(f"justice_{label}"), with_offences)
        con = duckdb.connect(str(db), read_only=True)
        try:
            out[label] = {row[0]: row[1:] for row in con.execute(CASES_SQL).fetchall()}
            if not with_offences:
                assert con.execute("select count(*) from source_current.instroomomfeittab").fetchone() == (0,)
                assert con.execute("select count(*) from staging.stg_justice__om_offences").fetchone() == (0,)
        finally:
            con.close()
    return out


def test_with_offence_table_prefers_it(builds) -> None:
    cases = builds["with"]
    assert set(cases) == {f"000000000C0{i}" for i in range(1, 6)}
    # (case_type, categories, has_trafficking, severity_class, n_offences, source)
    assert cases["000000000C01"] == ("PROPERTY", ["PROPERTY"], False, "MEDIUM", 1, "offences table")
    assert cases["000000000C02"][0] == "VIOLENCE"
    assert sorted(cases["000000000C02"][1]) == ["PROPERTY", "VIOLENCE"]
    assert cases["000000000C02"][3:] == ("HEAVY", 2, "offences table")
    assert cases["000000000C03"][0] == "TRAFFICKING"  # D05 precedence over the heavier assault
    assert cases["000000000C03"][2:] == (True, "HEAVY", 2, "offences table")
    # no row in the per-offence table for this case: the case file code decides
    assert cases["000000000C04"] == ("DRUGS", ["DRUGS"], False, "HEAVY", 1, "case file code")
    # neither source: the case is kept, without a category
    assert cases["000000000C05"] == (None, None, False, None, 0, None)  # n_offences counts classified offences


def test_without_offence_table_uses_case_file_code(builds) -> None:
    cases = builds["without"]
    assert set(cases) == set(builds["with"])
    sources = {case_id: row[-1] for case_id, row in cases.items()}
    assert sources == {
        "000000000C01": "case file code",
        "000000000C02": "case file code",
        "000000000C03": "case file code",
        "000000000C04": "case file code",
        "000000000C05": None,
    }
    assert cases["000000000C01"] == ("PROPERTY", ["PROPERTY"], False, "MEDIUM", 1, "case file code")
    # OMAANTALFEITEN gives the number of offences; only the most serious one is known
    assert cases["000000000C02"] == ("VIOLENCE", ["VIOLENCE"], False, "HEAVY", 2, "case file code")
    assert cases["000000000C04"] == builds["with"]["000000000C04"]


def test_sources_agree_where_both_exist(builds) -> None:
    """Case type and severity agree, except where precedence (D05) and statutory maximum disagree."""
    with_table, without = builds["with"], builds["without"]
    for case_id in ("000000000C01", "000000000C02"):
        assert with_table[case_id][0] == without[case_id][0]  # case type
        assert with_table[case_id][3] == without[case_id][3]  # severity class
        assert with_table[case_id][4] == without[case_id][4]  # number of offences
    # the documented difference: the case file names the offence with the highest maximum (assault),
    # the per-offence table applies the precedence rule (trafficking) and sees every offence
    c03_table, c03_file = with_table["000000000C03"], without["000000000C03"]
    assert (c03_table[0], c03_file[0]) == ("TRAFFICKING", "VIOLENCE")
    assert (c03_table[2], c03_file[2]) == (True, False)  # has_trafficking
    assert c03_table[3] == c03_file[3] == "HEAVY"  # severity: the maximum is the most serious offence's


def test_optional_layouts_are_not_core_tables() -> None:
    from warehouse.ingest.loader import CORE_TABLES
    from warehouse.layouts import LAYOUTS

    optional = {name for name, layout in LAYOUTS.items() if layout.optional}
    assert "instroomomfeittab" in optional
    assert not optional & set(CORE_TABLES)
    assert all(LAYOUTS[name].proposal for name in optional)
