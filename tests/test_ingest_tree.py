"""Discovery of CBS Remote Access trees: sub-folders, any name case, versions, split tables, stray files.

The tiny delivery is rebuilt as ``<TABLE>/<year>/<lower-case name>`` with a V2 of the person
file (one corrected value) and stray files; it must load to the same current data as the flat
delivery except for that correction.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from fixtures.tiny_delivery import TABLES, write_tiny_delivery
from warehouse.cli import app
from warehouse.db import connect
from warehouse.ingest import DeliveryRejected, ingest
from warehouse.layouts import LAYOUTS

PERSONS = "GBAPERSOON2022TABV1.csv"
HOUSEHOLDS = "GBAHUISHOUDENS2022BUSV1.csv"
FOLDERS = {PERSONS: "GBAPERSOONTAB", "KINDOUDER2022TABV1.csv": "KINDOUDERTAB", HOUSEHOLDS: "GBAHUISHOUDENSBUS"}
V1 = "GBAPERSOONTAB/2022/gbapersoon2022tabv1.csv"
V2 = "GBAPERSOONTAB/2022/gbapersoon2022tabv2.csv"
STRAY = "GBAPERSOONTAB/2022/toelichting.txt"


def _corrected_persons() -> dict:
    """The person table with one corrected value: person 000000013's birth month '--' -> '05'."""
    columns, rows = copy.deepcopy(TABLES[PERSONS])
    row = next(r for r in rows if r[1] == "000000013")
    row[columns.index("GBAGEBOORTEMAAND")] = "05"
    return {"GBAPERSOON2022TABV2.csv": (columns, rows)}


