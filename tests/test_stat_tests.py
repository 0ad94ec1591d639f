"""Classical tests against R (tests/reference/stat_tests/reference.csv) and SciPy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from python_udfs import stat_tests as st
from python_udfs.stats_errors import StatsError

HERE = Path(__file__).parent
DATA = HERE / "data" / "stats"
REF_PATH = HERE / "reference" / "stat_tests" / "reference.csv"


def load_ref() -> pd.DataFrame:
    n_comment = sum(1 for line in REF_PATH.read_text().splitlines() if line.startswith("#"))
    return pd.read_csv(REF_PATH, skiprows=n_comment).set_index(["test", "dataset", "variant"])


REF = load_ref()
MT = pd.read_csv(DATA / "mtcars.csv")
TG = pd.read_csv(DATA / "ToothGrowth.csv")
SL = pd.read_csv(DATA / "sleep.csv")
PG = pd.read_csv(DATA / "PlantGrowth.csv")
IS = pd.read_csv(DATA / "InsectSprays.csv")
AP = pd.read_csv(DATA / "approval.csv")


def compute(test: str, dataset: str, variant: str):
    """Our result for one reference row."""
    match (test, variant):
        case ("chi_square", "cyl_x_gear"):
            return st.chi_square_test(MT.cyl.tolist(), MT.gear.tolist())
        case ("chi_square", "am_x_vs"):
            return st.chi_square_test(MT.am.tolist(), MT.vs.tolist())
        case ("chi_square", "am_x_vs_yates"):
            return st.chi_square_test(table=pd.crosstab(MT.am, MT.vs).to_numpy(), yates=True)
        case ("mann_whitney", "len_by_supp_approx"):
            return st.mann_whitney_u(TG.len[TG.supp == "OJ"], TG.len[TG.supp == "VC"])
        case ("mann_whitney", "mpg_by_am_approx"):
            return st.mann_whitney_u(MT.mpg[MT.am == 0], MT.mpg[MT.am == 1])
        case ("mann_whitney", "ctrl2to8_vs_trt1_3to8_exact"):
            x = PG.weight[PG.group == "ctrl"].to_numpy()[1:8]
            y = PG.weight[PG.group == "trt1"].to_numpy()[2:8]
            return st.mann_whitney_u(x, y)
        case ("t_test_ind", "len_by_supp_student"):
            return st.t_test_ind(TG.len[TG.supp == "OJ"], TG.len[TG.supp == "VC"], equal_var=True)
        case ("t_test_ind", "len_by_supp_welch"):
            return st.t_test_ind(TG.len[TG.supp == "OJ"], TG.len[TG.supp == "VC"], equal_var=False)
        case ("t_test_paired", _):
            return st.t_test_paired(SL.extra[SL.group == 1], SL.extra[SL.group == 2])
        case ("anova", "weight_by_group"):
            return st.anova_oneway(PG.weight, PG.group.tolist())
        case ("anova", "count_by_spray"):
            return st.anova_oneway(IS["count"], IS.spray.tolist())
        case ("median_test", "count_by_spray"):
            return st.median_test(IS["count"], IS.spray.tolist())
        case ("median_test", "weight_by_group"):
            return st.median_test(PG.weight, PG.group.tolist())
        case ("median_test", "len_by_supp_yates"):
            return st.median_test(TG.len, TG.supp.tolist())
        case ("mcnemar", "chi2_corrected"):
            return st.mcnemar_test(AP["first"], AP["second"], method="chi2", correction=True)
        case ("mcnemar", "chi2_uncorrected"):
            return st.mcnemar_test(AP["first"], AP["second"], method="chi2", correction=False)
        case ("mcnemar", "exact"):
            return st.mcnemar_test(AP["first"], AP["second"])
        case ("mcnemar", "am_vs_exact"):
            return st.mcnemar_test(MT.am == 1, MT.vs == 1)
    raise KeyError((test, dataset, variant))


@pytest.mark.parametrize("key", list(REF.index), ids=["/".join(k) for k in REF.index])
def test_against_r(key):
    ref = REF.loc[key]
    res = compute(*key)
    # every reference p-value is computed exactly from its statistic's distribution
    # (chi2/t/F/binomial/exact Wilcoxon), so agreement is to rounding: 1e-10 relative.
    assert_allclose(res.p_value, ref.p_value, rtol=1e-10, atol=0)
    if key[0] == "mcnemar" and key[2].endswith("exact"):
        # R binom.test reports the count of the first cell; ours reports min(n_01, n_10)
        assert res.n_01 + res.n_10 == ref.df
    else:
        assert_allclose(res.statistic, ref.statistic, rtol=1e-12, atol=1e-12)
    if not np.isnan(ref.df) and key[0] != "mcnemar" or key[2].startswith("chi2"):
        df = res.df[0] if key[0] == "anova" else res.df
        assert_allclose(df, ref.df, rtol=1e-12, atol=0)
    if key[0] == "anova":
        assert_allclose(res.df_within, ref.df2, rtol=1e-12, atol=0)


def test_mann_whitney_matches_scipy_all_methods():
    x = PG.weight[PG.group == "trt1"].to_numpy()
    y = PG.weight[PG.group == "trt2"].to_numpy()
    for method in ("auto", "exact", "asymptotic"):
        ours = st.mann_whitney_u(x[:6], y[:5], method=method)
        sp = stats.mannwhitneyu(x[:6], y[:5], alternative="two-sided", method=method)
        assert_allclose(ours.p_value, sp.pvalue, rtol=1e-12, atol=0)
        assert ours.statistic == sp.statistic
    assert "exact" in st.mann_whitney_u(x[:6], y[:5]).method
    assert "approximation" in st.mann_whitney_u(x, y).method


def test_median_test_matches_scipy_and_ties_rule():
    for values, groups in [(IS["count"], IS.spray), (TG.len, TG.supp), (PG.weight, PG.group)]:
        samples = [values[groups == g].to_numpy() for g in sorted(groups.unique())]
        stat, p, med, table = stats.median_test(*samples)
        ours = st.median_test(samples)
        assert_allclose([ours.statistic, ours.p_value, ours.grand_median], [stat, p, med], rtol=1e-12, atol=0)
        np.testing.assert_array_equal(ours.table, table)
    # values equal to the grand median are counted "below"
    res = st.median_test([[1, 2, 3], [3, 4, 5]])
    assert res.grand_median == 3.0
    np.testing.assert_array_equal(res.table, [[0, 2], [3, 1]])


def test_chi_square_label_lists_equal_table():
    a = st.chi_square_test(MT.cyl.tolist(), MT.gear.tolist())
    b = st.chi_square_test(table=pd.crosstab(MT.cyl, MT.gear).to_numpy())
    assert a.statistic == b.statistic and a.n == 32 and a.df == 4
    sp = stats.chi2_contingency(pd.crosstab(MT.cyl, MT.gear).to_numpy(), correction=False)
    assert_allclose(a.p_value, sp.pvalue, rtol=1e-12, atol=0)
    with pytest.raises(StatsError):
        st.chi_square_test(table=pd.crosstab(MT.cyl, MT.gear).to_numpy(), yates=True)


def test_results_are_frozen_dataclasses():
    res = st.t_test_paired([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    with pytest.raises(AttributeError):
        res.p_value = 0.0  # type: ignore[misc]
    assert not hasattr(res, "__dict__")


def test_adjust_pvalues_matches_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.2, 0.0001, 0.5])
    for ours, theirs in [("bonferroni", "bonferroni"), ("holm", "holm")]:
        assert_allclose(st.adjust_pvalues(p, ours), multipletests(p, method=theirs)[1], rtol=1e-14, atol=0)
    assert_allclose(st.adjust_pvalues(p, "none"), p, rtol=0, atol=0)
    with pytest.raises(StatsError, match="correction"):
        st.adjust_pvalues(p, "fdr")  # type: ignore[arg-type]


def test_pairwise_insect_sprays():
    groups = {g: IS["count"][IS.spray == g].to_numpy() for g in sorted(IS.spray.unique())}
    res = st.pairwise(st.mann_whitney_u, groups, correction="holm")
    assert len(res.comparisons) == 15
    raw = [c.p_value for c in res.comparisons]
    assert_allclose([c.p_adjusted for c in res.comparisons], st.adjust_pvalues(raw, "holm"), rtol=0, atol=0)
    ab = next(c for c in res.comparisons if (c.group_a, c.group_b) == ("A", "B"))
    sp = stats.mannwhitneyu(groups["A"], groups["B"], alternative="two-sided")
    assert_allclose(ab.p_value, sp.pvalue, rtol=1e-12, atol=0)


def _pw(groups, sig_pairs):
    comps = []
    for i, a in enumerate(groups):
        for b in groups[i + 1:]:
            p = 0.001 if {a, b} in [set(s) for s in sig_pairs] else 0.5
            comps.append(st.PairComparison(a, b, 0.0, p, p))
    return st.PairwiseResult(tuple(comps), "none", tuple(groups))


def test_describe_pairwise_phrasing():
    g = ["CON", "INC", "EPK", "LAT"]
    all_pairs = [(a, b) for i, a in enumerate(g) for b in g[i + 1:]]
    assert st.describe_pairwise(_pw(g, all_pairs)) == "all groups differ from each other"
    except_one = [pr for pr in all_pairs if set(pr) != {"INC", "EPK"}]
    assert st.describe_pairwise(_pw(g, except_one)) == "all groups differ from each other, except INC from EPK"
    con = [("CON", "INC"), ("CON", "EPK"), ("CON", "LAT")]
    assert st.describe_pairwise(_pw(g, con)) == "CON differs from the other groups"
    assert st.describe_pairwise(_pw(g, [])) == "no groups differ from each other"
    assert st.describe_pairwise(_pw(g, [("INC", "LAT")])) == "INC differs from LAT"


def test_pairwise_end_to_end_phrase():
    rng = np.random.default_rng(3)
    data = {"CON": rng.normal(3, 1, 80), "INC": rng.normal(0, 1, 80), "EPK": rng.normal(0, 1, 80)}
    res = st.pairwise(lambda a, b: st.t_test_ind(a, b, equal_var=False), data, correction="bonferroni")
    assert st.describe_pairwise(res) == "CON differs from the other groups"


def test_option_validation():
    with pytest.raises(StatsError, match="method"):
        st.mcnemar_test([True], [False], method="asymptotic")  # type: ignore[arg-type]
    with pytest.raises(StatsError, match="method"):
        st.mann_whitney_u([1, 2], [3, 4], method="fast")  # type: ignore[arg-type]
    with pytest.raises(StatsError):
        st.t_test_paired([1, 2, 3], [1, 2])
