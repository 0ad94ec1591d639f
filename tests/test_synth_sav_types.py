"""`generate --format sav` writes typed, labelled SPSS files as CBS ships them: date columns as SPSS
DATE, counts and years as numerics, codes as strings, variable labels and a few value labels. A flat
sav delivery and a sav Remote Access tree (with its delivered country list) ingest to exactly the
csv delivery's current data of the same seed."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest

from warehouse.config import SEEDS_DIR
from warehouse.db import connect
from warehouse.ingest import ingest
from warehouse.ingest.loader import LINEAGE_COLUMNS
from warehouse.layouts import LAYOUTS, identify
from warehouse.synth import SynthConfig, generate
from warehouse.synth.remote_access import COUNTRIES_FILE
from warehouse.synth.sav import SEX_LABELS

N, COHORT, SEED = 1500, 20, 11
RUNS = {"csv": ("csv", "flat"), "sav": ("sav", "flat"), "sav-tree": ("sav", "remote-access")}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("savtypes")
    out = {}
    for key, (fmt, layout) in RUNS.items():
        res = generate(SynthConfig(persons=N, cohort_size=COHORT, seed=SEED, fmt=fmt, out=base / key / "delivery"),
                       workers=1, layout=layout)
        db = base / key / "warehouse.duckdb"
        con = connect(db)
        result = ingest(con, res.out)
        con.close()
        out[key] = (res, db, result)
    return out


def _is_date(value: str) -> bool:
    return value == "" or (len(value) == 8 and value.isdigit() and pd.to_datetime(value, format="%Y%m%d", errors="coerce") is not pd.NaT)


def test_sav_column_types_and_labels(runs):
    csv_res, sav_res = runs["csv"][0], runs["sav"][0]
    assert sav_res.files == csv_res.files
    n_dates = n_fallback = 0
    for name in sorted(sav_res.files):
        layout, _, _ = identify(name)
        text = pd.read_csv(csv_res.out / f"{name}.csv", dtype=str, keep_default_na=False)
        _, meta = pyreadstat.read_sav(str(sav_res.out / f"{name}.sav"), metadataonly=True)
        formats, types = meta.original_variable_types, meta.readstat_variable_types
        assert list(formats) == list(text.columns)
        for column in layout.columns:
            if column.name not in formats:
                continue
            fmt, values = formats[column.name], text[column.name]
            if column.means == "date":
                if values.map(_is_date).all():
                    assert fmt == "DATE11" and types[column.name] == "double", (name, column.name, fmt)
                    n_dates += 1
                else:  # a sentinel that is no date ("--------"): the column stays a string
                    assert fmt.startswith("A"), (name, column.name, fmt)
                    n_fallback += 1
            elif column.kind in ("int", "num"):
                assert fmt.startswith("F") and types[column.name] == "double", (name, column.name, fmt)
            elif column.means in ("year", "month", "count"):
                whole = values.map(lambda v: v == "" or (v.isdigit() and str(int(v)) == v)).all()
                assert fmt.startswith("F" if whole else "A"), (name, column.name, fmt)
            else:  # codes, keys, ids, days: strings
                assert fmt.startswith("A") and types[column.name] == "string", (name, column.name, fmt)
        # every column carries a variable label
        assert all(meta.column_names_to_labels.get(c) for c in text.columns), name
    assert n_dates >= 15 and n_fallback >= 1
    _, meta = pyreadstat.read_sav(str(sav_res.out / "GBAPERSOON2022TABV1.sav"), metadataonly=True)
    assert meta.original_variable_types["GBAGEBOORTEJAAR"] == "F4.0"  # a year as a numeric
    assert meta.original_variable_types["GBAGEBOORTEMAAND"] == "A2"  # zero-padded months stay text
    with open(SEEDS_DIR / "sex.csv", newline="") as fh:
        assert {row["code"] for row in csv.DictReader(fh)} == set(SEX_LABELS)  # the layout's sex codes
    assert meta.variable_value_labels["GBAGESLACHT"] == {"1": "Man", "2": "Vrouw"}
    assert meta.column_names_to_labels["GBAGESLACHT"] == "Geslacht"
    _, meta = pyreadstat.read_sav(str(sav_res.out / "GBAOVERLIJDEN2022TABV1.sav"), metadataonly=True)
    assert meta.original_variable_types["GBADATUMOVERLIJDEN"] == "DATE11"


def test_tree_keeps_types_and_labels(runs):
    """Rewritten files of the tree (superseded version, split parts, extra column) keep the SPSS types."""
    res = runs["sav-tree"][0]
    _, part = pyreadstat.read_sav(str(res.out / res.tree.parts[0]), metadataonly=True)
    assert part.variable_value_labels["GBAGESLACHT"] == SEX_LABELS
    for rel in res.tree.superseded:
        _, meta = pyreadstat.read_sav(str(res.out / rel), metadataonly=True)
        layout, _, _ = identify(Path(rel).stem)
        flat_name = layout.file_name(int(Path(rel).parent.name), 1)
        _, flat = pyreadstat.read_sav(str(runs["sav"][0].out / f"{flat_name}.sav"), metadataonly=True)
        assert meta.original_variable_types == flat.original_variable_types, rel
    (rel,) = res.tree.unknown_columns
    _, meta = pyreadstat.read_sav(str(res.out / rel), metadataonly=True)
    assert meta.original_variable_types["GBADATUMOVERLIJDEN"] == "DATE11"


def test_labels_land_in_meta(runs):
    _, db, _ = runs["sav"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        sex = dict(con.execute(
            "select value, value_label from meta.labels where column_name = 'GBAGESLACHT' and value is not null "
            "and file_name like 'GBAPERSOON%'").fetchall())
        variable = con.execute(
            "select distinct variable_label from meta.labels where column_name = 'DATUMAANVANGHH'").fetchall()
        n_files = con.execute("select count(distinct file_name) from meta.labels").fetchone()[0]
    finally:
        con.close()
    assert sex == SEX_LABELS
    assert variable == [("Datum aanvang huishouden",)]
    assert n_files == len(runs["sav"][0].files)


def test_tree_uses_delivered_country_list(runs):
    res, db, result = runs["sav-tree"]
    assert res.tree.codelists == {"countries": COUNTRIES_FILE}
    assert result.codelists == {"countries": COUNTRIES_FILE}
    assert runs["sav"][2].codelists == {} and runs["csv"][2].codelists == {}
    delivered = pd.read_csv(res.out / COUNTRIES_FILE, dtype=str, keep_default_na=False)
    assert list(delivered.columns) == ["code", "label"] and delivered["code"].is_unique
    seed = pd.read_csv(SEEDS_DIR / "countries.csv", dtype=str, keep_default_na=False)
    assert set(seed["code"]) <= set(delivered["code"])
    con = duckdb.connect(str(db), read_only=True)
    try:
        current = {r[0] for r in con.execute(
            "select code from meta.current_codes where codelist = 'countries'").fetchall()}
        files = {r[0] for r in con.execute(
            "select distinct file_name from meta.current_codes where codelist = 'countries'").fetchall()}
        used = {r[0] for r in con.execute(
            "select GBAGEBOORTELAND from source_current.gbapersoontab union "
            "select GBALANDHERKOMSTBESTEMMING from source_current.gbamigratiebus").fetchall()}
    finally:
        con.close()
    assert current == set(delivered["code"]) and files == {COUNTRIES_FILE}
    assert used - {"----", "0000", None} <= current


def _tables(db: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("select table_name, column_name from information_schema.columns "
                           "where table_schema = 'source_current' order by table_name, ordinal_position").fetchall()
    finally:
        con.close()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


@pytest.mark.parametrize("key", ["sav", "sav-tree"])
def test_same_current_data_as_csv(runs, key):
    csv_db, other_db = runs["csv"][1], runs[key][1]
    tables = _tables(csv_db)
    assert tables == _tables(other_db) and set(LAYOUTS) <= set(tables)
    lineage = set(LINEAGE_COLUMNS) - {"_file_year"}  # the file year must match too
    mem = duckdb.connect()
    mem.execute(f"attach '{csv_db}' as a (read_only)")
    mem.execute(f"attach '{other_db}' as b (read_only)")
    compared = 0
    try:
        for table, columns in tables.items():
            listed = ", ".join(f'"{c}"' for c in columns if c not in lineage)
            a = f"select {listed} from a.source_current.{table}"
            b = f"select {listed} from b.source_current.{table}"
            n_a = mem.execute(f"select count(*) from ({a})").fetchone()[0]
            n_b = mem.execute(f"select count(*) from ({b})").fetchone()[0]
            only_a = mem.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
            only_b = mem.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
            assert (n_a, only_a, only_b) == (n_b, 0, 0), table
            compared += n_a > 0
    finally:
        mem.close()
    assert compared >= len(LAYOUTS) - 1
