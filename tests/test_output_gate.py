"""The output gate (warehouse.gate): a catalogue of attack queries, each refused or released safely (asserted on
the bytes `warehouse export` writes), and a property test over generated aggregate queries whose persons per
cell are computed independently here."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from warehouse.db import connect
from warehouse.export import export_query
from warehouse.gate import COUNT, GateError, release
from warehouse.guard import GuardError

POP = "marts.dim_study_population"
BG = "marts.fct_person_background"
CAR = "marts.fct_offender_careers"


@pytest.fixture(scope="module")
def db(generated_warehouse: Path) -> Path:
    return generated_warehouse / "warehouse.duckdb"


@pytest.fixture(scope="module")
def con(reported: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One read-only connection for the module (DuckDB shares one database instance per file and process)."""
    con = connect(reported, read_only=True)
    yield con
    con.close()


def _a_person(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute(f"select min(person_id) from {POP}").fetchone()[0]


# (query, words of the refusal). Every kind of the issue plus our own.
REFUSED: list[tuple[str, str]] = [
    # person keys in any disguise
    (f"select person_id, count(*) from {POP} group by 1", "person key"),
    (f"select md5(person_id) as h, count(*) from {POP} group by 1", "person key"),
    (f"select count(*) as n from {POP} group by hash(person_id) % 10", "person key"),
    (f"select string_agg(person_id, ',') as ids from {POP}", "person key"),
    (f"select sum(cast(substr(person_id, 2) as bigint)) as s from {POP}", "person key"),
    (f"select t.x from range((select count(*) from {POP})) t(x)", "table function"),
    (f"select count(*) from generate_series(1, (select max(birth_year) from {POP}))", "table function"),
    # lookups of a person
    (f"select count(*) as n from {POP} where person_id = 'R000000001'", "predicate"),
    (f"select avg(birth_year) as y from {POP} where person_id in ('R000000001', 'R000000002')", "predicate"),
    (f"select count(*) from {POP} where person_id like 'R0000001%'", "predicate"),
    (f"select count(*) from {POP} where person_id > 'R000000500' and person_id < 'R000000502'", "predicate"),
    (f"select count(*) from {POP} where substr(person_id, 2, 3) = '000'", "predicate"),
    (f"select count(*) from {POP} p join {BG} b on b.person_id = p.person_id where p.mother_id = 'R000000009'",
     "predicate"),
    (f"select sex, count(*) from {POP} group by sex having max(person_id) = 'R000000001'", "person key"),
    # aggregates that return a person's own values
    (f"select max(birth_year) as m from {POP}", "max()"),
    (f"select sex, min(birth_date) as d from {POP} group by sex", "min()"),
    (f"select arg_max(birth_date, birth_year) as d from {POP}", "arg_max"),
    (f"select any_value(birth_date) as d from {POP} group by sex", "any_value"),
    (f"select first(birth_date) as d from {POP}", "first"),
    (f"select string_agg(cast(birth_date as varchar), ',') as dates from {POP}", "string_agg"),
    (f"select list(birth_date) as dates from {POP}", "array_agg"),
    (f"select histogram(birth_year) as h from {POP}", "histogram"),
    (f"select mode(birth_year) as m from {POP}", "mode"),
    (f"select quantile_disc(birth_year, 0.5) as m from {POP}", "percentile_disc"),
    # scaled, cast and combined counts
    (f"select count(*) * 1000 as persons from {POP}", "arithmetic"),
    (f"select cast(count(*) as varchar) as persons from {POP}", "text"),
    (f"select count(*)::varchar || '' as persons from {POP}", "refused"),
    (f"select 100.0 * count_if(sex = 'female') / count(*) as pct from {POP}", "arithmetic"),
    (f"select count(*) - 3 as n from {POP}", "arithmetic"),
    (f"select count(*) + sum(birth_year) as n from {POP}", "arithmetic"),
    (f"select (select count(*) from {POP}) - (select count(*) from {POP} where sex = 'male') as diff",
     "aggregat"),
    (f"with c as (select sex, count(*) as n from {POP} group by sex) select sex, n * 7 as n from c",
     "arithmetic"),
    (f"with c as (select sex, count(*) as n from {POP} group by sex) select sum(n) as total from c",
     "aggregates over aggregated rows"),
    (f"select sex, count(*) over () as n from {POP} group by sex", "window"),
    # filters that pin an unrounded count down
    (f"select sex, count(*) as n from {POP} group by sex having count(*) = 7", "filter"),
    (f"select sex, count(*) as n from {POP} group by sex having count(*) between 300 and 301", "filter"),
    (f"with c as (select sex, count(*) as n from {POP} group by sex) select sex from c where n = 1234", "filter"),
    (f"select sex, count(*) as n from {POP} group by sex having count(*) > 350", "filter"),
    # ordering and picking cells by unrounded values
    (f"select sex, count(*) as n from {POP} group by sex order by n limit 1", "order by"),
    (f"select sex, count(*) as n from {POP} group by sex order by count(*) desc", "order by"),
    (f"select sex, count(*) as n from {POP} group by sex qualify row_number() over (order by count(*)) = 1",
     "qualify"),
    (f"with c as (select sex, avg(birth_year) as m from {POP} group by sex) select sex from c order by m limit 1",
     "order by"),
    (f"pivot (select sex, study_group from {POP}) on sex using count(*)", "pivot"),
    (f"select sex, approx_quantile(birth_year, 0.5) as m from {POP} group by sex", "approx_quantile"),
    (f"select sex, avg(birth_year) over (partition by sex) as m from {POP}", "person-level rows"),
    # person-level rows
    (f"select birth_date, sex from {POP}", "person-level rows"),
    (f"with r as (select sex, birth_year from {POP}) select * from r", "person-level rows"),
    (f"select p.* exclude (person_id, matched_offender_id, mother_id, father_id) from {POP} p", "person-level rows"),
    ("select * from raw.gbapersoontab", "person key"),
    # aggregates laundered through person rows
    (f"with c as (select sex, count(*) as n from {POP} group by sex) "
     f"select p.study_group, avg(c.n) as m from {POP} p join c on c.sex = p.sex group by 1", "aggregated rows"),
    (f"select study_group, avg((select count(*) from {POP} where sex = 'x')) as m from {POP} group by 1",
     "refused"),
    # files, writes, settings and macros
    ("select * from read_csv('/etc/passwd')", "read_csv"),
    ("select count(*) from '/etc/passwd'", "file"),
    ("copy (select 1) to '/tmp/x.csv'", "COPY"),
    (f"create table marts.x as select * from {POP}", "CREATE"),
    ("attach '/tmp/other.duckdb' as o", "ATTACH"),
    ("set threads = 1", "SET"),
    (f"select count(*) from {POP}; select count(*) from {POP}", "exactly one query"),
    (f"with long as (select person_id as profile, study_group, 'm' as measure, sex as category, 1 as "
     f"category_order, cast(null as double) as value from {POP}) select * from marts.group_summary(long)",
     "person key"),
    ("select * from marts.group_summary('/etc/passwd')", "refused"),
    (f"select __g_n0 from (select count(*) as __g_n0 from {POP})", "reserved"),
    ("select count(*) from nowhere.t", "nowhere"),
]

# released, but only what is safe: (query, the column whose cells must all be suppressed or dropped)
SAFE: list[tuple[str, str | None]] = [
    # the README's own example: small cells under any name are suppressed, not released
    ("select n_siblings, count(*) as persons from marts.dim_person_kin_counts "
     "where has_known_mother and has_known_father group by all order by all", None),
    (f"select sex, birth_date, count(*) as k from {POP} group by all", "k"),  # quasi-identifiers: rows dropped
    (f"select birth_date, sex, count(*) as c from {CAR} group by all", "c"),
    (f"select birth_date, sex, first_offence_date, count(*) as n from {CAR} group by all", "n"),
    (f"select study_group, avg(birth_year) as m from {POP} where birth_year = 1950 group by 1", None),
    (f"select sex, count_if(birth_year = 1987) as rare from {POP} group by 1", None),
    (f"select sex, sum(case when birth_year = 1987 then 1 else 0 end) as rare from {POP} group by 1", None),
    (f"select study_group, sum(n_cases_12_35) as cases, avg(n_cases_12_35) as mean_cases from {CAR} "
     f"join {POP} using (person_id) group by 1", None),
    (f"select count(*) as n, count(distinct person_id) as persons from {POP}", None),
    (f"select study_group, sex, count(*) as n from {POP} group by all", None),
    (f"with per_person as (select person_id, sum(n_cases_12_35) as c from {CAR} group by person_id) "
     "select avg(c) as mean_cases, count(*) as n from per_person", None),
    (f"select b.sex, count(*) as n from {POP} p join {BG} b on b.person_id = p.mother_id group by 1", None),
    (f"select study_group, count(*) as n from {POP} group by 1 having count(*) >= 10", None),
    ("select * from analytics.fig_3_01_sex", None),
    (f"select distinct birth_date from {POP}", None),  # only dates shared by 10 or more persons leave
    # exact counts inside a test's result are counts: rounded and thresholded like any other
    (f"select sex, (mcnemar_test(list(birth_year > 1980), list(birth_year > 1981))).n_01 as discordant, "
     f"(mcnemar_test(list(birth_year > 1980), list(birth_year > 1981))).p_value as p from {POP} group by sex", None),
]


@pytest.fixture(scope="module")
def reported(db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report run on the warehouse (fills analytics and the output log), for the analytics case."""
    from warehouse.report import run_report

    con = connect(db)
    try:
        run_report(con, tmp_path_factory.mktemp("report"))
    finally:
        con.close()
    return db


@pytest.mark.parametrize(("query", "words"), REFUSED, ids=[q[:70] for q, _ in REFUSED])
def test_attack_is_refused_and_writes_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path, query: str,
                                              words: str) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises((GateError, GuardError)) as error:
        export_query(con, query, out)
    assert words.lower() in str(error.value).lower(), str(error.value)
    assert "\n" not in str(error.value)  # one line
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize(("query", "small_column"), SAFE, ids=[q[:70] for q, _ in SAFE])
def test_release_is_safe_on_the_bytes(con: duckdb.DuckDBPyConnection, tmp_path: Path, query: str,
                                      small_column: str | None) -> None:
    gated = release(con, query)
    out = tmp_path / "out.csv"
    export_query(con, query, out)
    written = pd.read_csv(out)
    assert len(written) == len(gated.frame)
    for column, kind in gated.classes.items():
        if COUNT in kind:
            values = pd.to_numeric(written[column], errors="coerce").dropna()
            assert (values % 5 == 0).all() and (values >= 10).all(), column
        if kind in ("constant", "key"):
            continue
        persons = gated.persons[column].to_numpy()
        released = gated.frame[column].notna().to_numpy()
        assert (persons[released] >= 10).all(), column
    if small_column is not None:  # one person a row: nothing may come out
        assert written.empty or written[small_column].isna().all()
        assert gated.rows_dropped > 0
    assert (out.with_name(out.name + ".log.json")).exists()


def test_quasi_identifier_rows_leave_no_keys(con: duckdb.DuckDBPyConnection) -> None:
    """431-rows attack of the issue: birth date x sex x first offence date, count blanked: no row leaves."""
    query = f"select birth_date, sex, first_offence_date, count(*) as n from {CAR} group by all"
    gated = release(con, query)
    total = con.execute(f"select count(*) from ({query})").fetchone()[0]
    assert total > 50
    assert len(gated.frame) == 0 and gated.rows_dropped == total


def test_key_lookup_cannot_be_smuggled_through_a_cte(con: duckdb.DuckDBPyConnection) -> None:
    person = _a_person(con)
    with pytest.raises(GateError, match="predicate"):
        release(con, f"with one as (select * from {POP} where person_id = '{person}') "
                     "select sex, avg(birth_year) as m from one group by 1")


def test_dominance_rules_on_handmade_cells() -> None:
    """p%/n-k (ACRO's rules and defaults): a sum that two contributions make up is suppressed; hand-derived."""
    from warehouse.gate import STAT, Plan, apply_rules
    from warehouse.disclosure import get_profile

    plan = Plan(sql="", columns=["s"], classes=[{STAT}], dominance=[True], constant=False)
    values = pd.DataFrame({"s": [100.0, 100.0, 100.0]})
    persons = pd.DataFrame({"s": [20.0, 20.0, 20.0]})
    hidden = pd.DataFrame({"__g_s0": [100.0, 100.0, 100.0],
                           "__g_t0": [[95.0, 1.0], [20.0, 10.0], [60.0, 35.0]]})
    gated = apply_rules(values, persons, plan, hidden, "", get_profile("cbs"))
    # row 0: top two 96 > 90% of 100 (n-k); row 1: 30% and 100-30 = 70 >= 10% of 20 (safe);
    # row 2: 95 > 90 (n-k) and 100-95 = 5 < 10% of 60 = 6 (p%)
    assert gated.frame["s"].isna().tolist() == [True, False, True]
    assert gated.suppressed == {"s": {"dominance": 2}}


def test_share_of_few_persons_is_suppressed(con: duckdb.DuckDBPyConnection) -> None:
    """A mean of a 0/1 indicator is a share: with fewer than 10 persons on either side it would give a small
    count away (share x denominator), so it is suppressed; a share of many on both sides is released."""
    rare = con.execute(f"select birth_year from {POP} group by 1 having count(*) between 2 and 6 limit 1").fetchone()[0]
    gated = release(con, f"select avg(case when birth_year = {rare} then 1.0 else 0.0 end) as share_rare, "
                         f"avg(case when sex = 'female' then 1.0 else 0.0 end) as share_female from {POP}")
    assert gated.frame["share_rare"].isna().all()
    assert gated.frame["share_female"].notna().all()
    assert gated.suppressed["share_rare"] == {"threshold": 1}


def test_sum_arithmetic_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(GateError, match="arithmetic"):
        release(con, f"select sum(n_cases_12_35) * 2 as s from {CAR}")


def test_report_sql_dir_runs_through_the_gate(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    from warehouse.report.runner import run_queries

    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "copy.sql").write_text(f"copy (select * from {POP}) to '{tmp_path}/leaked.csv'")
    with pytest.raises(GuardError, match="COPY"):
        run_queries(con, sql_dir=folder)
    (folder / "copy.sql").write_text(f"create table marts.leak as select * from {POP}")
    with pytest.raises(GuardError, match="CREATE"):
        run_queries(con, sql_dir=folder)
    (folder / "copy.sql").unlink()
    (folder / "rows.sql").write_text(f"select person_id, birth_date from {POP}")
    with pytest.raises(GuardError, match="person key"):
        run_queries(con, sql_dir=folder)
    (folder / "rows.sql").write_text(f"select birth_date, sex, count(*) as n from {POP} group by all")
    [figure] = run_queries(con, sql_dir=folder)
    assert figure.table.empty and figure.release.rows_dropped > 0
    assert not (tmp_path / "leaked.csv").exists()


def test_report_figures_pass_the_gate_unchanged(con: duckdb.DuckDBPyConnection) -> None:
    """Every figure passes the gate and comes out as under the report's old rules (its own table conventions
    on the raw query result): the same rows in the same order with the same values (float noise aside), except
    rows the gate drops because their key holds fewer than 10 persons (e.g. a profile of 4 persons, whose 15
    cases the old rules released) and cells a gate rule suppresses (e.g. a mean at one age that one or two
    persons' cases dominate)."""
    from warehouse.disclosure import get_profile
    from warehouse.report.runner import _protect_figure, load_queries

    profile = get_profile("cbs")
    dropped = newly = 0
    for query in load_queries():
        gated = release(con, query.sql)
        new = _protect_figure(query, gated.frame, profile).reset_index(drop=True)
        old = _protect_figure(query, con.execute(query.sql).df(), profile).reset_index(drop=True)
        labels = [c for c in old.columns if not pd.api.types.is_numeric_dtype(old[c])]
        j = 0
        for i in range(len(old)):
            same_row = j < len(new) and all(
                (pd.isna(old.at[i, c]) and pd.isna(new.at[j, c])) or old.at[i, c] == new.at[j, c] for c in labels)
            if not same_row:  # a row the gate dropped (counted below)
                dropped += 1
                continue
            for c in old.columns:
                a, b = old.at[i, c], new.at[j, c]
                if pd.isna(b) and not pd.isna(a):  # newly suppressed: only by a rule the gate recorded
                    assert gated.suppressed.get(c), (query.name, i, c, a)
                    newly += 1
                elif pd.isna(a) or pd.isna(b):
                    assert pd.isna(a) and pd.isna(b), (query.name, i, c, a, b)
                elif isinstance(a, (int, float, np.integer, np.floating)):
                    # rtol 1e-5: parallel sums, and the row order of list(...) into the conditional logit's
                    # optimiser (a separated term's se of 8024.875 came back as 8024.889)
                    assert np.isclose(float(a), float(b), rtol=1e-5, atol=1e-9), (query.name, i, c, a, b)
                else:
                    assert a == b, (query.name, i, c)
            j += 1
        assert j == len(new), query.name
        assert len(old) - len(new) == gated.rows_dropped, query.name
    assert dropped + newly > 0  # the 60-person sample has profiles of fewer than 10 persons: the gate acts


def test_publish_refuses_an_empty_or_unreleased_schema(tmp_path: Path) -> None:
    from warehouse.publish import PublishRefused, prepare

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema analytics")
    with pytest.raises(PublishRefused, match="no tables"):
        prepare(con)
    con.execute("create table analytics.sneaky as select 'F' as sex, 100 as n")
    with pytest.raises(PublishRefused, match="not released"):
        prepare(con)
    con.close()


DIMENSIONS = ["sex", "birth_country_group", "migration_history", "n_siblings", "study_group",
              "has_startkwalificatie_23", "ggz_any_phase"]
FILTERS = ["true", "n_siblings >= 2", "sex = 'female'", "birth_country_group <> 'NETHERLANDS'",
           "study_group = 'OFF'", "mother_age_first_child < 22", "year(birth_date) = 1990"]


def test_property_generated_aggregates_hold_ten_persons_per_cell(con: duckdb.DuckDBPyConnection) -> None:
    """For generated aggregate queries over the marts, every released cell has at least 10 persons behind
    it (counted here from the person-level table) and every released count is a multiple of 5."""
    persons = con.execute(f"select * from {BG}").df()
    rng = random.Random(20261207)
    checked = 0
    for _ in range(40):
        dims = rng.sample(DIMENSIONS, rng.randint(1, 3))
        where = rng.choice(FILTERS)
        query = (f"select {', '.join(dims)}, count(*) as k, avg(n_siblings) as mean_siblings "
                 f"from {BG} where {where} group by all")
        gated = release(con, query)
        subset = con.execute(f"select {', '.join(dims)}, person_id from {BG} where {where}").df()
        counts = subset.groupby(dims, dropna=False)["person_id"].nunique()
        for _, row in gated.frame.iterrows():
            key = tuple(row[d] for d in dims)
            mask = np.ones(len(subset), dtype=bool)
            for d, v in zip(dims, key):
                match = subset[d].isna() if pd.isna(v) else (subset[d] == v)
                mask &= match.fillna(False).to_numpy(dtype=bool)
            behind = int(subset.loc[mask, "person_id"].nunique())
            assert behind >= 10, (query, key, behind)
            if pd.notna(row["k"]):
                assert row["k"] % 5 == 0 and row["k"] >= 10
                checked += 1
        assert int((counts < 10).sum()) <= gated.rows_dropped + int(gated.frame["k"].isna().sum())
    assert checked > 40
    assert len(persons) > 0
