"""SPSS fidelity: a delivery with ``.sav`` (and ``.dta``) files ingests exactly like its CSV twin.

The tiny delivery's household table is written as an SPSS file with DATE- and DATETIME-typed
date columns, numeric codes and counts (integral floats), an all-empty numeric column, value
and variable labels and a user-missing value; its KINDOUDER table as a Stata file. The CSV twin
holds the same values as strings (the user-missing cell empty). Corrupt, truncated and renamed
files are rejected with one line and leave the warehouse file unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from fixtures.tiny_delivery import HOUSEHOLD_COLUMNS, KINDOUDER_COLUMNS, TABLES, write_tiny_delivery
from warehouse.cli import app
from warehouse.db import connect
from warehouse.ingest import DeliveryRejected, ingest
from warehouse.ingest import reader
from warehouse.layouts import LAYOUTS

HOUSEHOLDS_CSV = "GBAHUISHOUDENS2022BUSV1.csv"
KINDOUDER_CSV = "KINDOUDER2022TABV1.csv"
MISSING_ROW = 4  # 0-based row of the household table whose PLHH is user-missing (99) in the .sav


def _date(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _household_tables() -> tuple[dict, pd.DataFrame]:
    """(CSV tables of the twin delivery, the household frame written to .sav)."""
    tables = copy.deepcopy(TABLES)
    columns, rows = tables[HOUSEHOLDS_CSV]
    csv_rows = []
    for index, row in enumerate(rows):
        row = list(row) + [""]  # AANTALKINDHH: empty everywhere
        if index == MISSING_ROW:
            row[columns.index("PLHH")] = ""
        csv_rows.append(row)
    tables[HOUSEHOLDS_CSV] = (columns + ["AANTALKINDHH"], csv_rows)
    frame = pd.DataFrame(rows, columns=HOUSEHOLD_COLUMNS)
    frame["DATUMAANVANGHH"] = [_date(v) for v in frame["DATUMAANVANGHH"]]  # SPSS DATE11
    frame["DATUMEINDEHH"] = [dt.datetime.combine(_date(v), dt.time(13, 45)) for v in frame["DATUMEINDEHH"]]  # DATETIME20
    for name in ("TYPHH", "PLHH", "REFPERSOONHH", "AANTALPERSHH"):
        frame[name] = frame[name].astype("float64")  # 5.0, 4.0: integral floats
    frame.loc[MISSING_ROW, "PLHH"] = 99.0
    frame["AANTALKINDHH"] = np.nan  # an all-empty numeric column
    return tables, frame


def _write_sav_delivery(folder: Path) -> Path:
    tables, frame = _household_tables()
    sav_tables = {name: table for name, table in TABLES.items() if name not in (HOUSEHOLDS_CSV, KINDOUDER_CSV)}
    write_tiny_delivery(folder, sav_tables)
    pyreadstat.write_sav(
        frame,
        str(folder / "GBAHUISHOUDENS2022BUSV1.sav"),
        column_labels={"TYPHH": "Type huishouden", "PLHH": "Plaats in het huishouden", "AANTALPERSHH": "Aantal personen"},
        variable_value_labels={"TYPHH": {1: "Eenpersoonshuishouden", 5: "Paar met kinderen", 6: "Eenouderhuishouden"},
                               "PLHH": {99: "Onbekend"}},
        missing_ranges={"PLHH": [99]},
        variable_format={"DATUMAANVANGHH": "DATE11", "DATUMEINDEHH": "DATETIME20"},
    )
    kindouder = pd.DataFrame(TABLES[KINDOUDER_CSV][1], columns=KINDOUDER_COLUMNS)
    pyreadstat.write_dta(kindouder, str(folder / "KINDOUDER2022TABV1.dta"), column_labels={"RINPERSOONpa": "Vader"})
    return folder


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory):
    """(csv warehouse, sav warehouse, ingest result of the sav delivery); .sav read in chunks of 5 rows."""
    root = tmp_path_factory.mktemp("sav")
    tables, _ = _household_tables()
    csv_db, sav_db = root / "csv.duckdb", root / "sav.duckdb"
    con = connect(csv_db)
    ingest(con, write_tiny_delivery(root / "csv", tables))
    con.close()
    patch = pytest.MonkeyPatch()
    patch.setattr(reader, "SAV_CHUNK_ROWS", 5)  # 17 household rows: 4 chunks, the last one short
    try:
        con = connect(sav_db)
        result = ingest(con, _write_sav_delivery(root / "sav"))
        con.close()
    finally:
        patch.undo()
    return csv_db, sav_db, result


def test_sav_ingest_equals_csv_ingest(twins) -> None:
    csv_db, sav_db, result = twins
    assert result.applied
    con = duckdb.connect(str(sav_db), read_only=True)
    con.execute(f"attach '{csv_db}' as csv (read_only)")
    for table in LAYOUTS:
        sav = f"select * exclude (_delivery_id, _file_id) from source_current.{table}"
        csv = f"select * exclude (_delivery_id, _file_id) from csv.source_current.{table}"
        assert con.execute(f"select count(*) from ({sav} except all {csv})").fetchone()[0] == 0, table
        assert con.execute(f"select count(*) from ({csv} except all {sav})").fetchone()[0] == 0, table
    households = con.execute(
        "select DATUMAANVANGHH, DATUMEINDEHH, TYPHH, AANTALPERSHH, AANTALKINDHH from source_current.gbahuishoudensbus "
        "order by _row_number limit 1"
    ).fetchone()
    assert households == ("19941001", "20001231", "5", "4", None)
    assert con.execute("select count(*) from source_current.kindoudertab").fetchone()[0] == len(TABLES[KINDOUDER_CSV][1])
    assert con.execute("select file_format from meta.delivery_files where table_name = 'kindoudertab'").fetchone() == ("dta",)
    con.close()


def test_user_missing_values_are_null_and_reported(twins) -> None:
    _, sav_db, result = twins
    assert any(
        note.startswith("GBAHUISHOUDENS2022BUSV1.sav: 1 user-missing values loaded as NULL (PLHH: 1)") for note in result.notes
    ), result.notes
    con = duckdb.connect(str(sav_db), read_only=True)
    assert con.execute(
        "select PLHH from source_current.gbahuishoudensbus where _row_number = ?", [MISSING_ROW + 1]
    ).fetchone() == (None,)
    con.close()


def test_labels_are_kept_in_meta_labels(twins) -> None:
    _, sav_db, result = twins
    con = duckdb.connect(str(sav_db), read_only=True)
    rows = set(
        con.execute(
            "select file_name, column_name, variable_label, value, value_label from meta.labels where delivery_id = ?",
            [result.delivery_id],
        ).fetchall()
    )
    con.close()
    sav = "GBAHUISHOUDENS2022BUSV1.sav"
    assert rows == {
        (sav, "TYPHH", "Type huishouden", None, None),
        (sav, "TYPHH", "Type huishouden", "1", "Eenpersoonshuishouden"),
        (sav, "TYPHH", "Type huishouden", "5", "Paar met kinderen"),
        (sav, "TYPHH", "Type huishouden", "6", "Eenouderhuishouden"),
        (sav, "PLHH", "Plaats in het huishouden", None, None),
        (sav, "PLHH", "Plaats in het huishouden", "99", "Onbekend"),
        (sav, "AANTALPERSHH", "Aantal personen", None, None),
        ("KINDOUDER2022TABV1.dta", "RINPERSOONpa", "Vader", None, None),
    }


def test_all_empty_chunk_and_date_columns_stage_as_varchar(tmp_path: Path) -> None:
    """The crashes of issue 20: a column empty in a whole chunk (``trim(INTEGER)``) and a DATE column (``trim(DATE)``)."""
    folder = _write_sav_delivery(tmp_path / "d")
    delivered = reader.recognise(folder / "GBAHUISHOUDENS2022BUSV1.sav", "GBAHUISHOUDENS2022BUSV1.sav")
    con = duckdb.connect()
    columns, violations = reader.load_to_stage(con, delivered, "_s")
    assert violations == []
    types = {name: dtype for name, dtype, *_ in con.execute("describe _s").fetchall()}
    assert all(types[name] == "VARCHAR" for name in columns), types
    con.close()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", ["truncated", "csv renamed", "garbage dta"])
def test_unreadable_file_is_rejected_with_one_line(loaded: Path, tmp_path: Path, kind: str) -> None:
    folder = _write_sav_delivery(tmp_path / "good")
    sav = folder / "GBAHUISHOUDENS2022BUSV1.sav"
    bad = tmp_path / "bad"
    bad.mkdir()
    if kind == "truncated":
        data = sav.read_bytes()
        name = "GBAHUISHOUDENS2023BUSV1.sav"
        (bad / name).write_bytes(data[: len(data) // 2])
    elif kind == "csv renamed":
        name = "GBAHUISHOUDENS2023BUSV1.sav"
        (bad / name).write_bytes((folder / "GBAPERSOON2022TABV1.csv").read_bytes())
    else:
        name = "KINDOUDER2023TABV1.dta"
        (bad / name).write_bytes(b"\x00not stata at all\n" * 10)
    before = _file_hash(loaded)
    con = connect(loaded)
    with pytest.raises(DeliveryRejected) as caught:
        ingest(con, bad)
    con.close()
    assert [(v.file, v.rule) for v in caught.value.violations] == [(name, "unreadable file")]
    assert _file_hash(loaded) == before
    outcome = CliRunner().invoke(app, ["ingest", str(bad), "--db", str(loaded)], terminal_width=400)
    assert outcome.exit_code == 2 and "Traceback" not in outcome.output, outcome.output
    lines = [line for line in outcome.output.splitlines() if "[unreadable file]" in line]
    assert len(lines) == 1 and name in lines[0], outcome.output
    assert _file_hash(loaded) == before


def test_datetime_outside_a_date_column_is_iso_and_stata_dates_are_yyyymmdd(tmp_path: Path) -> None:
    """DATETIME in a column that is no layout date: ISO; Stata %td: YYYYMMDD; SPSS TIME: HH:MM:SS."""
    frame = pd.DataFrame({
        "RINPERSOON": ["000000011", "000000012"],
        "DATUMAANVANGHH": [dt.date(1994, 10, 1), None],
        "PEILMOMENT": [dt.datetime(2022, 1, 1, 8, 30, 5), None],
        "DUUR": [3725.0, np.nan],
    })
    sav = tmp_path / "GBAHUISHOUDENS2022BUSV1.sav"
    pyreadstat.write_sav(frame, str(sav), variable_format={"DATUMAANVANGHH": "ADATE10", "PEILMOMENT": "DATETIME20", "DUUR": "TIME8"})
    dta = tmp_path / "GBAHUISHOUDENS2022BUSV1.dta"
    pyreadstat.write_dta(frame.drop(columns=["PEILMOMENT", "DUUR"]), str(dta))
    con = duckdb.connect()
    for path, expected in ((sav, [("19941001", "2022-01-01 08:30:05", "01:02:05"), (None, None, None)]),
                           (dta, [("19941001",), (None,)])):
        _, violations = reader.load_to_stage(con, reader.recognise(path, path.name), "_s")
        assert violations == []
        columns = ", ".join(c for c in ("DATUMAANVANGHH", "PEILMOMENT", "DUUR") if path.suffix == ".sav" or c == "DATUMAANVANGHH")
        assert con.execute(f"select {columns} from _s order by _row_number").fetchall() == expected
        reader.drop_stage(con, "_s")
    con.close()
