"""Contracts by column meaning: implausible values, duplicate columns and unknown columns.

Every malformed delivery in the catalogue is the tiny delivery with one value (or one column) of
one file changed. It must be rejected with a violation naming file, row, column and rule, and the
warehouse database file must stay byte-identical.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from fixtures.tiny_delivery import TABLES, write_tiny_delivery
from fixtures.warehouses import rejected
from warehouse.cli import app
from warehouse.db import connect
from warehouse.ingest import DeliveryRejected, ingest

PERSONS = "GBAPERSOON2022TABV1.csv"
HOUSEHOLDS = "GBAHUISHOUDENS2022BUSV1.csv"
KINDOUDER = "KINDOUDER2022TABV1.csv"
ZVW = "ZVWZORGKOSTEN2015TABV1.csv"
CASES = "INSTROOMOM2010TABV1.csv"

ZVW_COLUMNS = ["RINPERSOONS", "RINPERSOON", "ZVWKOPHOOGFACTOR", "ZVWKHUISARTS", "ZVWKGENBASGGZ", "ZVWKSPECGGZ"]
ZVW_ROWS = [
    ["R", "000000011", "1", "120.50", "0", "0"],
    ["R", "000000012", "1", "80", "350.25", "0"],
    ["R", "000000021", "1", "-12.40", "", "1200"],
]
CASE_COLUMNS = [
    "RINPERSOONS", "RINPERSOON", "OMZAAKNUMMER", "OMDATUMINSCHRIJVING", "OMSOORTVERDACHTE", "OMDATUMPLEGEN",
    "OMZWAARSTEFEITSCM", "OMAANTALFEITEN",
]
CASE_ROWS = [
    ["R", "000000021", "000000000001", "20100315", "1", "20100101", "1.1.1", "1"],
    ["R", "000000022", "000000000002", "20100601", "1", "--------", "1.1.1", "2"],
]


def _tables() -> dict:
    """The tiny delivery plus a health-cost and a case file (for amounts and event dates)."""
    tables = copy.deepcopy(TABLES)
    tables[ZVW] = (list(ZVW_COLUMNS), [list(r) for r in ZVW_ROWS])
    tables[CASES] = (list(CASE_COLUMNS), [list(r) for r in CASE_ROWS])
    return tables


def _set(name: str, column: str, row: int, value: str):
    """Change one value: data row ``row`` (1-based, as in violations) of ``column`` in file ``name``."""

    def build(tables: dict) -> None:
        columns, rows = tables[name]
        rows[row - 1][columns.index(column)] = value

    return build


def _add_column(name: str, column: str, values):
    def build(tables: dict) -> None:
        columns, rows = tables[name]
        columns.append(column)
        for index, row in enumerate(rows):
            row.append(values(index, row, columns))

    return build


def _copy_of(source: str, change=None):
    """A value function: the row's value of ``source``, changed on the second data row by ``change``."""

    def value(index: int, row: list, columns: list) -> str:
        original = row[columns.index(source)]
        return change(original) if change is not None and index == 1 else original

    return value


THIS_YEAR = dt.date.today().year


def _feb_29(tables: dict) -> None:
    """29 February 1970 (not a leap year)."""
    columns, rows = tables[PERSONS]
    rows[0][columns.index("GBAGEBOORTEMAAND")] = "02"
    rows[0][columns.index("GBAGEBOORTEDAG")] = "29"


