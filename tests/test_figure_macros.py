"""The shared table macros of the figure queries (marts.group_summary, marts.before_after_summary).

They are built by dbt (dbt_project/models/marts/figures, materialized ``table_function``) and persisted in the
warehouse; their bodies call the python_udfs statistics UDFs, which a connection registers at query time.
The macros are checked on hand-made relations against counts from pandas and p-values from scipy
(chi-square without continuity correction, one-way ANOVA, Welch t-test, paired t-test, exact McNemar as a
two-sided binomial test); the pairwise phrases against a direct call of the ``pairwise_means`` UDF.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from warehouse.config import SQL_DIR

GROUP_ORDER = ["INC", "EPK", "LPK", "CON", "OFF", "CC", "NCC"]
PROFILES = ["INC", "EPK", "LPK", "CON"]
SUMMARY_COLUMNS = ["grp", "measure", "category", "category_order", "n", "n_den", "mean", "sd", "median",
                   "p_profiles", "p_vs_cc", "p_vs_ncc"]
BEFORE_AFTER_COLUMNS = ["grp", "measure", "period", "period_order", "n", "n_den", "mean", "sd", "p_profiles",
                        "p_before_after"]


@pytest.fixture(scope="module")
def warehouse_db(generated_warehouse: Path) -> Path:
    return generated_warehouse / "warehouse.duckdb"


@pytest.fixture(scope="module")
def con(warehouse_db: Path):
    from warehouse.db import connect

    connection = connect(warehouse_db, read_only=True)
    yield connection
    connection.close()


def _long_rows(seed: int = 11) -> pd.DataFrame:
    """Persons x 2 measures: 'score' (3 categories and a value) and 'flag' (2 categories, no value)."""
    rng = np.random.default_rng(seed)
    people = [("OFF", p) for p in PROFILES for _ in range(12)] + [("OFF", "OFF")] * 3
    people += [("CC", "CC")] * 20 + [("NCC", "NCC")] * 20
    rows = []
    shift = {"INC": 0.0, "EPK": 1.0, "LPK": 2.0, "CON": 3.0, "OFF": 1.0, "CC": 0.5, "NCC": -0.5}
    for i, (study_group, profile) in enumerate(people):
        value = float(np.round(rng.normal(10 + shift[profile], 2), 1))
        if i % 17 == 5:  # measure unknown: neither category nor value
            category, order, known = None, None, None
        else:
            category, order = (("low", 1) if value < 10 else ("mid", 2) if value < 12 else ("high", 3))
            known = value
        rows.append((profile, study_group, "score", category, order, known))
        flag = bool(rng.random() < (0.2 + 0.1 * shift[profile]))
        rows.append((profile, study_group, "flag", "yes" if flag else "no", 1 if flag else 2, None))
    return pd.DataFrame(rows, columns=["profile", "study_group", "measure", "category", "category_order", "value"])


def _group_rows(frame: pd.DataFrame) -> pd.DataFrame:
    by_profile = frame[(frame.study_group == "OFF") & (frame.profile != "OFF")].assign(grp=lambda f: f.profile)
    return pd.concat([by_profile, frame.assign(grp=frame.study_group)], ignore_index=True)


def _run(con, sql: str, **frames: pd.DataFrame) -> pd.DataFrame:
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        return con.execute(sql).df()
    finally:
        for name in frames:
            con.unregister(name)


def _chi2_p(rows: pd.Series, cols: pd.Series) -> float:
    return float(stats.chi2_contingency(pd.crosstab(rows, cols).to_numpy(), correction=False).pvalue)


def test_macros_are_persisted_by_the_build(con):
    found = dict(con.execute(
        "select function_name, function_type from duckdb_functions() where schema_name = 'marts'"
    ).fetchall())
    assert found.get("group_summary") == "table_macro"
    assert found.get("before_after_summary") == "table_macro"


def test_a_fresh_connection_needs_the_udfs(warehouse_db: Path, tmp_path: Path):
    """The persisted macros outlive the build; the UDFs they call are registered per connection.

    A plain client (no UDFs registered) gets DuckDB's catalog error naming the missing UDF."""
    from python_udfs.registration import register_udfs

    query = (SQL_DIR / "fig_2_07_age_first_offence.sql").read_text()
    copy = tmp_path / "warehouse.duckdb"  # the module's connection holds the file with other settings
    shutil.copyfile(warehouse_db, copy)
    bare = duckdb.connect(str(copy), read_only=True)
    try:
        with pytest.raises(duckdb.CatalogException, match=r"(chi_square_test|anova_oneway|t_test_ind|pairwise_means)"):
            bare.execute(query)
        register_udfs(bare)
        frame = bare.execute(query).df()
        assert len(frame) > 0 and list(frame.columns) == SUMMARY_COLUMNS + ["pairwise_profiles", "pairwise_groups"]
    finally:
        bare.close()


