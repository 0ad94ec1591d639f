"""`warehouse publish` against a real PostgreSQL server (Debian postgresql package) and real clients."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

psycopg = pytest.importorskip("psycopg")
from psycopg import errors, sql  # noqa: E402

from warehouse.guard import PERSON_KEY_VALUE_RE, GuardError, is_person_key  # noqa: E402
from warehouse.publish import SLEEP_ENV, PublishRefused, publish  # noqa: E402

SUPER_PASSWORD = "super-secret"
BI_PASSWORD = "bi-secret"
ROLE = "analytics_reader"


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[dict[str, str]]:
    """A throw-away PostgreSQL cluster on a free 127.0.0.1 port (socket dir in tmp)."""
    bindir = _bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip("PostgreSQL server binaries not found: apt-get install -y postgresql")
    root = Path(tempfile.mkdtemp(prefix="warehouse-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        prefix = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    data, log = root / "data", root / "server.log"
    pwfile = root / "pw"
    pwfile.write_text(SUPER_PASSWORD + "\n")
    if prefix:
        shutil.chown(pwfile, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        prefix + [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={pwfile}",
                  "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-locale"],
        check=True, capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c shared_buffers=16MB"
    subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
                   check=True, capture_output=True)
    base = f"postgresql://postgres:{SUPER_PASSWORD}@127.0.0.1:{port}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as con:
        con.execute("create database bi")
    try:
        yield {"url": f"{base}/bi", "port": str(port), "bindir": str(bindir),
               "bi_url": f"postgresql://bi_user:{BI_PASSWORD}@127.0.0.1:{port}/bi"}
    finally:
        subprocess.run(prefix + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _analytics_db(path: Path, n_tables: int = 0, offset: int = 0) -> Path:
    con = duckdb.connect(str(path))
    con.execute(
        f"""
        create schema analytics; create schema marts;
        create table marts.dim_study_population (person_id varchar, study_group varchar, mother_id varchar);
        insert into marts.dim_study_population values ('R000000001', 'OFF', 'R000000009'), ('R000000002', 'CC', null);
        create table analytics.fig_offending_by_age (study_group varchar, age integer, n bigint, pct double);
        insert into analytics.fig_offending_by_age
            select g, a, (a * 5 + 2 + {offset}) * 5, round(100.0 * a / 40, 1)
            from (values ('OFF'), ('CC'), ('NCC')) s(g), range(12, 40) r(a);
        create table analytics.fig_group_sizes (study_group varchar, n bigint);
        insert into analytics.fig_group_sizes values ('OFF', 630), ('CC', 3150), ('NCC', 3150 + {offset * 5});
        comment on table analytics.fig_group_sizes is 'Study group sizes (rounded to 5)';
        comment on column analytics.fig_group_sizes.n is 'Number of persons, rounded to a multiple of 5';
        create table analytics.fct_control_match_quality (control_group varchar, matching_variable varchar, match_rate double);
        insert into analytics.fct_control_match_quality values ('CC', 'sex', 100.0), ('NCC', 'birth_year', 98.5);
        create table analytics.meta_figures (table_name varchar, title varchar);
        insert into analytics.meta_figures values ('fig_offending_by_age', 'Figure 2: offending by age and study group');
        """
    )
    for i in range(n_tables):
        con.execute(f"create table analytics.extra_{i:02d} as select i as bin, (i * 5 + 2 + {offset}) * 5 as n from range(50) t(i)")
    _log_as_released(con)
    con.close()
    return path


def _log_as_released(con: duckdb.DuckDBPyConnection) -> None:
    """Record the hand-made analytics tables in the output log, as `warehouse report` records its own."""
    import uuid

    from warehouse.outputs import store

    tables = con.execute("select table_name, estimated_size from duckdb_tables() where schema_name = 'analytics'"
                         ).fetchall()
    entries = []
    for name, _ in tables:
        rows = con.execute(f'select count(*) from analytics."{name}"').fetchone()[0]
        entries.append({"output_id": f"test-{name}-{uuid.uuid4().hex}", "released_at": "2026-01-01T00:00:00+00:00",
                        "released_by": "test", "command": "report", "target": f"analytics.{name}",
                        "query": "", "profile": "cbs", "rows_released": rows, "rows_dropped": 0,
                        "cells_suppressed": 0, "smallest_cell_persons": None, "columns": {}, "suppressed": {}})
    store(con, entries)


def _checksums(url: str, schema: str = "analytics") -> dict[str, str]:
    with psycopg.connect(url) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = %s order by 1", [schema])]
        return {
            t: con.execute(sql.SQL("select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from {} x")
                           .format(sql.Identifier(schema, t))).fetchone()[0]
            for t in tables
        }


def _metadata(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as con:
        return con.execute(
            """
            select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), obj_description(c.oid, 'pg_class'),
                   col_description(c.oid, a.attnum), has_table_privilege(%s, c.oid, 'SELECT'),
                   has_table_privilege(%s, c.oid, 'INSERT')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
            where n.nspname = 'analytics' order by 1, 2
            """,
            [ROLE, ROLE],
        ).fetchall()


@pytest.fixture(scope="module")
def published(pg_server: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    db = _analytics_db(tmp_path_factory.mktemp("publish") / "warehouse.duckdb")
    result = publish(db, pg_server["url"])
    with psycopg.connect(pg_server["url"], autocommit=True) as con:
        con.execute(f"create role bi_user login password '{BI_PASSWORD}' in role {ROLE}")
        con.execute("create schema secret")
        con.execute("create table secret.persons as select 'R000000001'::text as person_id")
        con.execute("create table public.staff as select 1 as id")
    return {"db": db, "result": result, **pg_server}


def test_publish_copies_every_analytics_table(published: dict[str, object]) -> None:
    result = published["result"]
    assert set(result.tables) == {"fig_offending_by_age", "fig_group_sizes", "fct_control_match_quality", "meta_figures"}
    print(f"publish of {len(result.tables)} tables: {result.seconds:.2f} s")
    duck = duckdb.connect(str(published["db"]), read_only=True)
    with psycopg.connect(str(published["bi_url"])) as con:
        for table in result.tables:
            expected = sorted(duck.execute(f"select * from analytics.{table}").fetchall())
            got = sorted(tuple(r) for r in con.execute(sql.SQL("select * from {}").format(sql.Identifier("analytics", table))))
            assert got == expected, table
    duck.close()


def test_comments_from_dbt_docs_titles_and_duckdb(published: dict[str, object]) -> None:
    comments = {(r[0], r[1]): (r[3], r[4]) for r in _metadata(str(published["url"]))}
    assert comments[("fig_offending_by_age", "n")][0] == "Figure 2: offending by age and study group"
    assert comments[("fig_group_sizes", "n")] == ("Study group sizes (rounded to 5)",
                                                  "Number of persons, rounded to a multiple of 5")
    assert comments[("fct_control_match_quality", "match_rate")][0].startswith("One row per control group")
    assert comments[("meta_figures", "title")][0].startswith("Disclosure-controlled aggregate table")


def test_bi_user_reads_but_cannot_write_or_escape(published: dict[str, object]) -> None:
    attempts = [
        "create table analytics.x (i int)",
        "create table public.x (i int)",
        "create schema mine",
        "insert into analytics.fig_group_sizes values ('X', 5)",
        "update analytics.fig_group_sizes set n = 0",
        "delete from analytics.fig_group_sizes",
        "truncate analytics.fig_group_sizes",
        "drop table analytics.fig_group_sizes",
        "alter table analytics.fig_group_sizes add column y int",
        "select * from secret.persons",
        "select * from public.staff",
        "comment on table analytics.fig_group_sizes is 'x'",
    ]
    with psycopg.connect(str(published["bi_url"]), autocommit=True) as con:
        assert con.execute("select count(*) from analytics.fig_offending_by_age").fetchone()[0] == 84
        for statement in attempts:
            with pytest.raises((errors.InsufficientPrivilege, errors.WrongObjectType)):
                con.execute(statement)
        # GRANT by a non-owner only warns "no privileges were granted": check it had no effect
        con.execute("grant select on analytics.fig_group_sizes to public")
        assert not con.execute("select has_table_privilege('public', 'analytics.fig_group_sizes', 'SELECT')").fetchone()[0]
        # the database of published tables is not a place to create anything
        assert not con.execute("select has_database_privilege(current_user, current_database(), 'CREATE')").fetchone()[0]


def test_psql_client(published: dict[str, object]) -> None:
    psql = Path(str(published["bindir"])) / "psql"
    if not psql.exists():
        psql = Path(shutil.which("psql") or "psql")
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}

    def run(statement: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(psql), str(published["bi_url"]), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement],
                              capture_output=True, text=True, env=env, timeout=30)

    listing = run("select table_name from information_schema.tables where table_schema = 'analytics' order by 1")
    assert listing.returncode == 0, listing.stderr
    tables = listing.stdout.split()
    assert tables == sorted(published["result"].tables)
    for table in tables:
        assert run(f"select count(*) from analytics.{table}").returncode == 0
    assert run("select sum(n) from analytics.fig_group_sizes").stdout.strip() == "6930"
    for statement in ["create table analytics.y (i int)", "create table public.y (i int)",
                      "insert into analytics.fig_group_sizes values ('X', 5)", "delete from analytics.fig_group_sizes",
                      "update analytics.fig_group_sizes set n = 1", "select * from secret.persons"]:
        refused = run(statement)
        assert refused.returncode != 0 and "permission denied" in refused.stderr, (statement, refused.stderr)


def test_no_person_keys_published(published: dict[str, object]) -> None:
    with psycopg.connect(str(published["url"])) as con:
        columns = con.execute(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = 'analytics'"
        ).fetchall()
        assert columns
        for table, column, data_type in columns:
            assert not is_person_key(column), (table, column)
            values = con.execute(sql.SQL("select {}::text from {}").format(
                sql.Identifier(column), sql.Identifier("analytics", table))).fetchall()
            assert not any(v is not None and PERSON_KEY_VALUE_RE.match(v) for (v,) in values), (table, column)
        assert "dim_study_population" not in {t for t, _, _ in columns}


def test_publish_twice_is_identical(published: dict[str, object]) -> None:
    url = str(published["url"])
    before, meta_before = _checksums(url), _metadata(url)
    result = publish(Path(str(published["db"])), url)
    print(f"republish: {result.seconds:.2f} s")
    assert _checksums(url) == before
    assert _metadata(url) == meta_before
    with psycopg.connect(url) as con:
        assert con.execute("select count(*) from pg_namespace where nspname like 'analytics\\_\\_%'").fetchone()[0] == 0
    with psycopg.connect(str(published["bi_url"])) as con:  # grants survive the swap
        assert con.execute("select count(*) from analytics.fig_group_sizes").fetchone()[0] == 3


def test_killed_publish_leaves_previous_schema(published: dict[str, object], tmp_path: Path) -> None:
    url = str(published["url"])
    before = _checksums(url)
    bigger = _analytics_db(tmp_path / "bigger.duckdb", n_tables=6, offset=1)
    script = (
        "import sys; from pathlib import Path; from warehouse.publish import publish\n"
        "publish(Path(sys.argv[1]), sys.argv[2], progress=lambda m: print(m, flush=True))\n"
    )
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", script, str(bigger), url], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, SLEEP_ENV: "0.5"})
    try:
        assert proc.stdout is not None
        loaded = 0
        for line in proc.stdout:
            loaded += line.startswith("loaded")
            if loaded >= 3:
                break
        assert loaded >= 3, "the publish subprocess never started loading"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # the old schema is intact and readable by BI users, and the half-loaded staging schema is gone
    assert _checksums(url) == before
    with psycopg.connect(str(published["bi_url"])) as con:
        assert con.execute("select count(*) from analytics.fig_offending_by_age").fetchone()[0] == 84
    with psycopg.connect(url) as con:
        assert con.execute("select count(*) from pg_namespace where nspname like 'analytics\\_\\_%'").fetchone()[0] == 0
    # and the next publish goes through (the advisory lock died with the killed session)
    result = publish(bigger, url)
    assert len(result.tables) == 10 and _checksums(url) != before
    publish(Path(str(published["db"])), url)
    assert _checksums(url) == before
    print(f"kill test: {time.perf_counter() - started:.2f} s")


def test_person_key_table_is_refused_before_postgres(published: dict[str, object], tmp_path: Path) -> None:
    url = str(published["url"])
    before = _checksums(url)
    db = _analytics_db(tmp_path / "leaky.duckdb")
    con = duckdb.connect(str(db))
    con.execute("create table analytics.leak as select person_id as pid, study_group from marts.dim_study_population")
    con.execute("create view analytics.leak_view as select md5(person_id) as token, count(*) as n "
                "from marts.dim_study_population group by 1")
    con.close()
    with pytest.raises(PublishRefused, match="not released through the output gate"):
        publish(db, url)
    con = duckdb.connect(str(db))  # a forged log entry: the person-key checks still stand behind it
    con.execute("drop view analytics.leak_view")
    _log_as_released(con)
    con.close()
    with pytest.raises(GuardError, match="holds a value shaped like a person key|person key"):
        publish(db, url)
    assert _checksums(url) == before


def test_report_then_publish_end_to_end(pg_server: dict[str, str], generated_warehouse: Path, tmp_path: Path) -> None:
    """`warehouse report` releases through the gate and logs; publish takes exactly those tables, the BI role
    reads them, and a person-level table slipped into analytics afterwards stops the next publish."""
    from warehouse.db import connect
    from warehouse.report import run_report

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(generated_warehouse / "warehouse.duckdb", db)
    con = connect(db)
    try:
        report = run_report(con, tmp_path / "report")
    finally:
        con.close()
    result = publish(db, pg_server["url"], schema="e2e", bi_role="e2e_reader")
    assert set(result.tables) == set(report.analytics_tables)
    with psycopg.connect(pg_server["url"], autocommit=True) as pg:
        figures = {r[0] for r in pg.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'e2e'")}
        assert figures == set(report.analytics_tables)
        rows = pg.execute("select count(*) from e2e.fig_3_01_sex").fetchone()[0]
    assert rows == result.tables["fig_3_01_sex"] > 0
    con = duckdb.connect(str(db))
    con.execute("create table analytics.slipped_in as select sex, count(*) as n from marts.fct_person_background "
                "group by sex")
    con.close()
    before = _checksums(pg_server["url"], "e2e")
    with pytest.raises(PublishRefused, match="slipped_in was not released"):
        publish(db, pg_server["url"], schema="e2e", bi_role="e2e_reader")
    assert _checksums(pg_server["url"], "e2e") == before