# (id, change, file, row, column, rule)
CATALOGUE = [
    ("birth_month_13", _set(PERSONS, "GBAGEBOORTEMAAND", 1, "13"), PERSONS, 1, "GBAGEBOORTEMAAND", "month"),
    ("birth_month_0", _set(PERSONS, "GBAGEBOORTEMAAND", 4, "00"), PERSONS, 4, "GBAGEBOORTEMAAND", "month"),
    ("birth_day_32", _set(PERSONS, "GBAGEBOORTEDAG", 5, "32"), PERSONS, 5, "GBAGEBOORTEDAG", "day"),
    ("april_31", _set(PERSONS, "GBAGEBOORTEDAG", 6, "31"), PERSONS, 6, "GBAGEBOORTEDAG", "calendar date"),
    ("feb_29_non_leap", _feb_29, PERSONS, 1, "GBAGEBOORTEDAG", "calendar date"),
    ("birth_year_abcd", _set(PERSONS, "GBAGEBOORTEJAAR", 2, "abcd"), PERSONS, 2, "GBAGEBOORTEJAAR", "year"),
    ("birth_year_2999", _set(PERSONS, "GBAGEBOORTEJAAR", 3, "2999"), PERSONS, 3, "GBAGEBOORTEJAAR", "year"),
    ("birth_year_next_year", _set(PERSONS, "GBAGEBOORTEJAAR", 3, str(THIS_YEAR + 1)), PERSONS, 3, "GBAGEBOORTEJAAR", "year"),
    ("birth_year_1800", _set(PERSONS, "GBAGEBOORTEJAAR", 8, "1800"), PERSONS, 8, "GBAGEBOORTEJAAR", "year"),
    ("birth_year_two_digits", _set(PERSONS, "GBAGEBOORTEJAAR", 7, "04"), PERSONS, 7, "GBAGEBOORTEJAAR", "year"),
    ("household_size_negative", _set(HOUSEHOLDS, "AANTALPERSHH", 3, "-5"), HOUSEHOLDS, 3, "AANTALPERSHH", "count range"),
    ("household_size_inf", _set(HOUSEHOLDS, "AANTALPERSHH", 5, "inf"), HOUSEHOLDS, 5, "AANTALPERSHH", "count range"),
    ("household_size_nan", _set(HOUSEHOLDS, "AANTALPERSHH", 6, "nan"), HOUSEHOLDS, 6, "AANTALPERSHH", "count range"),
    ("household_size_1e308", _set(HOUSEHOLDS, "AANTALPERSHH", 7, "1e308"), HOUSEHOLDS, 7, "AANTALPERSHH", "count range"),
    ("household_size_huge", _set(HOUSEHOLDS, "AANTALPERSHH", 8, "250000"), HOUSEHOLDS, 8, "AANTALPERSHH", "count range"),
    ("household_size_fraction", _set(HOUSEHOLDS, "AANTALPERSHH", 9, "2.5"), HOUSEHOLDS, 9, "AANTALPERSHH", "integer"),
    ("offences_negative", _set(CASES, "OMAANTALFEITEN", 2, "-1"), CASES, 2, "OMAANTALFEITEN", "count range"),
    ("cost_1e400", _set(ZVW, "ZVWKHUISARTS", 2, "1e400"), ZVW, 2, "ZVWKHUISARTS", "amount range"),
    ("cost_inf", _set(ZVW, "ZVWKSPECGGZ", 1, "inf"), ZVW, 1, "ZVWKSPECGGZ", "amount range"),
    ("cost_minus_inf", _set(ZVW, "ZVWKHUISARTS", 3, "-inf"), ZVW, 3, "ZVWKHUISARTS", "amount range"),
    ("cost_nan", _set(ZVW, "ZVWKGENBASGGZ", 3, "NaN"), ZVW, 3, "ZVWKGENBASGGZ", "amount range"),
    ("cost_1e308", _set(ZVW, "ZVWKSPECGGZ", 2, "1e308"), ZVW, 2, "ZVWKSPECGGZ", "amount range"),
    ("cost_1e12", _set(ZVW, "ZVWKHUISARTS", 1, "1000000000000"), ZVW, 1, "ZVWKHUISARTS", "amount range"),
    ("cost_text", _set(ZVW, "ZVWKHUISARTS", 1, "veel"), ZVW, 1, "ZVWKHUISARTS", "number"),
    ("weight_factor_negative", _set(ZVW, "ZVWKOPHOOGFACTOR", 2, "-3"), ZVW, 2, "ZVWKOPHOOGFACTOR", "amount range"),
    ("date_before_1850", _set(HOUSEHOLDS, "DATUMAANVANGHH", 1, "18491231"), HOUSEHOLDS, 1, "DATUMAANVANGHH", "date range"),
    ("case_date_before_1850", _set(CASES, "OMDATUMPLEGEN", 1, "17990101"), CASES, 1, "OMDATUMPLEGEN", "date range"),
    ("case_date_in_2999", _set(CASES, "OMDATUMINSCHRIJVING", 2, "29990101"), CASES, 2, "OMDATUMINSCHRIJVING", "date range"),
    ("date_month_13", _set(CASES, "OMDATUMINSCHRIJVING", 1, "20101301"), CASES, 1, "OMDATUMINSCHRIJVING", "date format"),
    (
        "duplicate_rinpersoon_differs",
        _add_column(PERSONS, "rinpersoon", _copy_of("RINPERSOON", lambda v: "000000099")),
        PERSONS, 2, "RINPERSOON,rinpersoon", "duplicate column",
    ),
    (
        "duplicate_birth_year_differs",
        _add_column(PERSONS, "gbageboortejaar", _copy_of("GBAGEBOORTEJAAR", lambda v: "1901")),
        PERSONS, 2, "GBAGEBOORTEJAAR,gbageboortejaar", "duplicate column",
    ),
]


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_catalogue_is_large_enough() -> None:
    assert len(CATALOGUE) >= 20
    assert len({case[0] for case in CATALOGUE}) == len(CATALOGUE)