def test_group_summary_counts_and_tests(con):
    long = _long_rows()
    out = _run(con, "with long as (select * from long_input) select * from marts.group_summary(long)",
               long_input=long)
    assert list(out.columns) == SUMMARY_COLUMNS
    grouped = _group_rows(long)

    # row order: measure, category_order, category, group in the study's order
    key = out.assign(g=out.grp.map(GROUP_ORDER.index))[["measure", "category_order", "category", "g"]]
    assert key.equals(key.sort_values(["measure", "category_order", "category", "g"], kind="stable"))
    assert set(out.grp) == set(GROUP_ORDER)  # the OFF person without a profile is in OFF only

    cats = out[out.category != "mean"]
    for (grp, measure), part in grouped.groupby(["grp", "measure"]):
        known = part.dropna(subset=["category"])
        expected = known.category.value_counts()
        rows = cats[(cats.grp == grp) & (cats.measure == measure)].set_index("category")
        assert set(rows.index) == set(long[long.measure == measure].category.dropna())  # zero cells kept
        assert (rows.n_den == len(known)).all()
        for category, row in rows.iterrows():
            assert row.n == expected.get(category, 0), (grp, measure, category)

    means = out[out.category == "mean"].set_index("grp")
    assert set(out[out.category == "mean"].measure) == {"score"}  # no mean row without values
    assert (means.category_order == 999).all() and means.n.isna().all()
    for grp, part in grouped[grouped.measure == "score"].groupby("grp"):
        values = part.value.dropna()
        assert means.loc[grp, "n_den"] == len(values)
        assert_allclose([means.loc[grp, "mean"], means.loc[grp, "sd"], means.loc[grp, "median"]],
                        [values.mean(), values.std(ddof=1), values.median()], rtol=1e-12)

    off = long[(long.study_group == "OFF")]
    for measure in ("score", "flag"):
        m = long[long.measure == measure].dropna(subset=["category"])
        first = cats[cats.measure == measure].iloc[0]
        offm = m[m.study_group == "OFF"]
        assert_allclose(first.p_profiles, _chi2_p(offm.profile, offm.category), rtol=1e-9)
        for control, column in (("CC", "p_vs_cc"), ("NCC", "p_vs_ncc")):
            pair = m[m.study_group.isin(["OFF", control])]
            assert_allclose(first[column], _chi2_p(pair.study_group, pair.category), rtol=1e-9)

    score = off[off.measure == "score"].dropna(subset=["value"])
    row = means.loc["OFF"]
    assert_allclose(row.p_profiles, stats.f_oneway(*[g.value for _, g in score.groupby("profile")]).pvalue,
                    rtol=1e-9)
    for control, column in (("CC", "p_vs_cc"), ("NCC", "p_vs_ncc")):
        other = long[(long.study_group == control) & (long.measure == "score")].value.dropna()
        expected = stats.ttest_ind(score.value, other, equal_var=False).pvalue
        assert_allclose(row[column], expected, rtol=1e-9)


def test_group_summary_options(con):
    long = _long_rows(seed=12)
    base = "with long as (select * from long_input) select * from marts.group_summary(long{})"
    plain = _run(con, base.format(""), long_input=long)
    both = _run(con, base.format(", mean_test := 'mann_whitney', pairwise := true"), long_input=long)
    assert list(both.columns) == SUMMARY_COLUMNS + ["pairwise_profiles", "pairwise_groups"]
    # the options change only the tests of the means and add the phrases
    same = ["grp", "measure", "category", "category_order", "n", "n_den", "mean", "sd", "median", "p_profiles"]
    pd.testing.assert_frame_equal(plain[same], both[same])
    cats = both.category != "mean"
    pd.testing.assert_frame_equal(plain.loc[cats, ["p_vs_cc", "p_vs_ncc"]], both.loc[cats, ["p_vs_cc", "p_vs_ncc"]])
    assert both.loc[cats, ["pairwise_profiles", "pairwise_groups"]].isna().all().all()

    row = both[(both.category == "mean") & (both.grp == "OFF")].iloc[0]
    score = long[long.measure == "score"]
    off, cc = (score[score.study_group == g].value.dropna() for g in ("OFF", "CC"))
    assert_allclose(row.p_vs_cc, stats.mannwhitneyu(off, cc, alternative="two-sided", use_continuity=True).pvalue,
                    rtol=1e-9)
    direct = _run(con, """select
        (pairwise_means(list(value) filter (where study_group = 'OFF' and profile <> 'OFF'),
                        list(profile) filter (where study_group = 'OFF' and profile <> 'OFF'),
                        'mann_whitney', 'bonferroni')).phrase as pw_profiles,
        (pairwise_means(list(value), list(study_group), 'mann_whitney', 'bonferroni')).phrase as pw_groups
        from long_input where measure = 'score'""", long_input=long).iloc[0]
    means = both[both.category == "mean"]
    assert (means.pairwise_profiles == direct.pw_profiles).all() and direct.pw_profiles
    assert (means.pairwise_groups == direct.pw_groups).all() and direct.pw_groups

    with pytest.raises(duckdb.Error, match="mean_test must be"):
        _run(con, base.format(", mean_test := 'median'"), long_input=long)


