"""`warehouse sql` hardening (issue 19): no file reads through SUMMARIZE/DESCRIBE/SHOW or replacement
scans, no automatic extension download, a statement timeout, whole-result --out files and --csv that
never stops silently at a row limit."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from warehouse.cli import app
from warehouse.guard import GuardError, check_read_only

# --------------------------------------------------------------------------- guard: file reads

FILE_READS: list[tuple[str, str]] = [
    ("SUMMARIZE '/etc/passwd'", "SUMMARIZE of the file '/etc/passwd' refused: only warehouse tables can be read"),
    ("summarize 'glob*.parquet'", "SUMMARIZE of the file 'glob*.parquet' refused"),
    ('summarize "/data/x.csv"', "SUMMARIZE of the file '/data/x.csv' refused"),
    ("summarize from 'rows.csv'", "reading the file 'rows.csv' refused"),
    ("DESCRIBE '/file.csv'", "DESCRIBE of the file '/file.csv' refused"),
    ("describe table 'rows.parquet'", "DESCRIBE of the file 'rows.parquet' refused"),
    ("DESCRIBE SELECT * FROM 'file.csv'", "reading the file 'file.csv' refused"),
    ("SHOW '/file'", "SHOW of the file '/file' refused"),
    ('show "rows.csv"', "SHOW of the file 'rows.csv' refused"),
    ('show marts."rows.csv"', "SHOW of the file 'marts.rows.csv' refused"),
    ("show select * from 'rows.csv'", "reading the file 'rows.csv' refused"),
    ("FROM 'file.csv'", "reading the file 'file.csv' refused: only warehouse tables can be read"),
    ("select * from 'data/*.parquet'", "reading the file 'data/*.parquet' refused"),
    ("select * from 'rows?.csv'", "reading the file 'rows?.csv' refused"),
    ("select * from '~/rows.csv'", "reading the file '~/rows.csv' refused"),
    ("select * from 'C:\\data\\rows.csv'", "refused: only warehouse tables can be read"),
    ("select * from 's3://bucket/rows.parquet'", "reading the file 's3://bucket/rows.parquet' refused"),
    ('select * from marts."rows.csv"', "reading the file 'marts.rows.csv' refused"),  # DuckDB reads marts.rows.csv
    ("select * from marts.t join 'rows.csv' using (i)", "reading the file 'rows.csv' refused"),
    ("with c as (from 'rows.csv') select * from c", "reading the file 'rows.csv' refused"),
    ("select * from (from 'rows.csv')", "reading the file 'rows.csv' refused"),
    ("select (select count(*) from 'rows.csv')", "reading the file 'rows.csv' refused"),
    ("select * from marts.t where i in (from 'rows.csv')", "reading the file 'rows.csv' refused"),
    ("select * from (summarize '/etc/passwd')", "SUMMARIZE of the file '/etc/passwd' refused"),
    ("from (describe 'rows.csv')", "DESCRIBE of the file 'rows.csv' refused"),
    ("from (show 'rows.csv')", "SHOW inside a statement refused"),  # sqlglot reads a table named show
    ("pivot 'rows.csv' on a using sum(b)", "reading the file 'rows.csv' refused"),
    ("unpivot 'rows.csv' on a into name n value v", "reading the file 'rows.csv' refused"),
    ("select * from (pivot 'rows.csv' on a using sum(b))", "reading the file 'rows.csv' refused"),
    ("explain select * from 'rows.csv'", "reading the file 'rows.csv' refused"),
    ("explain analyze from 'rows.csv'", "reading the file 'rows.csv' refused"),
    ("explain summarize '/etc/passwd'", "SUMMARIZE of the file '/etc/passwd' refused"),
    ("explain show 'rows.csv'", "SHOW of the file 'rows.csv' refused"),
    ("select 1; summarize 'rows.csv'", "SUMMARIZE of the file 'rows.csv' refused"),
    ("show 1 + 1", "refused: only a warehouse table or a SELECT can be shown"),
]

STATEMENTS: list[tuple[str, str]] = [
    ("set enable_external_access = true", "SET statement refused"),
    ("set autoinstall_known_extensions = true", "SET statement refused"),
    ("reset enable_external_access", "RESET statement refused"),
    ("pragma enable_external_access", "PRAGMA enable_external_access refused"),
    ("pragma enable_external_access = true", "PRAGMA enable_external_access refused"),
    ("install inet", "INSTALL statement refused"),
    ("force install inet", "INSTALL"),
    ("load inet", "LOAD statement refused"),
    ("attach '/tmp/other.duckdb' as o", "ATTACH statement refused"),
    ("copy marts.t to '/tmp/t.csv'", "COPY statement refused"),
    ("export database '/tmp/dump'", "EXPORT statement refused"),
    ("call pragma_version()", "CALL statement refused"),
]

ALLOWED = [
    "summarize marts.t",
    "summarize table marts.t",
    "summarize select g, count(*) from marts.t group by g",
    "describe marts.t",
    "describe select * from marts.t",
    "show marts.t",
    "show tables",
    "show all tables",
    "show databases",
    "show select 1 as x",
    "pivot marts.t on g using sum(i)",
    "select * from 'x'",  # no path, extension or glob: DuckDB looks for a table named x
    "explain select * from marts.t",
]


@pytest.mark.parametrize(("sql", "message"), FILE_READS + STATEMENTS, ids=[s for s, _ in FILE_READS + STATEMENTS])
def test_read_only_refuses_file_reads_and_statements(sql: str, message: str) -> None:
    with pytest.raises(GuardError) as error:
        check_read_only(sql)
    assert message in str(error.value), str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("sql", ALLOWED)
def test_read_only_allows_warehouse_reads(sql: str) -> None:
    assert check_read_only(sql)


# --------------------------------------------------------------------------- a tiny warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlw") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        """
        create schema marts;
        create table marts.t as
            select range::int as i, range % 3 as g, 'name ' || range as s,
                   (date '2000-01-01' + range::int) as d, range % 2 = 0 as flag,
                   (range / 4)::decimal(10, 2) as amount,
                   timestamp '2020-01-01 08:00:00' + to_minutes(range) as ts
            from range(1000);
        update marts.t set s = null, d = null, amount = null where i = 7;
        """
    )
    con.close()
    return path


def run(db: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["sql", *args, "--db", str(db)])


# --------------------------------------------------------------------------- extensions


@pytest.mark.parametrize("sql", ["select '1.2.3.4'::inet", "select stem('running', 'english')"])
def test_extensions_are_never_installed_or_loaded(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  sql: str) -> None:
    from warehouse.db import connect

    monkeypatch.setenv("HOME", str(tmp_path))  # DuckDB's default extension directory is ~/.duckdb
    con = connect(db, read_only=True)
    try:
        assert con.execute(
            "select current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')"
        ).fetchone() == (False, False)
        started = time.perf_counter()
        with pytest.raises(duckdb.CatalogException, match="extension"):
            con.execute(sql)
        assert time.perf_counter() - started < 1.0
    finally:
        con.close()
    assert not (tmp_path / ".duckdb").exists()  # no download attempted into an extension directory


def test_extension_error_is_one_line(db: Path) -> None:
    result = run(db, "select '1.2.3.4'::inet")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "inet extension" in lines[0] and "not installed or loaded" in lines[0], result.stderr


# --------------------------------------------------------------------------- timeout


def test_timeout_stops_a_runaway_query(db: Path) -> None:
    started = time.perf_counter()
    result = run(db, "select count(*) from range(100000000) a, range(100000000) b", "--timeout", "2")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: query stopped after 2 s (--timeout)"
    assert 1.5 < elapsed < 5, elapsed


def test_timeout_from_the_environment(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAREHOUSE_SQL_TIMEOUT", "0.5")
    started = time.perf_counter()
    result = run(db, "select * from range(100000000) a, range(100000000) b", "--csv")
    assert result.exit_code == 1 and "query stopped after 0.5 s (--timeout)" in result.stderr
    assert time.perf_counter() - started < 4
    monkeypatch.setenv("WAREHOUSE_SQL_TIMEOUT", "soon")
    assert run(db, "select 1").exit_code == 2


# --------------------------------------------------------------------------- --out


QUERY = "select i, g, s, d, flag, amount, ts from marts.t order by i"


def _expected(db: Path) -> pd.DataFrame:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(QUERY).df()
    finally:
        con.close()


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".sav", ".dta"])
def test_out_writes_the_whole_result(db: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / "sub" / f"rows{suffix}"
    result = run(db, QUERY, "--out", str(target))
    assert result.exit_code == 0, result.output
    notice = result.stderr.strip()
    assert notice.count("\n") == 0
    assert notice.startswith(f"wrote 1,000 rows x 7 columns to {target}: person-level data")
    assert "keep it inside the secure environment" in notice
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left
    expected = _expected(db)
    if suffix in (".parquet", ".csv"):
        back = duckdb.sql(f"select * from '{target}' order by i").df()
    else:
        back, _ = (pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta)(str(target))
    assert len(back) == 1000 and list(back.columns) == list(expected.columns)
    assert back["i"].astype(int).tolist() == expected["i"].tolist()
    assert back["g"].astype(int).tolist() == expected["g"].tolist()
    strings = back["s"].where(back["s"].notna() & (back["s"] != ""), None).tolist()
    assert strings == expected["s"].where(expected["s"].notna(), None).tolist()
    assert [float(x) for x in back["flag"]] == [float(x) for x in expected["flag"]]
    assert back["amount"].astype(float).fillna(-1).tolist() == expected["amount"].astype(float).fillna(-1).tolist()
    assert pd.to_datetime(back["d"]).tolist()[:7] == pd.to_datetime(expected["d"]).tolist()[:7]
    assert pd.isna(back["d"][7]) and pd.to_datetime(back["d"][999]) == pd.Timestamp("2002-09-26")
    assert pd.to_datetime(back["ts"]).tolist() == pd.to_datetime(expected["ts"]).tolist()


def test_out_refuses_what_it_cannot_write(db: Path, tmp_path: Path) -> None:
    bad = run(db, "select 1", "--out", str(tmp_path / "x.xlsx"))
    assert bad.exit_code == 2 and "--out FILE must end in .parquet, .csv, .sav, .dta" in bad.stderr
    nested = run(db, "select [1, 2] as l, 1 as n", "--out", str(tmp_path / "x.sav"))
    assert nested.exit_code == 1 and "column 'l' has type list<l: int32>, which .sav cannot hold" in nested.stderr
    # the unread result stream was closed: the warehouse opens again (it used to hang in duckdb.connect)
    assert run(db, "select count(*) from marts.t").exit_code == 0
    with_limit = run(db, QUERY, "--out", str(tmp_path / "x.csv"), "--limit", "5")
    assert with_limit.exit_code == 2
    refused = run(db, "copy marts.t to 'x.csv'", "--out", str(tmp_path / "x.csv"))
    assert refused.exit_code == 2 and "COPY statement refused" in refused.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- --csv and row limits


def test_csv_prints_every_row(db: Path) -> None:
    result = run(db, "select i, s from marts.t order by i", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["i", "s"] and len(rows) == 1001 and rows[-1] == ["999", "name 999"]
    assert rows[8] == ["7", ""]
    assert result.stderr == ""


def test_csv_limit_says_how_many_rows_are_shown(db: Path) -> None:
    result = run(db, "select i from marts.t order by i", "--csv", "--limit", "10")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["i", *map(str, range(10))]
    assert result.stderr.strip() == "showing 10 of 1,000 rows; use --limit N or --out FILE"


def test_table_limit_says_how_many_rows_are_shown(db: Path) -> None:
    result = run(db, "select i from marts.t")
    assert result.exit_code == 0
    assert result.stderr.strip() == "showing 200 of 1,000 rows; use --limit N or --out FILE"
    complete = run(db, "select i from marts.t", "--limit", "1000")
    assert complete.exit_code == 0 and complete.stderr == ""