def test_unchanged_catalogue_delivery_is_accepted(loaded: Path, tmp_path: Path) -> None:
    """The base of the catalogue (tiny delivery + ZVW and case files) passes every contract."""
    con = connect(loaded)
    result = ingest(con, write_tiny_delivery(tmp_path / "good", _tables()))
    con.close()
    assert result.applied and result.unknown_columns == {}, result


@pytest.mark.parametrize(
    "case_id,change,file,row,column,rule", CATALOGUE, ids=[case[0] for case in CATALOGUE]
)
def test_implausible_value_is_rejected_and_changes_nothing(
    loaded: Path, tmp_path: Path, case_id: str, change, file: str, row: int, column: str, rule: str
) -> None:
    tables = _tables()
    change(tables)
    folder = write_tiny_delivery(tmp_path / f"bad_{case_id}", tables)
    before = _file_hash(loaded)
    con = connect(loaded)
    with pytest.raises(DeliveryRejected) as raised:
        ingest(con, folder)
    con.close()
    assert _file_hash(loaded) == before
    assert len(raised.value.violations) == 1, str(raised.value)
    violation = raised.value.violations[0]
    assert (violation.file, violation.row, violation.column, violation.rule) == (file, row, column, rule), str(violation)
    assert f"{file}, row {row}, column {column}: [{rule}]" in str(raised.value)


@pytest.mark.parametrize("case_id", ["birth_month_13", "cost_1e400", "duplicate_rinpersoon_differs"])
def test_cli_rejects_with_message_and_no_traceback(loaded: Path, tmp_path: Path, case_id: str) -> None:
    _, change, file, row, column, rule = next(case for case in CATALOGUE if case[0] == case_id)
    tables = _tables()
    change(tables)
    folder = write_tiny_delivery(tmp_path / "bad", tables)
    before = _file_hash(loaded)
    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(loaded)], terminal_width=400)
    assert outcome.exit_code == 2, outcome.output
    assert isinstance(outcome.exception, SystemExit) and "Traceback" not in outcome.output, outcome.output
    assert f"{file}, row {row}, column {column}: [{rule}]" in " ".join(outcome.output.split())
    assert _file_hash(loaded) == before


def test_identical_duplicate_column_is_merged_with_a_note(loaded: Path, tmp_path: Path) -> None:
    tables = _tables()
    _add_column(PERSONS, "rinpersoon", _copy_of("RINPERSOON"))(tables)
    con = connect(loaded)
    result = ingest(con, write_tiny_delivery(tmp_path / "dup", tables))
    assert result.applied
    assert result.unknown_columns == {}
    assert any("RINPERSOON and rinpersoon" in note for note in result.notes), result.notes
    assert con.execute("select count(*) from source_current.gbapersoontab").fetchone()[0] == len(TABLES[PERSONS][1])
    con.close()


