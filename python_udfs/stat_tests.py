"""The study's classical tests as plain typed functions returning frozen dataclasses.

Each function documents its statistic and the reference implementation it matches
(R ``stats`` / SciPy).  p-values are two-sided throughout.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from python_udfs.stats_errors import StatsError

__all__ = [
    "ChiSquareResult",
    "TwoSampleResult",
    "AnovaResult",
    "MedianTestResult",
    "McNemarResult",
    "PairComparison",
    "PairwiseResult",
    "chi_square_test",
    "mann_whitney_u",
    "t_test_ind",
    "t_test_paired",
    "anova_oneway",
    "median_test",
    "mcnemar_test",
    "pairwise",
    "adjust_pvalues",
    "describe_pairwise",
]

MannWhitneyMethod = Literal["auto", "exact", "asymptotic"]
McNemarMethod = Literal["exact", "chi2"]
Correction = Literal["bonferroni", "holm", "none"]



def _check_option(name: str, value: str, allowed: type) -> None:
    """Validate a string option against the members of a Literal alias."""
    options = get_args(allowed)
    if value not in options:
        raise StatsError(f"{name} must be one of {options}, got {value!r}")


def _sample(x: ArrayLike, name: str, min_n: int = 1) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64).ravel()
    if np.isnan(arr).any():
        raise StatsError(f"{name} contains missing values; remove them first")
    if arr.size < min_n:
        raise StatsError(f"{name} needs at least {min_n} observations, has {arr.size}")
    return arr


@dataclass(frozen=True, slots=True)
class ChiSquareResult:
    statistic: float
    df: float
    p_value: float
    method: str
    n: int
    n_rows: int
    n_cols: int
    table: NDArray[np.int64]
    expected: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TwoSampleResult:
    statistic: float
    df: float | None
    p_value: float
    method: str
    n1: int
    n2: int
    estimate: float


@dataclass(frozen=True, slots=True)
class AnovaResult:
    statistic: float
    df_between: float
    df_within: float
    p_value: float
    method: str
    n: int
    n_groups: int

    @property
    def df(self) -> tuple[float, float]:
        return (self.df_between, self.df_within)


@dataclass(frozen=True, slots=True)
class MedianTestResult:
    statistic: float
    df: float
    p_value: float
    method: str
    n: int
    n_groups: int
    grand_median: float
    table: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class McNemarResult:
    statistic: float
    df: float | None
    p_value: float
    method: str
    n: int
    n_01: int
    n_10: int


def chi_square_test(
    rows: Sequence[object] | None = None,
    cols: Sequence[object] | None = None,
    *,
    table: ArrayLike | None = None,
    yates: bool = False,
) -> ChiSquareResult:
    """Pearson chi-square test of independence.

    Give either two equal-length label sequences (cross-tabulated here) or a
    contingency ``table`` of counts.  X^2 = sum (O - E)^2 / E with E from the margins,
    df = (r - 1)(c - 1).  No continuity correction by default; ``yates=True`` applies
    Yates' correction, which is only defined for 2x2 tables (as R ``chisq.test`` with
    ``correct=TRUE``; Yates 1934).
    """
    if table is not None:
        if rows is not None or cols is not None:
            raise StatsError("give either label sequences or a table, not both")
        tab = np.asarray(table)
        if tab.ndim != 2 or np.any(tab < 0) or not np.all(np.equal(np.mod(tab, 1), 0)):
            raise StatsError("table must be a 2-D array of non-negative counts")
        tab = tab.astype(np.int64)
    else:
        if rows is None or cols is None or len(rows) != len(cols):
            raise StatsError("rows and cols must be label sequences of equal length")
        r_lab, r_idx = np.unique(np.asarray([str(v) for v in rows]), return_inverse=True)
        c_lab, c_idx = np.unique(np.asarray([str(v) for v in cols]), return_inverse=True)
        tab = np.zeros((len(r_lab), len(c_lab)), dtype=np.int64)
        np.add.at(tab, (r_idx, c_idx), 1)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        raise StatsError("chi-square test needs at least 2 rows and 2 columns")
    if yates and tab.shape != (2, 2):
        raise StatsError("Yates' correction applies to 2x2 tables only")
    n = int(tab.sum())
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n
    if np.any(expected == 0):
        raise StatsError("a row or column of the table is empty")
    diff = np.abs(tab - expected)
    if yates:
        diff = np.maximum(diff - 0.5, 0.0)
    stat = float((diff**2 / expected).sum())
    df = float((tab.shape[0] - 1) * (tab.shape[1] - 1))
    method = "Pearson's chi-square test" + (" with Yates' continuity correction" if yates else "")
    return ChiSquareResult(
        stat, df, float(stats.chi2.sf(stat, df)), method, n, tab.shape[0], tab.shape[1], tab, expected
    )


def mann_whitney_u(
    x: ArrayLike, y: ArrayLike, *, method: MannWhitneyMethod = "auto"
) -> TwoSampleResult:
    """Two-sided Mann-Whitney U (Wilcoxon rank-sum) test; matches ``scipy.stats.mannwhitneyu``.

    statistic is U of the first sample (R's W).  ``auto``: the exact null distribution
    when both samples are smaller than 8 and there are no ties, otherwise the normal
    approximation with tie-corrected variance and a continuity correction of 0.5
    (Mann & Whitney 1947; R ``wilcox.test(correct=TRUE)``).
    """
    _check_option("method", method, MannWhitneyMethod)
    a, b = _sample(x, "x"), _sample(y, "y")
    res = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True, method=method)
    if method == "auto":
        ties = np.unique(np.r_[a, b]).size < a.size + b.size
        used = "exact" if (a.size < 8 and b.size < 8 and not ties) else "asymptotic"
    else:
        used = method
    label = "exact" if used == "exact" else "normal approximation with continuity correction"
    return TwoSampleResult(
        float(res.statistic), None, float(res.pvalue), f"Mann-Whitney U test ({label})",
        a.size, b.size, float(np.median(a) - np.median(b)),
    )


def t_test_ind(x: ArrayLike, y: ArrayLike, *, equal_var: bool = True) -> TwoSampleResult:
    """Independent-samples t test: Student (pooled variance) or Welch (Welch 1947).

    t = (mean_x - mean_y) / SE; Welch's df by the Welch-Satterthwaite formula.
    Matches R ``t.test(var.equal=)``.
    """
    a, b = _sample(x, "x", 2), _sample(y, "y", 2)
    n1, n2 = a.size, b.size
    v1, v2 = a.var(ddof=1), b.var(ddof=1)
    diff = float(a.mean() - b.mean())
    if equal_var:
        df = float(n1 + n2 - 2)
        sp = ((n1 - 1) * v1 + (n2 - 1) * v2) / df
        se = np.sqrt(sp * (1 / n1 + 1 / n2))
        method = "Student's two-sample t test"
    else:
        s1, s2 = v1 / n1, v2 / n2
        se = np.sqrt(s1 + s2)
        df = float((s1 + s2) ** 2 / (s1**2 / (n1 - 1) + s2**2 / (n2 - 1)))
        method = "Welch's two-sample t test"
    if se == 0:
        raise StatsError("both samples are constant")
    t = diff / se
    return TwoSampleResult(float(t), df, float(2 * stats.t.sf(abs(t), df)), method, n1, n2, diff)


def t_test_paired(x: ArrayLike, y: ArrayLike) -> TwoSampleResult:
    """Paired t test on d = x - y: t = mean(d) / (sd(d)/sqrt(n)), df = n - 1 (R ``t.test(paired=TRUE)``)."""
    a, b = _sample(x, "x", 2), _sample(y, "y", 2)
    if a.size != b.size:
        raise StatsError("paired samples must have equal length")
    d = a - b
    n = d.size
    se = d.std(ddof=1) / np.sqrt(n)
    if se == 0:
        raise StatsError("the differences are constant")
    t = float(d.mean() / se)
    df = float(n - 1)
    return TwoSampleResult(t, df, float(2 * stats.t.sf(abs(t), df)), "Paired t test", n, n, float(d.mean()))


def _split_groups(values: ArrayLike, groups: Sequence[object]) -> dict[str, NDArray[np.float64]]:
    v = _sample(values, "values")
    g = np.asarray([str(x) for x in groups])
    if g.size != v.size:
        raise StatsError("values and groups must have equal length")
    return {str(level): v[g == level] for level in np.unique(g)}


def _samples_arg(
    samples: Sequence[ArrayLike] | Mapping[str, ArrayLike] | ArrayLike,
    groups: Sequence[object] | None,
) -> list[NDArray[np.float64]]:
    if groups is not None:
        return list(_split_groups(samples, groups).values())  # type: ignore[arg-type]
    seq = samples.values() if isinstance(samples, Mapping) else samples
    return [_sample(s, "sample") for s in seq]  # type: ignore[union-attr]


def anova_oneway(
    samples: Sequence[ArrayLike] | Mapping[str, ArrayLike] | ArrayLike,
    groups: Sequence[object] | None = None,
) -> AnovaResult:
    """One-way ANOVA F test with equal variances (Fisher; R ``oneway.test(var.equal=TRUE)``/``aov``).

    Pass k samples, or ``values`` and a parallel ``groups`` label sequence.
    F = [SS_between/(k-1)] / [SS_within/(N-k)].
    """
    parts = _samples_arg(samples, groups)
    if len(parts) < 2 or any(p.size == 0 for p in parts):
        raise StatsError("ANOVA needs at least two non-empty groups")
    allv = np.concatenate(parts)
    n, k = allv.size, len(parts)
    if n <= k:
        raise StatsError("ANOVA needs more observations than groups")
    grand = allv.mean()
    ssb = sum(p.size * (p.mean() - grand) ** 2 for p in parts)
    ssw = sum(((p - p.mean()) ** 2).sum() for p in parts)
    dfb, dfw = float(k - 1), float(n - k)
    f = float((ssb / dfb) / (ssw / dfw))
    return AnovaResult(f, dfb, dfw, float(stats.f.sf(f, dfb, dfw)), "One-way ANOVA (equal variances)", n, k)


def median_test(
    samples: Sequence[ArrayLike] | Mapping[str, ArrayLike] | ArrayLike,
    groups: Sequence[object] | None = None,
    *,
    yates: bool = True,
) -> MedianTestResult:
    """Mood's independent-samples median test (SPSS "median test"; Mood 1950).

    Builds the 2 x k table of counts above the grand median versus at-or-below it
    (ties with the grand median count as *below*, scipy's ``ties='below'``) and applies
    Pearson's chi-square.  With two groups Yates' correction is applied unless
    ``yates=False``; this matches ``scipy.stats.median_test`` defaults and R
    ``chisq.test`` on the same 2 x k table.
    """
    parts = _samples_arg(samples, groups)
    if len(parts) < 2 or any(p.size == 0 for p in parts):
        raise StatsError("median test needs at least two non-empty groups")
    grand = float(np.median(np.concatenate(parts)))
    above = np.array([(p > grand).sum() for p in parts])
    below = np.array([p.size for p in parts]) - above
    tab = np.vstack([above, below]).astype(np.int64)
    if np.any(tab.sum(axis=1) == 0):
        raise StatsError("all values lie on one side of the grand median")
    chi = chi_square_test(table=tab, yates=yates and tab.shape == (2, 2))
    method = "Mood's median test (ties counted below)" + (" with Yates' correction" if "Yates" in chi.method else "")
    return MedianTestResult(chi.statistic, chi.df, chi.p_value, method, chi.n, len(parts), grand, tab)


def mcnemar_test(
    before: ArrayLike,
    after: ArrayLike,
    *,
    method: McNemarMethod = "exact",
    correction: bool = True,
) -> McNemarResult:
    """McNemar's test for paired binary outcomes (McNemar 1947).

    With b = #(before=1, after=0)... precisely n_10 = #(before true, after false) and
    n_01 = #(before false, after true):

    * ``method="exact"`` (default, as SPSS): two-sided binomial test of n_01 against
      Binomial(n_01 + n_10, 1/2), p = min(1, 2 P(X <= min(n_01, n_10))) (R ``binom.test``).
    * ``method="chi2"``: X^2 = (|n_01 - n_10| - c)^2 / (n_01 + n_10), df = 1, with c = 1 if
      ``correction`` (R ``mcnemar.test`` default) else 0.
    """
    _check_option("method", method, McNemarMethod)
    a = np.asarray(before).astype(bool).ravel()
    b = np.asarray(after).astype(bool).ravel()
    if a.size != b.size:
        raise StatsError("before and after must have equal length")
    n10 = int((a & ~b).sum())
    n01 = int((~a & b).sum())
    m = n01 + n10
    if method == "exact":
        p = 1.0 if m == 0 else float(min(1.0, 2.0 * stats.binom.cdf(min(n01, n10), m, 0.5)))
        return McNemarResult(float(min(n01, n10)), None, p, "McNemar test (exact binomial)", a.size, n01, n10)
    if m == 0:
        raise StatsError("no discordant pairs: the chi-square McNemar statistic is undefined")
    c = 1.0 if correction else 0.0
    stat = float(max(abs(n01 - n10) - c, 0.0) ** 2 / m)
    label = "McNemar chi-square test" + (" with continuity correction" if correction else "")
    return McNemarResult(stat, 1.0, float(stats.chi2.sf(stat, 1.0)), label, a.size, n01, n10)


# ----------------------------------------------------------------------------- pairwise


@dataclass(frozen=True, slots=True)
class PairComparison:
    group_a: str
    group_b: str
    statistic: float
    p_value: float
    p_adjusted: float


@dataclass(frozen=True, slots=True)
class PairwiseResult:
    comparisons: tuple[PairComparison, ...]
    correction: str
    groups: tuple[str, ...]

    def significant(self, alpha: float = 0.05) -> tuple[PairComparison, ...]:
        return tuple(c for c in self.comparisons if c.p_adjusted < alpha)


def adjust_pvalues(p: ArrayLike, correction: Correction = "bonferroni") -> NDArray[np.float64]:
    """Bonferroni (p m, capped at 1) or Holm step-down (Holm 1979) adjustment; as R ``p.adjust``."""
    _check_option("correction", correction, Correction)
    pv = np.asarray(p, dtype=np.float64)
    m = pv.size
    if correction == "none" or m == 0:
        return pv.copy()
    if correction == "bonferroni":
        return np.minimum(pv * m, 1.0)
    order = np.argsort(pv, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * pv[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def pairwise(
    test: Callable[[NDArray[np.float64], NDArray[np.float64]], object],
    samples_by_group: Mapping[str, ArrayLike],
    correction: Correction = "bonferroni",
) -> PairwiseResult:
    """Run a two-sample ``test`` (returning an object with statistic and p_value) on all pairs."""
    _check_option("correction", correction, Correction)
    names = list(samples_by_group)
    if len(names) < 2:
        raise StatsError("pairwise comparisons need at least two groups")
    pairs = list(itertools.combinations(names, 2))
    raw = []
    for ga, gb in pairs:
        res = test(_sample(samples_by_group[ga], ga), _sample(samples_by_group[gb], gb))
        raw.append((float(res.statistic), float(res.p_value)))  # type: ignore[attr-defined]
    adj = adjust_pvalues([p for _, p in raw], correction)
    comps = tuple(
        PairComparison(ga, gb, s, p, float(q))
        for (ga, gb), (s, p), q in zip(pairs, raw, adj, strict=True)
    )
    return PairwiseResult(comps, correction, tuple(names))


def describe_pairwise(result: PairwiseResult, alpha: float = 0.05) -> str:
    """The study's phrasing of pairwise results at level ``alpha`` (adjusted p-values).

    * every pair differs: "all groups differ from each other"
    * one group differs from all others and no other pair differs: "CON differs from the other groups"
    * no pair differs: "no groups differ from each other"
    * most pairs differ: "all groups differ from each other, except INC from EPK (and ...)"
    * otherwise the differing pairs: "A differs from B; C differs from D"
    """
    sig = {frozenset((c.group_a, c.group_b)) for c in result.comparisons if c.p_adjusted < alpha}
    nonsig = [c for c in result.comparisons if c.p_adjusted >= alpha]
    groups = result.groups
    if not nonsig:
        return "all groups differ from each other"
    if not sig:
        return "no groups differ from each other"
    if len(groups) > 2:
        for g in groups:
            with_g = {frozenset((g, h)) for h in groups if h != g}
            if sig == with_g:
                return f"{g} differs from the other groups"
    if len(sig) >= len(nonsig):
        exceptions = " and ".join(f"{c.group_a} from {c.group_b}" for c in nonsig)
        return f"all groups differ from each other, except {exceptions}"
    sig_list = [c for c in result.comparisons if c.p_adjusted < alpha]
    return "; ".join(f"{c.group_a} differs from {c.group_b}" for c in sig_list)
