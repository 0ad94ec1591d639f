"""Code lists as delivered: an unknown code is kept, counted and flagged (not rejected) by default,
rejected with ``strict_codes``; a code list delivered with the delivery replaces the shipped seed."""

from __future__ import annotations

import copy
import csv
import hashlib
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from fixtures.tiny_delivery import TABLES, write_tiny_delivery
from fixtures.warehouses import rejected
from warehouse.cli import app
from warehouse.config import SEEDS_DIR
from warehouse.db import connect
from warehouse.ingest import ingest

PERSONS = "GBAPERSOON2022TABV1.csv"
NEW_CODE = "5040"  # a country code that is not in the shipped (partial) seed
COLUMN = "GBAGEBOORTELAND"


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tables(codes: dict[int, str] | None = None) -> dict:
    """The tiny delivery with birth-country codes changed: data row (1-based) -> code."""
    tables = copy.deepcopy(TABLES)
    columns, rows = tables[PERSONS]
    rows = [list(row) for row in rows]
    for row, code in (codes or {2: NEW_CODE}).items():
        rows[row - 1][columns.index(COLUMN)] = code
    tables[PERSONS] = (list(columns), rows)
    return tables


def _seed_codes() -> list[str]:
    with (SEEDS_DIR / "countries.csv").open(newline="", encoding="utf-8") as handle:
        return [row["code"] for row in csv.DictReader(handle)]


def _write_country_list(folder: Path, extra: list[str]) -> None:
    (folder / "codelists").mkdir(parents=True, exist_ok=True)
    with (folder / "codelists" / "countries.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "label"])
        writer.writerows([code, f"land {code}"] for code in _seed_codes() + extra)


def test_unknown_code_is_kept_counted_and_flagged(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "new_code", _tables())
    con = connect(loaded)
    result = ingest(con, folder)
    assert result.applied
    assert len(result.unknown_codes) == 1, result.unknown_codes
    flagged = result.unknown_codes[0]
    assert (flagged.file, flagged.column, flagged.codelist, flagged.n_rows, flagged.n_codes, flagged.examples, flagged.first_row) == (
        PERSONS, COLUMN, "countries", 1, 1, (NEW_CODE,), 2
    )
    assert any(NEW_CODE in note and COLUMN in note and PERSONS in note for note in result.notes), result.notes
    recorded = con.execute(
        "select file_name, column_name, codelist, code, n_rows, first_row from meta.unknown_codes where delivery_id = ?",
        [result.delivery_id],
    ).fetchall()
    assert recorded == [(PERSONS, COLUMN, "countries", NEW_CODE, 1, 2)]
    # the row is loaded as delivered
    assert con.execute(f"select count(*) from source_current.gbapersoontab where {COLUMN} = ?", [NEW_CODE]).fetchone()[0] == 1
    con.close()


def test_examples_are_capped_at_five_most_frequent_first(loaded: Path, tmp_path: Path) -> None:
    codes = {1: "9101", 2: "9102", 3: "9103", 4: "9104", 5: "9105", 6: "9106", 7: "9107", 8: "9107"}
    con = connect(loaded)
    result = ingest(con, write_tiny_delivery(tmp_path / "many", _tables(codes)))
    con.close()
    (flagged,) = result.unknown_codes
    assert (flagged.n_rows, flagged.n_codes, len(flagged.examples), flagged.examples[0]) == (8, 7, 5, "9107")


def test_strict_codes_rejects_and_changes_nothing(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "new_code", _tables())
    before = _file_hash(loaded)
    error = rejected(loaded, folder, strict_codes=True)
    assert [(v.file, v.row, v.column, v.rule) for v in error.violations] == [(PERSONS, 2, COLUMN, "code list")]

    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(loaded), "--strict-codes"], terminal_width=400)
    assert outcome.exit_code == 2, outcome.output
    assert f"{PERSONS}, row 2, column {COLUMN}: [code list]" in " ".join(outcome.output.split())
    assert _file_hash(loaded) == before


