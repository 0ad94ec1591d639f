"""`generate --layout remote-access`: the same seed as a flat delivery and as a CBS Remote Access tree
gives the same current data, and the ingest lists the tree's traps (superseded V1 files with wrong
values, the stray LEESMIJ.txt, the unknown column)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from warehouse.db import connect
from warehouse.ingest import ingest
from warehouse.ingest.loader import LINEAGE_COLUMNS
from warehouse.layouts import LAYOUTS
from warehouse.synth import SynthConfig, generate
from warehouse.synth.remote_access import EXTRA_COLUMN, STRAY_FILE

N, COHORT, SEED = 1500, 20, 11


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module", params=["csv", "parquet", "sav"])
def pair(request, tmp_path_factory):
    """The same seed generated flat and as a Remote Access tree, each ingested into its own warehouse."""
    fmt = request.param
    base = tmp_path_factory.mktemp(f"ra_{fmt}")
    runs = {}
    for layout in ("flat", "remote-access"):
        cfg = SynthConfig(persons=N, cohort_size=COHORT, seed=SEED, fmt=fmt, out=base / layout / "delivery")
        res = generate(cfg, workers=1, layout=layout)
        db = base / layout / "warehouse.duckdb"
        con = connect(db)
        result = ingest(con, res.out)
        con.close()
        runs[layout] = (res, db, result)
    return fmt, runs


def test_tree_shape(pair):
    fmt, runs = pair
    flat, tree = runs["flat"][0], runs["remote-access"][0]
    assert flat.tree is None and tree.tree is not None
    out = tree.out
    top = {p.name for p in out.iterdir()}
    assert STRAY_FILE in top
    assert not [p for p in out.iterdir() if p.is_file() and p.name != STRAY_FILE]  # every data file in a folder
    assert {"GBAPERSOONTAB", "GBAHUISHOUDENSBUS", "KINDOUDERTAB", "HOOGSTEOPLTAB"} <= top
    assert (out / "KINDOUDERTAB" / f"kindouder2022tabv1.{fmt}").is_file()  # lower case
    assert (out / "GBAMIGRATIEBUS" / f"GbaMigratie2022BusV1.{fmt}").is_file()  # mixed case
    assert all(p.name == p.name.lower() for p in (out / "HOOGSTEOPLTAB").rglob(f"*.{fmt}"))  # year folders, lower case
    assert all(p.parent.name.isdigit() for p in (out / "HOOGSTEOPLTAB").rglob(f"*.{fmt}"))
    assert tree.tree.parts == [f"GBAPERSOONTAB/GBAPERSOON2022TABV1_part{i}.{fmt}" for i in (1, 2)]
    # one wrong lower version per per-year table, next to a correct higher one
    per_year = {name for name, lay in LAYOUTS.items() if lay.per_year}
    assert {p.split("/")[0].lower() for p in tree.tree.superseded} == per_year
    for rel in tree.tree.superseded:
        low = out / rel
        high = next(p for p in low.parent.iterdir() if p != low)
        assert low.read_bytes() != high.read_bytes()
    if fmt == "csv":  # a moved file keeps its bytes: the correct V2 equals the flat V1 of its year
        for rel in tree.tree.superseded:
            flat_file = flat.out / f"{Path(rel).name.upper().removesuffix('.' + fmt.upper())}.{fmt}"
            high = next(p for p in (out / rel).parent.iterdir() if p.name != Path(rel).name)
            if high.suffix == ".csv":
                assert _sha(high) == _sha(flat_file)
            else:  # the csv tree mixes in parquet for ZVWZORGKOSTENTAB
                assert rel.startswith("ZVWZORGKOSTENTAB/") and high.suffix == ".parquet"
    mixed = {Path(rel).suffix for rel in tree.files}
    assert mixed == ({".csv", ".parquet"} if fmt == "csv" else {f".{fmt}"})


def test_same_seed_same_tree(pair, tmp_path):
    fmt, runs = pair
    first = runs["remote-access"][0]
    again = generate(SynthConfig(persons=N, cohort_size=COHORT, seed=SEED, fmt=fmt, out=tmp_path / "d"),
                     workers=1, layout="remote-access")
    assert again.files == first.files
    for rel in first.files:
        if rel.endswith(".sav"):  # an SPSS header carries the time it was written: compare the data
            import pyreadstat

            a, _ = pyreadstat.read_sav(str(again.out / rel))
            b, _ = pyreadstat.read_sav(str(first.out / rel))
            assert a.equals(b), rel
        else:
            assert _sha(again.out / rel) == _sha(first.out / rel), rel


def test_ingest_lists_the_traps(pair):
    fmt, runs = pair
    res, _, result = runs["remote-access"]
    assert sorted(result.superseded_files) == sorted(res.tree.superseded)
    assert result.skipped_files == (STRAY_FILE,)
    assert result.unknown_columns == {rel: (EXTRA_COLUMN,) for rel in res.tree.unknown_columns}
    assert len(result.unknown_columns) == 1
    flat_result = runs["flat"][2]
    assert flat_result.superseded_files == () and flat_result.unknown_columns == {}


def _current(db: Path, table: str, columns: list[str]):
    con = duckdb.connect(str(db), read_only=True)
    try:
        listed = ", ".join(f'"{c}"' for c in columns)
        return con.execute(f"select {listed} from source_current.{table}").arrow()
    finally:
        con.close()


def test_current_data_identical(pair):
    """Every raw table's current rows, lineage aside, are the same for the flat delivery and the tree."""
    fmt, runs = pair
    flat_db, tree_db = runs["flat"][1], runs["remote-access"][1]
    con = duckdb.connect(str(tree_db), read_only=True)
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'source_current' order by 1"
    ).fetchall()]
    columns = {t: [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_schema = 'source_current' "
        "and table_name = ? order by ordinal_position", [t]).fetchall()] for t in tables}
    con.close()
    assert set(LAYOUTS) <= set(tables)
    lineage = set(LINEAGE_COLUMNS) - {"_file_year"}  # the file year must match too
    compared = 0
    for table in tables:
        kept = [c for c in columns[table] if c not in lineage]
        assert EXTRA_COLUMN not in {c.upper() for c in kept}
        flat_rows = _current(flat_db, table, kept)  # noqa: F841 (read by duckdb below)
        tree_rows = _current(tree_db, table, kept)  # noqa: F841
        mem = duckdb.connect()
        n_flat = mem.execute("select count(*) from flat_rows").fetchone()[0]
        n_tree = mem.execute("select count(*) from tree_rows").fetchone()[0]
        only_flat = mem.execute("select count(*) from (select * from flat_rows except all select * from tree_rows)").fetchone()[0]
        only_tree = mem.execute("select count(*) from (select * from tree_rows except all select * from flat_rows)").fetchone()[0]
        mem.close()
        assert (n_flat, only_flat, only_tree) == (n_tree, 0, 0), table
        compared += n_flat > 0
    assert compared >= len(LAYOUTS) - 1  # (a small population may lack one table, e.g. trafficking cases)
