"""Statistics UDFs through a real in-memory DuckDB connection."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from python_udfs.stats_register import UDF_NAMES, register_stats_udfs

HERE = Path(__file__).parent
DATA = HERE / "data" / "stats"


def read_ref(path: Path) -> pd.DataFrame:
    n_comment = sum(1 for line in path.read_text().splitlines() if line.startswith("#"))
    return pd.read_csv(path, skiprows=n_comment)


ST = read_ref(HERE / "reference" / "stat_tests" / "reference.csv").set_index(["test", "dataset", "variant"])
CL = read_ref(HERE / "reference" / "clogit" / "synthetic_exact.csv").set_index("term")


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    register_stats_udfs(c)
    for name in ["ToothGrowth", "sleep", "PlantGrowth", "InsectSprays", "approval", "mtcars", "synthetic_panel"]:
        c.execute(f"create table {name} as select * from read_csv('{(DATA / (name + '.csv')).as_posix()}')")
    return c


def one(con, sql):
    return con.sql(sql).fetchone()[0]


def test_all_registered(con):
    names = {r[0] for r in con.sql("select function_name from duckdb_functions()").fetchall()}
    assert set(UDF_NAMES) <= names


@pytest.mark.parametrize(("equal_var", "variant"), [(True, "len_by_supp_student"), (False, "len_by_supp_welch")])
def test_t_test_ind(con, equal_var, variant):
    p = one(con, f"""select (t_test_ind(list(len) filter (where supp = 'OJ'),
                                      list(len) filter (where supp = 'VC'), {equal_var})).p_value
                     from ToothGrowth""")
    assert_allclose(p, ST.loc[("t_test_ind", "ToothGrowth", variant), "p_value"], rtol=1e-10, atol=0)


def test_t_test_paired(con):
    r = one(con, """select t_test_paired(list(extra order by ID) filter (where "group" = 1),
                                         list(extra order by ID) filter (where "group" = 2)) from sleep""")
    assert_allclose(r["p_value"], ST.loc[("t_test_paired", "sleep", "extra_g1_vs_g2"), "p_value"], rtol=1e-10, atol=0)
    assert r["n1"] == 10 and r["df"] == 9


def test_mann_whitney(con):
    r = one(con, """select mann_whitney_u(list(len) filter (where supp = 'OJ'),
                                          list(len) filter (where supp = 'VC')) from ToothGrowth""")
    ref = ST.loc[("mann_whitney", "ToothGrowth", "len_by_supp_approx")]
    assert_allclose([r["statistic"], r["p_value"]], [ref.statistic, ref.p_value], rtol=1e-10, atol=0)


def test_chi_square(con):
    r = one(con, "select chi_square_test(list(cyl::varchar), list(gear::varchar)) from mtcars")
    ref = ST.loc[("chi_square", "mtcars", "cyl_x_gear")]
    assert_allclose([r["statistic"], r["p_value"]], [ref.statistic, ref.p_value], rtol=1e-10, atol=0)
    assert r["n"] == 32 and r["df"] == 4


def test_anova_and_median(con):
    a = one(con, "select anova_oneway(list(count::double), list(spray)) from InsectSprays")
    assert_allclose(a["p_value"], ST.loc[("anova", "InsectSprays", "count_by_spray"), "p_value"], rtol=1e-10, atol=0)
    assert (a["df_between"], a["df_within"]) == (5.0, 66.0)
    m = one(con, "select median_test(list(weight), list(\"group\")) from PlantGrowth")
    assert_allclose(m["p_value"], ST.loc[("median_test", "PlantGrowth", "weight_by_group"), "p_value"], rtol=1e-10, atol=0)


def test_mcnemar_exact(con):
    r = one(con, "select mcnemar_test(list(first), list(second)) from approval")
    assert_allclose(r["p_value"], ST.loc[("mcnemar", "approval", "exact"), "p_value"], rtol=1e-10, atol=0)
    assert (r["n_01"], r["n_10"], r["n"]) == (86, 150, 1600)


def test_group_by_produces_one_result_per_group(con):
    rows = con.sql("""select dose, (t_test_ind(list(len) filter (where supp = 'OJ'),
                                               list(len) filter (where supp = 'VC'), true)).p_value as p
                      from ToothGrowth group by dose order by dose""").fetchall()
    tg = pd.read_csv(DATA / "ToothGrowth.csv")
    from python_udfs.stat_tests import t_test_ind

    for dose, p in rows:
        sub = tg[tg.dose == dose]
        assert_allclose(p, t_test_ind(sub.len[sub.supp == "OJ"], sub.len[sub.supp == "VC"]).p_value, rtol=1e-12, atol=0)


def test_null_handling(con):
    assert one(con, "select t_test_ind(NULL, [1.0, 2.0], true)") is None
    r = one(con, "select t_test_ind([1.0, NULL, 2.0, 3.0], [2.0, 5.0, 4.0], true)")
    assert r["n1"] == 3


def test_clogit_fit_matches_r(con):
    r = one(con, """select clogit_fit(list(person_id::varchar), list(offend::integer),
                                      list([secm = 'BENEFIT', secm = 'SCHOOL_STUDENT', secm = 'OTHER_NO_INCOME',
                                            partner, bio_child, age]::double[]),
                                      ['secmBENEFIT', 'secmSCHOOL_STUDENT', 'secmOTHER_NO_INCOME',
                                       'partner', 'bio_child', 'age'])
                    from synthetic_panel""")
    assert r["term"] == list(CL.index)
    assert_allclose(r["coef"], CL.estimate, rtol=0, atol=1e-6)
    assert_allclose(r["se"], CL.std_error, rtol=1e-6, atol=0)
    assert_allclose(r["loglik"], CL.loglik.iloc[0], rtol=0, atol=1e-6)
    assert r["converged"] and r["n_groups"] + r["n_groups_dropped"] == 60


def test_errors_surface_as_duckdb_errors(con):
    with pytest.raises(duckdb.Error, match="paired"):
        con.sql("select t_test_paired([1.0, 2.0, 3.0], [1.0, 2.0])").fetchall()


def test_pairwise_means_udf_matches_scipy_welch_bonferroni(con):
    """pairwise_means: Welch t-test on every pair (SciPy ttest_ind(equal_var=False)), Bonferroni-adjusted."""
    from scipy import stats as sps

    pg = con.sql("select weight, \"group\" as g from PlantGrowth").df()
    groups = sorted(pg.g.unique())
    pairs = [(a, b) for i, a in enumerate(groups) for b in groups[i + 1:]]
    adj = {pr: min(1.0, 3 * sps.ttest_ind(pg.weight[pg.g == pr[0]], pg.weight[pg.g == pr[1]], equal_var=False).pvalue)
           for pr in pairs}
    r = one(con, """select pairwise_means(list(weight), list("group"), 'welch', 'bonferroni') from PlantGrowth""")
    assert r["n_pairs"] == 3 and r["correction"] == "bonferroni"
    assert r["n_significant"] == sum(p < 0.05 for p in adj.values())
    sig = [pr for pr, p in adj.items() if p < 0.05]
    assert sig == [("trt1", "trt2")]  # ctrl differs from neither after the correction
    assert r["phrase"] == "trt1 differs from trt2"


def test_pairwise_categories_udf_matches_scipy_chi_square(con):
    """pairwise_categories: Pearson chi-square (no continuity correction) on every 2 x k sub-table, Bonferroni."""
    from scipy import stats as sps

    rows = {"INC": ["yes"] * 20 + ["no"] * 80, "EPK": ["yes"] * 50 + ["no"] * 50, "CON": ["yes"] * 55 + ["no"] * 45}
    cats = [c for g in rows for c in rows[g]]
    grps = [g for g in rows for _ in rows[g]]
    con.execute("create or replace temp table pc as select unnest(?) as c, unnest(?) as g", [cats, grps])
    r = one(con, "select pairwise_categories(list(c), list(g), 'bonferroni') from pc")

    def p(a, b):
        tab = [[rows[x].count("yes"), rows[x].count("no")] for x in (a, b)]
        return min(1.0, 3 * sps.chi2_contingency(tab, correction=False)[1])

    assert p("INC", "EPK") < 0.05 and p("INC", "CON") < 0.05 and p("EPK", "CON") >= 0.05
    assert r["phrase"] == "INC differs from the other groups" and r["n_significant"] == 2


def test_pairwise_udf_needs_two_groups(con):
    assert one(con, "select (pairwise_means([1.0, 2.0, 3.0], ['A', 'A', 'A'], 'welch', 'bonferroni')).phrase") is None