def test_cli_warns_about_unknown_codes(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "new_code", _tables())
    outcome = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(loaded)], terminal_width=400)
    assert outcome.exit_code == 0, outcome.output
    line = next(line for line in outcome.output.splitlines() if line.startswith("warning: unknown codes in"))
    assert PERSONS in line and COLUMN in line and NEW_CODE in line, outcome.output


def test_delivered_code_list_replaces_the_seed(loaded: Path, tmp_path: Path) -> None:
    folder = write_tiny_delivery(tmp_path / "with_list", _tables())
    _write_country_list(folder, [NEW_CODE])
    con = connect(loaded)
    result = ingest(con, folder, strict_codes=True)  # passes even in strict mode: the code is in the delivered list
    assert result.applied and result.unknown_codes == (), result
    assert result.codelists == {"countries": "codelists/countries.csv"}
    assert "codelists/countries.csv" not in result.skipped_files
    assert con.execute("select count(*) from meta.unknown_codes").fetchone()[0] == 0
    assert con.execute("select label from meta.current_codes where codelist = 'countries' and code = ?", [NEW_CODE]).fetchone() == (
        f"land {NEW_CODE}",
    )
    # a later delivery without a list is checked against the warehouse's current delivered list
    later = write_tiny_delivery(tmp_path / "later", _tables({2: NEW_CODE, 3: "5022"}))
    result = ingest(con, later, strict_codes=True)
    assert result.applied and result.unknown_codes == ()
    con.close()


def test_delivered_list_without_the_code_flags_it(loaded: Path, tmp_path: Path) -> None:
    """The delivered list replaces the seed: a seed code missing from it is flagged."""
    folder = write_tiny_delivery(tmp_path / "short_list", _tables({2: "5022"}))
    (folder / "codelists").mkdir()
    (folder / "codelists" / "countries.csv").write_text("code,label\n6030,Nederland\n6043,Turkije\n----,onbekend\n", encoding="utf-8")
    con = connect(loaded)
    result = ingest(con, folder)
    con.close()
    assert [(f.column, f.examples) for f in result.unknown_codes if f.file == PERSONS] == [
        (column, ("5022",)) for column in ("GBAGEBOORTELAND", "GBAGEBOORTELANDMOEDER", "GBAGEBOORTELANDVADER", "GBAHERKOMSTGROEPERING")
    ]


def test_cbs_country_reference_file_is_recognised(loaded: Path, tmp_path: Path) -> None:
    import pandas as pd
    import pyreadstat

    folder = write_tiny_delivery(tmp_path / "landref", _tables())
    (folder / "ref").mkdir()
    frame = pd.DataFrame({"LAND": _seed_codes() + [NEW_CODE], "LANDTYPE": ["x"] * (len(_seed_codes()) + 1)})
    pyreadstat.write_sav(frame, str(folder / "ref" / "LANDAKTUEELREFV3.sav"))
    pyreadstat.write_sav(frame.iloc[:3], str(folder / "ref" / "LANDAKTUEELREFV2.sav"))  # superseded
    con = connect(loaded)
    result = ingest(con, folder, strict_codes=True)
    con.close()
    assert result.applied and result.codelists == {"countries": "ref/LANDAKTUEELREFV3.sav"}


def test_rollback_restores_the_previous_list(loaded: Path, tmp_path: Path) -> None:
    from warehouse.ingest import rollback_to

    con = connect(loaded)
    first = con.execute("select delivery_id from meta.deliveries").fetchone()[0]
    folder = write_tiny_delivery(tmp_path / "with_list", _tables())
    _write_country_list(folder, [NEW_CODE])
    ingest(con, folder)
    rollback_to(con, first)
    assert con.execute("select count(*) from meta.current_codes").fetchone()[0] == 0
    result = ingest(con, write_tiny_delivery(tmp_path / "again", _tables({2: NEW_CODE, 4: "6030"})))
    assert [f.examples for f in result.unknown_codes] == [(NEW_CODE,)]
    con.close()


def test_meta_tables_exist_after_first_ingest(loaded: Path) -> None:
    con = duckdb.connect(str(loaded), read_only=True)
    assert con.execute("select count(*) from meta.unknown_codes").fetchone()[0] == 0
    assert con.execute("select count(*) from meta.current_codes").fetchone()[0] == 0
    con.close()
