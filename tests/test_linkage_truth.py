"""The linkage layer against the generator's planted truth, and refresh on a built warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

EDGES = """
    select
        edges.person_id, edges.relative_id, edges.relation,
        -- dates are comparable only where both birth dates are delivered to the day (D01 imputes the rest)
        case when edges.relation = 'partner' or (persons.birth_date_precision = 'day' and relatives.birth_date_precision = 'day')
             then cast(edges.valid_from as varchar) end as valid_from,
        -- running partner episodes end at the version's coverage end in the truth convention
        cast(coalesce(edges.valid_to, case when edges.relation = 'partner' then date '2022-12-31' end) as varchar) as valid_to
    from intermediate.int_kinship_edges as edges
    left join staging.stg_cbs__persons as persons on persons.person_id = edges.person_id
    left join staging.stg_cbs__persons as relatives on relatives.person_id = edges.relative_id
"""
TRUTH = """
    select
        truth.person_id, truth.relative_id, truth.relation,
        case when truth.relation = 'partner' or (persons.birth_date_precision = 'day' and relatives.birth_date_precision = 'day')
             then truth.valid_from end as valid_from,
        nullif(truth.valid_to, '') as valid_to
    from (
        select 'R' || person_id as person_id, 'R' || relative_id as relative_id, relation, valid_from, valid_to
        from read_csv(?, all_varchar = true)
    ) as truth
    left join staging.stg_cbs__persons as persons on persons.person_id = truth.person_id
    left join staging.stg_cbs__persons as relatives on relatives.person_id = truth.relative_id
"""


def test_kinship_edges_equal_planted_truth(generated_warehouse: Path) -> None:
    con = duckdb.connect(str(generated_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        truth_file = str(generated_warehouse / "truth" / "kinship.csv")
        con.execute(f"create temp table truth as {TRUTH}", [truth_file])
        con.execute(f"create temp table edges as {EDGES}")
        only_warehouse = con.execute("select * from edges except all select * from truth").fetchall()
        only_truth = con.execute("select * from truth except all select * from edges").fetchall()
        relations = dict(con.execute("select relation, count(*) from truth group by 1").fetchall())
    finally:
        con.close()
    assert {"mother", "father", "child", "full_sibling", "half_sibling_maternal", "half_sibling_paternal", "partner"} <= set(relations)
    assert only_warehouse == [] and only_truth == [], (only_warehouse[:5], only_truth[:5])


def test_study_cohort_equals_planted_sample(generated_warehouse: Path) -> None:
    con = duckdb.connect(str(generated_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        truth = str(generated_warehouse / "truth" / "persons.csv")
        columns = [row[0] for row in con.execute("describe select * from read_csv(?, all_varchar = true)", [truth]).fetchall()]
        key = next(c for c in columns if c.upper() in {"RINPERSOON", "PERSON_ID"})
        planted = {
            "R" + row[0]
            for row in con.execute(
                f"select {key} from read_csv(?, all_varchar = true) where lower(is_study_sample) in ('true', '1')", [truth]
            ).fetchall()
        }
        cohort = {row[0] for row in con.execute("select person_id from marts.dim_study_cohort").fetchall()}
        matched = con.execute(
            "select control_group, count(*) from marts.dim_control_persons group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    assert cohort == planted and len(cohort) == 60
    assert all(n > 0 for _, n in matched)


def test_refresh_rebuilds_only_downstream_models(generated_warehouse: Path, tmp_path: Path) -> None:
    from warehouse.refresh import refresh

    db = tmp_path / "copy.duckdb"
    shutil.copy(generated_warehouse / "warehouse.duckdb", db)
    new = tmp_path / "new"
    new.mkdir()
    # a re-delivered education file for one year (CBS re-delivers whole table versions)
    source = generated_warehouse / "delivery" / "HOOGSTEOPL2015TABV1.csv"
    lines = source.read_text(encoding="utf-8").splitlines()
    (new / "HOOGSTEOPL2015TABV2.csv").write_text("\n".join(lines[:-10]) + "\n", encoding="utf-8")
    result = refresh(db, new)
    assert result.applied and result.tables == ("hoogsteopltab",)
    assert result.selection == "source:cbs.hoogsteopltab+"
    con = duckdb.connect(str(db), read_only=True)
    try:
        n_2015 = con.execute("select count(*) from staging.stg_cbs__education where education_year = 2015").fetchone()[0]
        current = con.execute("select file_name from meta.current_files where table_name = 'hoogsteopltab' and slot = 2015").fetchone()[0]
    finally:
        con.close()
    assert n_2015 == len(lines) - 11
    assert current == "HOOGSTEOPL2015TABV2.csv"
    # the refreshed build touched only the education branch: far fewer nodes than the full build
    assert 0 < result.n_nodes < 60