def _renamed_mental_health(tables: dict) -> None:
    """A health-cost year whose mental-health columns came with other names."""
    columns, rows = tables[ZVW]
    tables[ZVW] = ([{"ZVWKGENBASGGZ": "ZVWKGGZBASIS", "ZVWKSPECGGZ": "ZVWKGGZSPECIALISTISCH"}.get(c, c) for c in columns], rows)


def test_unknown_columns_are_listed_recorded_and_accepted(loaded: Path, tmp_path: Path) -> None:
    tables = _tables()
    _renamed_mental_health(tables)
    folder = write_tiny_delivery(tmp_path / "renamed", tables)
    con = connect(loaded)
    result = ingest(con, folder)
    assert result.applied
    assert result.unknown_columns == {ZVW: ("ZVWKGGZBASIS", "ZVWKGGZSPECIALISTISCH")}
    recorded = con.execute(
        "select file_name, column_name from meta.unknown_columns where delivery_id = ? order by column_name",
        [result.delivery_id],
    ).fetchall()
    assert recorded == [(ZVW, "ZVWKGGZBASIS"), (ZVW, "ZVWKGGZSPECIALISTISCH")]
    con.close()


def test_cli_lists_unknown_columns(loaded: Path, tmp_path: Path) -> None:
    tables = _tables()
    _renamed_mental_health(tables)
    folder = write_tiny_delivery(tmp_path / "renamed", tables)
    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(loaded)], terminal_width=400)
    assert outcome.exit_code == 0, outcome.output
    assert f"{ZVW}: ZVWKGGZBASIS, ZVWKGGZSPECIALISTISCH" in outcome.output


def test_strict_rejects_unknown_columns_one_line_per_file(loaded: Path, tmp_path: Path) -> None:
    tables = _tables()
    _renamed_mental_health(tables)
    _add_column(KINDOUDER, "EXTRA", lambda index, row, columns: "x")(tables)
    folder = write_tiny_delivery(tmp_path / "renamed", tables)
    before = _file_hash(loaded)
    error = rejected(loaded, folder, strict=True)
    unknown = [v for v in error.violations if v.rule == "unknown column"]
    assert len(unknown) == len(error.violations) == 2, str(error)
    assert {v.file for v in unknown} == {ZVW, KINDOUDER}
    assert "ZVWKGGZBASIS, ZVWKGGZSPECIALISTISCH" in next(v.detail for v in unknown if v.file == ZVW)

    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(loaded), "--strict"], terminal_width=400)
    assert outcome.exit_code == 2, outcome.output
    lines = [line for line in outcome.output.splitlines() if "[unknown column]" in line]
    assert len(lines) == 2 and any(ZVW in line and "ZVWKGGZSPECIALISTISCH" in line for line in lines), outcome.output
    assert _file_hash(loaded) == before


def test_unknown_columns_table_exists_after_first_ingest(loaded: Path) -> None:
    con = duckdb.connect(str(loaded), read_only=True)
    assert con.execute("select count(*) from meta.unknown_columns").fetchone()[0] == 0
    con.close()


def test_refresh_checks_a_delivery_like_ingest(tmp_path: Path) -> None:
    """`warehouse refresh` passes the ingest's options on: --strict rejects unknown columns (the warehouse file
    unchanged), and without it the refresh applies the delivery and lists them."""
    from fixtures.warehouses import build_tiny, file_hash
    from warehouse.refresh import refresh

    db = build_tiny(tmp_path / "built")
    tables = copy.deepcopy(TABLES)
    _add_column(KINDOUDER, "EXTRA", lambda index, row, columns: "x")(tables)
    folder = write_tiny_delivery(tmp_path / "new", tables)
    before = file_hash(db)
    with pytest.raises(DeliveryRejected, match="unknown column"):
        refresh(db, folder, ingest_options={"strict": True})
    assert file_hash(db) == before
    result = refresh(db, folder)
    assert result.applied
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select column_name from meta.unknown_columns").fetchall() == [("EXTRA",)]
    con.close()