def write_tree(root: Path) -> Path:
    """The tiny delivery as a Remote Access tree, plus a V2 of the person file and stray files."""
    flat = write_tiny_delivery(root.parent / f"{root.name}_flat")
    for name, table_folder in FOLDERS.items():
        target = root / table_folder / "2022"
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(flat / name, target / name.lower())
    shutil.rmtree(flat)
    v2 = write_tiny_delivery(root / "tmp_v2", _corrected_persons())
    shutil.move(v2 / "GBAPERSOON2022TABV2.csv", root / V2)
    shutil.rmtree(v2)
    (root / STRAY).write_text("stray documentation\n", encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\0")
    return root


def _ingest_into(db: Path, folder: Path, **options):
    con = connect(db)
    try:
        return ingest(con, folder, **options)
    finally:
        con.close()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """(flat warehouse, tree warehouse, result of the tree ingest)."""
    root = tmp_path_factory.mktemp("tree")
    flat_db, tree_db = root / "flat.duckdb", root / "tree.duckdb"
    _ingest_into(flat_db, write_tiny_delivery(root / "flat"))
    result = _ingest_into(tree_db, write_tree(root / "delivery"))
    return flat_db, tree_db, result


def _differences(tree_db: Path, flat_db: Path) -> dict[str, tuple[list, list]]:
    """Per table: (rows only in the tree's current data, rows only in the flat delivery's)."""
    con = duckdb.connect(str(tree_db), read_only=True)
    try:
        con.execute(f"attach '{flat_db}' as flat (read_only)")
        out = {}
        for name in LAYOUTS:
            columns = ", ".join(f'"{c}"' for c in (*LAYOUTS[name].column_names, "_file_year", "_row_number"))
            tree_rows = f"select {columns} from source_current.{name}"
            flat_rows = f"select {columns} from flat.source_current.{name}"
            only_tree = con.execute(f"{tree_rows} except all {flat_rows}").fetchall()
            only_flat = con.execute(f"{flat_rows} except all {tree_rows}").fetchall()
            if only_tree or only_flat:
                out[name] = (only_tree, only_flat)
        return out
    finally:
        con.close()


def test_tree_loads_like_the_flat_delivery_except_the_correction(warehouses) -> None:
    flat_db, tree_db, result = warehouses
    assert result.applied
    assert set(result.tables) == {"gbapersoontab", "kindoudertab", "gbahuishoudensbus"}
    differences = _differences(tree_db, flat_db)
    assert set(differences) == {"gbapersoontab"}, differences
    only_tree, only_flat = differences["gbapersoontab"]
    month = LAYOUTS["gbapersoontab"].column_names.index("GBAGEBOORTEMAAND")
    assert [(r[1], r[month]) for r in only_tree] == [("000000013", "05")]
    assert [(r[1], r[month]) for r in only_flat] == [("000000013", "--")]
    con = duckdb.connect(str(tree_db), read_only=True)
    lineage = con.execute("select distinct _source_file from raw.gbapersoontab").fetchall()
    con.close()
    assert lineage == [(V2,)]


def test_superseded_and_skipped_files_are_listed(warehouses) -> None:
    _, _, result = warehouses
    assert result.superseded_files == (V1,)
    assert STRAY in result.skipped_files
    assert ".DS_Store" in result.skipped_files
    assert not any(name.endswith(".csv") for name in result.skipped_files)


def test_older_version_is_refused_and_allow_older_accepts_it(warehouses, tmp_path: Path) -> None:
    _, tree_db, _ = warehouses
    db = tmp_path / "wh.duckdb"
    shutil.copy(tree_db, db)
    older = write_tiny_delivery(tmp_path / "older", {PERSONS: TABLES[PERSONS]})
    with pytest.raises(DeliveryRejected) as raised:
        _ingest_into(db, older)
    refusals = [v for v in raised.value.violations if v.rule == "older version"]
    assert len(refusals) == 1 and "\n" not in str(refusals[0])
    assert "gbapersoontab 2022" in str(refusals[0]) and "V1" in str(refusals[0]) and "V2" in str(refusals[0])
    # through the CLI: refused, then accepted with --allow-older and recorded in the delivery history
    runner = CliRunner()
    refused = runner.invoke(app, ["ingest", str(older), "--db", str(db)])
    assert refused.exit_code == 2, refused.output
    accepted = runner.invoke(app, ["ingest", str(older), "--db", str(db), "--allow-older"])
    assert accepted.exit_code == 0, accepted.output
    con = duckdb.connect(str(db), read_only=True)
    note = con.execute("select note from meta.deliveries order by seq desc limit 1").fetchone()[0]
    month = con.execute(
        "select GBAGEBOORTEMAAND from source_current.gbapersoontab where RINPERSOON = '000000013'"
    ).fetchone()[0]
    con.close()
    assert "allow-older" in note and "gbapersoontab 2022" in note
    assert month == "--"


def test_same_version_twice_is_an_error_unless_identical(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "dup")
    # identical bytes in another folder: used once, the copy listed
    same = tmp_path / "dup" / "geconverteerde data" / "kindouder2022tabv1.csv"
    same.parent.mkdir()
    shutil.copy(tmp_path / "dup" / "KINDOUDERTAB" / "2022" / "kindouder2022tabv1.csv", same)
    result = _ingest_into(tmp_path / "ok.duckdb", folder)
    assert result.applied and any(name.startswith("geconverteerde data/kindouder2022tabv1.csv") for name in result.identical_files)
    # a different copy of the same version: an error naming both files
    columns, rows = copy.deepcopy(TABLES["KINDOUDER2022TABV1.csv"])
    same.write_text("\n".join(",".join(r) for r in [columns, *rows[:-1]]) + "\n", encoding="utf-8")
    with pytest.raises(DeliveryRejected) as raised:
        _ingest_into(tmp_path / "bad.duckdb", folder)
    duplicate = [str(v) for v in raised.value.violations if v.rule == "duplicate table"]
    assert len(duplicate) == 1
    assert "KINDOUDERTAB/2022/kindouder2022tabv1.csv" in duplicate[0]
    assert "geconverteerde data/kindouder2022tabv1.csv" in duplicate[0]


def _split_households(folder: Path, rows_first: int, edit=None) -> Path:
    """The tiny delivery with the household file split into two parts."""
    write_tiny_delivery(folder)
    columns, rows = copy.deepcopy(TABLES[HOUSEHOLDS])
    if edit is not None:
        edit(columns, rows)
    (folder / HOUSEHOLDS).unlink()
    for number, chunk in ((1, rows[:rows_first]), (2, rows[rows_first:])):
        write_tiny_delivery(folder, {f"GBAHUISHOUDENS2022BUSV1_part{number}.csv": (columns, chunk)})
    return folder


def test_split_table_is_read_as_one_in_file_order(warehouses, tmp_path: Path) -> None:
    flat_db, _, _ = warehouses
    db = tmp_path / "split.duckdb"
    _ingest_into(db, _split_households(tmp_path / "split", 6))
    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"attach '{flat_db}' as flat (read_only)")
    columns = ", ".join(f'"{c}"' for c in LAYOUTS["gbahuishoudensbus"].column_names)
    tree_rows = f"select {columns} from source_current.gbahuishoudensbus"
    flat_rows = f"select {columns} from flat.source_current.gbahuishoudensbus"
    assert con.execute(f"{tree_rows} except all {flat_rows}").fetchall() == []
    assert con.execute(f"{flat_rows} except all {tree_rows}").fetchall() == []
    lineage = con.execute(
        "select _source_file, min(_row_number), max(_row_number), count(*) from raw.gbahuishoudensbus group by 1 order by 1"
    ).fetchall()
    files = con.execute("select count(*) from meta.current_files where table_name = 'gbahuishoudensbus'").fetchone()[0]
    con.close()
    n = len(TABLES[HOUSEHOLDS][1])
    assert lineage == [
        ("GBAHUISHOUDENS2022BUSV1_part1.csv", 1, 6, 6),
        ("GBAHUISHOUDENS2022BUSV1_part2.csv", 1, n - 6, n - 6),
    ]
    assert files == 2


def test_violation_in_a_part_names_the_part_and_its_row(tmp_path: Path) -> None:
    def bad_code(columns, rows):
        rows[8][columns.index("PLHH")] = "11"  # table row 9 = row 3 of part 2

    folder = _split_households(tmp_path / "bad_split", 6, bad_code)
    with pytest.raises(DeliveryRejected) as raised:
        _ingest_into(tmp_path / "wh.duckdb", folder, strict_codes=True)  # unknown codes reject only in strict mode
    assert "GBAHUISHOUDENS2022BUSV1_part2.csv, row 3, column PLHH" in str(raised.value)
    # by default the unknown code is kept and flagged, naming the part and its row
    result = _ingest_into(tmp_path / "wh.duckdb", folder)
    assert [(f.file, f.first_row, f.column, f.examples) for f in result.unknown_codes] == [
        ("GBAHUISHOUDENS2022BUSV1_part2.csv", 3, "PLHH", ("11",))
    ]
