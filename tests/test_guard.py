"""SQL guard: a catalogue of attempted leaks and writes, each refused with the right reason."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from warehouse.guard import GuardError, check_export, check_frame_values, check_read_only, is_person_key

POP = "marts.dim_study_population"


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    con.execute(
        f"""
        create schema marts; create schema analytics; create schema seeds; create schema raw;
        create table {POP} (person_id varchar, study_group varchar, matched_offender_id varchar,
            sex varchar, birth_year integer, mother_id varchar, father_id varchar);
        insert into {POP} values ('R000000001', 'OFF', null, 'F', 1990, 'R000000101', null),
                                 ('R000000002', 'CC', 'R000000001', 'M', 1991, null, 'R000000202');
        create table marts.fct_offender_careers (person_id varchar, n_cases integer, onset_age integer);
        create table marts.kin (info struct(kind varchar, relative_id varchar), n integer);
        create table raw.gbapersoontab ("RINPERSOONS" varchar, "RINPERSOON" varchar, "GBAGESLACHT" varchar);
        create table analytics.fig_onset (study_group varchar, n bigint, pct double);
        insert into analytics.fig_onset values ('OFF', 225, 24.0), ('CC', 630, 10.0);
        create table seeds.sex (code varchar, label varchar);
        create view marts.v_pop as select person_id as pid, study_group from {POP};
        create view analytics.v_renamed as select md5(person_id) as token, count(*) as n from {POP} group by 1;
        create view analytics.v_rows as select study_group, birth_year from {POP};
        create view analytics.v_agg as select study_group, count(*) as n from {POP} group by 1;
        """
    )
    yield con
    con.close()


# (query, text that must appear in the refusal: the offending output column and its source)
LEAKS: list[tuple[str, str]] = [
    (f"select person_id as x from {POP}", "'x' derives from the person key marts.dim_study_population.person_id"),
    (f"select person_id from {POP} group by person_id", "'person_id' derives from the person key"),
    (f"with c as (select person_id as k from {POP}) select k from c", "'k' derives from the person key marts.dim_study_population.person_id"),
    (f"with a as (select person_id p from {POP}), b as (select p as q from a) select q, count(*) from b group by q",
     "'q' derives from the person key marts.dim_study_population.person_id"),
    (f"select y from (select z as y from (select person_id as z from {POP}))", "'y' derives from the person key"),
    (f"select * from {POP}", "'person_id' derives from the person key marts.dim_study_population.person_id"),
    (f"select p.* from {POP} p", "'person_id' derives from the person key"),
    (f"select * exclude (person_id) from {POP}", "'matched_offender_id' derives from the person key"),
    (f"select 'id:' || person_id as tag, count(*) from {POP} group by 1", "'tag' derives from the person key marts.dim_study_population.person_id"),
    (f"select concat('x', mother_id) as m from {POP}", "'m' derives from the person key marts.dim_study_population.mother_id"),
    (f"select md5(person_id) as h from {POP}", "'h' derives from the person key marts.dim_study_population.person_id"),
    (f"select hash(father_id) as h, count(*) from {POP} group by 1", "'h' derives from the person key marts.dim_study_population.father_id"),
    (f"select substr(person_id, 2) as s from {POP}", "'s' derives from the person key"),
    (f"select cast(substr(person_id, 2) as bigint) + 0 as n from {POP}", "'n' derives from the person key"),
    (f"select min(person_id) as first_id from {POP}", "'first_id' derives from the person key marts.dim_study_population.person_id"),
    (f"select string_agg(person_id, ',') as ids from {POP}", "'ids' derives from the person key"),
    (f"select list(matched_offender_id) as l from {POP}", "'l' derives from the person key marts.dim_study_population.matched_offender_id"),
    (f"select case when sex = 'F' then person_id else 'x' end as c from {POP}", "'c' derives from the person key"),
    (f"select count(*) as n from {POP} group by person_id", "GROUP BY"),
    (f"select count(*) as n from {POP} group by md5(person_id)", "person key marts.dim_study_population.person_id"),
    (f"select sum(n_cases) from marts.fct_offender_careers group by person_id", "per-person aggregates"),
    (f"select study_group, count(*) from {POP} group by study_group union all select person_id, 1 from {POP}",
     "derives from the person key marts.dim_study_population.person_id"),
    (f"select (select max(person_id) from {POP}) as m, count(*) from analytics.fig_onset", "'m' derives from the person key"),
    (f"select u from {POP}, unnest([person_id]) t(u)", "'u' derives from the person key"),
    ("select pid from marts.v_pop", "'pid' derives from the person key marts.dim_study_population.person_id"),
    ('select "RINPERSOON" || "RINPERSOONS" as k from raw.gbapersoontab', "raw.gbapersoontab.rinpersoon"),
    ("select lower(rinpersoon) as k, count(*) from raw.gbapersoontab group by 1", "raw.gbapersoontab.rinpersoon"),
    ("select info, count(*) from marts.kin group by 1", "marts.kin.info"),
    (f"select person_id = 'R000000001' as probe from {POP}", "'probe' derives from the person key"),
    ("select token from analytics.v_renamed", "'token' derives from the person key marts.dim_study_population.person_id"),
    # person-level rows without a key column
    ("select * from analytics.v_rows", "rows of analytics.v_rows without aggregating"),
    (f"select study_group, sex, birth_year from {POP}", "without aggregating"),
    (f"select onset_age from marts.fct_offender_careers limit 5", "without aggregating"),
    (f"select distinct birth_year from {POP}", "without aggregating"),
    (f"select count(*) over () as n, sex from {POP}", "without aggregating"),
    (f"select x from {POP} x", "whole row"),
    (f"select to_json(p) as j, count(*) from {POP} p group by 1", "whole row"),
    (f"select columns('.*_id') from {POP}", "COLUMNS"),
    ("select study_group, count(*) from nowhere.t group by 1", "nowhere"),
    # writes and file access are refused before lineage
    (f"insert into {POP} values ('a')", "INSERT"),
    ("copy (select 1) to '/tmp/x.csv'", "COPY"),
    ("select * from read_csv('/etc/passwd')", "read_csv"),
]

ALLOWED = [
    f"select study_group, count(*) as n from {POP} group by study_group",
    f"select study_group, sex, count(*) n, avg(birth_year) from {POP} group by all",
    f"select count(*) as n, count(distinct person_id) as persons, count(mother_id) as with_mother from {POP}",
    f"select study_group, sum((mother_id is not null)::int) as known_mothers from {POP} group by 1",
    f"select quantile_cont(birth_year, 0.5) as median_birth_year from {POP}",
    f"with per_person as (select person_id, sum(n_cases) as n from marts.fct_offender_careers group by person_id) "
    "select avg(n) as mean_cases, max(n) as max_cases from per_person",
    f"select study_group, count(*) from {POP} where person_id in (select person_id from marts.fct_offender_careers) group by 1",
    "select * from analytics.fig_onset",
    "select * from analytics.v_agg",
    "select study_group, n from analytics.fig_onset where pct > 5 order by n",
    "select f.*, s.label from analytics.fig_onset f left join seeds.sex s on s.code = f.study_group",
    f"select study_group, count(*) from {POP} group by 1 union all select study_group, n from analytics.fig_onset",
    "values (1, 'a')",
    "select 42 as answer",
]


@pytest.mark.parametrize(("query", "reason"), LEAKS, ids=[q[:60] for q, _ in LEAKS])
def test_export_leak_is_refused(con: duckdb.DuckDBPyConnection, query: str, reason: str) -> None:
    with pytest.raises(GuardError) as error:
        check_export(query, con)
    assert reason.lower() in str(error.value).lower(), str(error.value)


@pytest.mark.parametrize("query", ALLOWED, ids=[q[:60] for q in ALLOWED])
def test_export_aggregate_is_allowed(con: duckdb.DuckDBPyConnection, query: str) -> None:
    check_export(query, con)
    con.execute(query).fetchall()  # and it is valid DuckDB


WRITES: list[tuple[str, str]] = [
    ("insert into marts.t values (1)", "INSERT"),
    ("update marts.t set a = 1", "UPDATE"),
    ("delete from marts.t", "DELETE"),
    ("create table x as select 1", "CREATE"),
    ("create or replace view v as select 1", "CREATE"),
    ("create macro m(a) as a", "CREATE"),
    ("drop table marts.t", "DROP"),
    ("alter table marts.t add column y int", "ALTER"),
    ("truncate marts.t", "TRUNCATE"),
    ("merge into a using b on a.x = b.x when matched then delete", "MERGE"),
    ("copy marts.t to '/tmp/t.csv'", "COPY"),
    ("copy (select * from marts.t) to '/tmp/t.parquet' (format parquet)", "COPY"),
    ("copy marts.t from '/tmp/t.csv'", "COPY"),
    ("attach 'other.duckdb' as o", "ATTACH"),
    ("detach o", "DETACH"),
    ("install httpfs", "INSTALL"),
    ("load httpfs", "LOAD"),
    ("set threads = 1", "SET"),
    ("reset threads", "RESET"),
    ("set variable v = 1", "SET"),
    ("export database '/tmp/x'", "EXPORT"),
    ("import database '/tmp/x'", "IMPORT"),
    ("call pragma_version()", "CALL"),
    ("pragma threads = 4", "PRAGMA"),
    ("pragma enable_profiling", "PRAGMA"),
    ("checkpoint", "CHECKPOINT"),
    ("vacuum", "VACUUM"),
    ("use marts", "USE"),
    ("begin", "BEGIN"),
    ("select 1; drop table marts.t", "DROP"),
    ("explain analyze delete from marts.t", "DELETE"),
    ("select * from read_csv('/etc/passwd')", "read_csv"),
    ("select * from read_csv_auto('data.csv')", "read_csv_auto"),
    ("select * from read_parquet('s3://bucket/x.parquet')", "read_parquet"),
    ("select * from read_json('https://example.org/x.json')", "read_json"),
    ("select * from glob('/home/*')", "glob"),
    ("select content from read_text('/etc/passwd')", "read_text"),
    ("select * from '/etc/passwd'", "/etc/passwd"),
    ("select * from 'https://example.org/data.csv'", "https://example.org/data.csv"),
    ('select * from "rows.parquet"', "rows.parquet"),
    ("select * from query('select 1')", "query"),
    ("select * from duckdb_secrets()", "duckdb_secrets"),
    ("select getenv('HOME')", "getenv"),
    ("select * from sqlite_scan('x.db', 't')", "sqlite_scan"),
    # the figure table macros read the relation their first argument names: a plain name only
    ("select * from marts.group_summary('rows.csv')", "group_summary"),
    ('select * from marts.group_summary("rows.csv")', "group_summary"),
    ("select * from marts.before_after_summary(read_csv('x.csv'))", "before_after_summary"),
    ("select * from group_summary(long)", "group_summary"),
]

READS = [
    "select * from marts.t",
    "with a as (select 1 as x) select x from a",
    "select 1 union all select 2",
    "values (1), (2)",
    "describe marts.t",
    "show tables",
    "summarize marts.t",
    "explain select * from marts.t",
    "pragma table_info('marts.t')",
    "pragma show_tables",
    "from marts.t select a limit 5",
    "select * from range(10) t(i)",
    "select * from duckdb_tables()",
    "select 'a/b.csv' as not_a_file",
    "select 1; select 2",
    "with long as (select 1 as x) select * from marts.group_summary(long, pairwise := true)",
    "with wide as (select 1 as x) select * from marts.before_after_summary(wide)",
]


@pytest.mark.parametrize(("sql", "kind"), WRITES, ids=[s for s, _ in WRITES])
def test_read_only_refuses(sql: str, kind: str) -> None:
    with pytest.raises(GuardError) as error:
        check_read_only(sql)
    assert kind.lower() in str(error.value).lower(), str(error.value)


@pytest.mark.parametrize("sql", READS)
def test_read_only_allows_reads(sql: str) -> None:
    assert check_read_only(sql)


def test_person_key_names() -> None:
    for name in ["person_id", "RINPERSOON", "rinpersoons", "RINPERSOONPA", "RinPersoonMa", "mother_id",
                 "matched_offender_id", "sibling_id", "partner_person_id"]:
        assert is_person_key(name), name
    for name in ["case_id", "study_group", "n", "household_spell_id", "persons"]:
        assert not is_person_key(name), name
    assert is_person_key("kin", "STRUCT(kind VARCHAR, relative_id VARCHAR)")


def test_frame_values_check() -> None:
    check_frame_values(["study_group", "n"], [("OFF", 225)])
    with pytest.raises(GuardError, match="'code'"):
        check_frame_values(["code", "n"], [("R000000001", 5)])
    with pytest.raises(GuardError, match="person key"):
        check_frame_values(["person_id"], [])


def test_export_writes_csv_and_refuses_leaks(tmp_path, con: duckdb.DuckDBPyConnection) -> None:  # type: ignore[no-untyped-def]
    import warnings

    import typer
    from typer.testing import CliRunner

    from warehouse.commands.export import export
    from warehouse.export import export_query

    out = tmp_path / "groups.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = export_query(con, "select * from analytics.fig_onset order by n", out)
    assert result.rows == 2 and out.read_text().splitlines()[0] == "study_group,n,pct"
    leak = tmp_path / "leak.csv"
    with pytest.raises(GuardError, match="person key"):
        export_query(con, f"select person_id, count(*) from {POP} group by all", leak)
    assert not leak.exists()

    db = tmp_path / "w.duckdb"
    con.execute(f"attach '{db}' as w; create schema w.marts; create table w.marts.p as select * from {POP}; detach w")
    app = typer.Typer()
    app.command()(export)
    runner = CliRunner()
    ok = runner.invoke(app, ["select count(*) as n from marts.p", "--out", str(tmp_path / "n.csv"), "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(app, ["select md5(person_id) from marts.p", "--out", str(tmp_path / "x.csv"), "--db", str(db)])
    assert refused.exit_code == 2 and not (tmp_path / "x.csv").exists()