def _wide_rows(seed: int = 21) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for profile in PROFILES:
        for i in range(15):
            before = float(np.round(rng.gamma(2.0, 1.0 + PROFILES.index(profile)), 2))
            after = float(np.round(before * rng.uniform(0.4, 1.2), 2))
            in_before, in_after = i % 7 != 3, i % 5 != 1
            rows.append((profile, "rate", "mean", before if in_before else None, after if in_after else None))
            fb, fa = float(rng.random() < 0.6), float(rng.random() < 0.35)
            rows.append((profile, "any_flag", "flag", fb if in_before else None, fa if in_after else None))
    # a measure observed after only (as trafficking after the first trafficking offence)
    rows += [(p, "after_only", "flag", None, float(i % 3 == 0)) for p in PROFILES for i in range(6)]
    return pd.DataFrame(rows, columns=["profile", "measure", "kind", "b", "a"])


def test_before_after_summary(con):
    wide = _wide_rows()
    sql = "with wide as (select * from wide_input) select * from marts.before_after_summary(wide{})"
    out = _run(con, sql.format(""), wide_input=wide)
    assert list(out.columns) == BEFORE_AFTER_COLUMNS
    key = out.assign(g=out.grp.map(GROUP_ORDER.index))[["measure", "period_order", "g"]]
    assert key.equals(key.sort_values(["measure", "period_order", "g"], kind="stable"))
    assert not ((out.measure == "after_only") & (out.period == "before")).any()  # n_den = 0 rows dropped

    grouped = pd.concat([wide.assign(grp=wide.profile), wide.assign(grp="OFF")], ignore_index=True)
    for (grp, measure), part in grouped.groupby(["grp", "measure"]):
        kind = part.kind.iloc[0]
        both = part.dropna(subset=["b", "a"])
        if kind == "mean":
            p_paired = stats.ttest_rel(both.b, both.a).pvalue
        else:
            n_10 = int(((both.b == 1) & (both.a == 0)).sum())
            n_01 = int(((both.b == 0) & (both.a == 1)).sum())
            p_paired = stats.binomtest(min(n_01, n_10), n_01 + n_10, 0.5).pvalue if n_01 + n_10 else None
        for period, column in (("before", "b"), ("after", "a")):
            values = part[column].dropna()
            rows = out[(out.grp == grp) & (out.measure == measure) & (out.period == period)]
            if values.empty:
                assert rows.empty
                continue
            row = rows.iloc[0]
            assert row.n_den == len(values)
            if kind == "mean":
                assert pd.isna(row.n)
                assert_allclose([row["mean"], row.sd], [values.mean(), values.std(ddof=1)], rtol=1e-12)
            else:
                assert row.n == values.sum() and pd.isna(row["mean"])
            if p_paired is None:
                assert pd.isna(row.p_before_after)
            else:
                assert_allclose(row.p_before_after, p_paired, rtol=1e-9)

    for period, column in (("before", "b"), ("after", "a")):
        rate = wide[(wide.measure == "rate")].dropna(subset=[column])
        expected = stats.f_oneway(*[g[column] for _, g in rate.groupby("profile")]).pvalue
        got = out[(out.measure == "rate") & (out.period == period)].p_profiles
        assert_allclose(got, expected, rtol=1e-9)
        flag = wide[(wide.measure == "any_flag")].dropna(subset=[column])
        got = out[(out.measure == "any_flag") & (out.period == period)].p_profiles
        assert_allclose(got, _chi2_p(flag.profile, flag[column]), rtol=1e-9)


def test_before_after_summary_pairwise(con):
    wide = _wide_rows(seed=22)
    sql = "with wide as (select * from wide_input) select * from marts.before_after_summary(wide{})"
    plain = _run(con, sql.format(""), wide_input=wide)
    out = _run(con, sql.format(", pairwise := true"), wide_input=wide)
    assert list(out.columns) == BEFORE_AFTER_COLUMNS + ["pairwise_profiles"]
    pd.testing.assert_frame_equal(plain, out[BEFORE_AFTER_COLUMNS])
    assert out.loc[out.measure != "rate", "pairwise_profiles"].isna().all()
    for period, column in (("before", "b"), ("after", "a")):
        direct = _run(con, f"""select (pairwise_means(list({column}), list(profile), 'welch', 'bonferroni')).phrase
                               from wide_input where measure = 'rate'""", wide_input=wide).iloc[0, 0]
        phrases = out[(out.measure == "rate") & (out.period == period)].pairwise_profiles
        assert direct and (phrases == direct).all()
