"""Exact conditional logit: R survival::clogit references, brute force, planted truth, CLI."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp

from python_udfs import _clogit_core as core
from python_udfs.clogit import clogit, clogit_from_frame, significance_stars
from python_udfs.stats_errors import ModelWarning, StatsError

HERE = Path(__file__).parent
DATA = HERE / "data" / "stats"
REF = HERE / "reference" / "clogit"
LEVELS = ["BENEFIT", "OTHER_NO_INCOME", "SCHOOL_STUDENT"]  # sorted, reference WORK


def read_ref(name: str) -> pd.DataFrame:
    path = REF / name
    n_comment = sum(1 for line in path.read_text().splitlines() if line.startswith("#"))
    return pd.read_csv(path, skiprows=n_comment)


def fit_quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        return clogit_from_frame(*args, **kwargs)


# ------------------------------------------------------------------ R references


def test_infert_matches_r_exact():
    ref = read_ref("infert_exact.csv")
    df = pd.read_csv(DATA / "infert.csv")
    res = fit_quiet(df, outcome="case", covariates=["spontaneous", "induced"], subject_id="stratum")
    assert list(res.terms) == list(ref.term)
    assert_allclose(res.coef, ref.estimate, rtol=0, atol=1e-6)
    assert_allclose(res.se, ref.std_error, rtol=1e-6, atol=0)
    assert_allclose(res.loglik, ref.loglik.iloc[0], rtol=0, atol=1e-6)
    assert_allclose(res.loglik_null, ref.loglik_null.iloc[0], rtol=0, atol=1e-6)
    assert_allclose(res.p, ref.p_value, rtol=1e-5, atol=0)
    assert res.converged


def test_aliased_covariates_are_nan_like_r():
    """A covariate constant within every stratum and one that is a sum of two others are not identified:
    R's coxph gives NA and fits the rest (tests/reference/clogit/generate_reference_aliased.R)."""
    ref = read_ref("infert_aliased_exact.csv")
    df = pd.read_csv(DATA / "infert.csv")
    df["stratum_even"] = df["stratum"] % 2
    df["both"] = df["spontaneous"] + df["induced"]
    terms = ["spontaneous", "stratum_even", "induced", "both"]
    with pytest.warns(ModelWarning, match="not identified.*stratum_even, both"):
        res = clogit(df["case"].to_numpy(), df[terms].to_numpy(float), groups=df["stratum"].to_numpy(), names=terms)
    assert list(res.terms) == list(ref.term)
    expected_aliased = ref.estimate.isna().to_numpy()
    assert_array_equal(res.aliased, expected_aliased)
    assert np.isnan(res.coef[expected_aliased]).all() and np.isnan(res.odds_ratio[expected_aliased]).all()
    assert_allclose(res.coef[~expected_aliased], ref.estimate[~expected_aliased].astype(float), rtol=0, atol=1e-6)
    assert_allclose(res.se[~expected_aliased], ref.std_error[~expected_aliased].astype(float), rtol=1e-6, atol=0)
    assert_allclose(res.loglik, ref.loglik.iloc[0], rtol=0, atol=1e-6)
    assert res.converged


def test_aliased_covariate_in_the_sql_udf_is_null():
    """Through the DuckDB UDF the aliased term comes back as NULL, not as an error for the whole query."""
    import duckdb

    from python_udfs.registration import register_udfs

    df = pd.read_csv(DATA / "infert.csv")
    con = duckdb.connect()
    register_udfs(con)
    con.register("infert", df)
    fit = con.execute(
        "select clogit_fit(list(stratum::varchar), list(\"case\"::integer), list([spontaneous, stratum % 2, induced]::double[]),"
        " ['spontaneous', 'stratum_even', 'induced']) from infert"
    ).fetchone()[0]
    assert fit["term"] == ["spontaneous", "stratum_even", "induced"]
    assert fit["coef"][1] is None and fit["odds_ratio"][1] is None and fit["p"][1] is None
    assert fit["coef"][0] is not None and fit["coef"][2] is not None


def test_synthetic_panel_matches_r_exact():
    ref = read_ref("synthetic_exact.csv")
    df = pd.read_csv(DATA / "synthetic_panel.csv")
    per = df.groupby("person_id").offend.agg(["size", "sum"])
    no_var = per[(per["sum"] == 0) | (per["sum"] == per["size"])]
    assert {2, 3, 4} <= set(no_var.index)
    with pytest.warns(ModelWarning, match=f"{len(no_var)} strata \\({no_var['size'].sum()} rows\\)"):
        res = clogit_from_frame(
            df,
            outcome="offend",
            covariates=["secm", "partner", "bio_child", "age"],
            subject_id="person_id",
            categorical={"secm": "WORK"},
        )
    # R names factor dummies secmBENEFIT; ours secm[BENEFIT]; R orders levels as given
    r_terms = [t.replace("secm", "secm[", 1) + "]" if t.startswith("secm") else t for t in ref.term]
    order = [res.terms.index(t) for t in r_terms]
    assert_allclose(res.coef[order], ref.estimate, rtol=0, atol=1e-6)
    assert_allclose(res.se[order], ref.std_error, rtol=1e-6, atol=0)
    assert_allclose(res.loglik, ref.loglik.iloc[0], rtol=0, atol=1e-6)
    assert res.n_obs == ref.n.iloc[0] - no_var["size"].sum()
    assert res.n_groups_dropped == len(no_var) and res.n_groups == 60 - len(no_var)
    # the big stratum (n >= 200, k >= 40) is part of the fit
    big = df[df.person_id == 1]
    assert len(big) >= 200 and big.offend.sum() >= 40


def test_statsmodels_conditional_logit_agrees():
    from statsmodels.discrete.conditional_models import ConditionalLogit

    df = pd.read_csv(DATA / "infert.csv")
    sm = ConditionalLogit(df["case"], df[["spontaneous", "induced"]], groups=df["stratum"]).fit(disp=0)
    res = fit_quiet(df, outcome="case", covariates=["spontaneous", "induced"], subject_id="stratum")
    assert_allclose(res.coef, np.asarray(sm.params), rtol=0, atol=1e-5)
    assert_allclose(res.se, np.asarray(sm.bse), rtol=1e-3, atol=0)


# ------------------------------------------------------------------ exactness / stability


def brute_force(X: np.ndarray, y: np.ndarray, beta: np.ndarray):
    """Log-likelihood, score and information of one stratum by enumerating all subsets."""
    n, k = len(y), int(y.sum())
    subsets = np.array(list(itertools.combinations(range(n), k)))
    s = X[subsets].sum(axis=1)  # (n_subsets, p)
    logw = s @ beta
    logd = logsumexp(logw)
    w = np.exp(logw - logd)
    mean = w @ s
    cov = (s - mean).T @ ((s - mean) * w[:, None])
    return y @ X @ beta - logd, y @ X - mean, cov


@pytest.mark.parametrize("k", [1, 4, 6, 9])
def test_derivatives_match_subset_enumeration(k):
    rng = np.random.default_rng(k)
    n, p = 12, 3
    X = rng.normal(size=(n, p)) * np.array([1.0, 2.0, 0.5])
    y = np.zeros(n, dtype=np.int64)
    y[rng.choice(n, k, replace=False)] = 1
    beta = rng.normal(size=p)
    prep = core.prepare_strata(y, X, np.zeros(n, dtype=np.int64))
    ll, grad, info = core.derivatives(prep, beta)
    ll_b, grad_b, info_b = brute_force(X, y, beta)
    assert_allclose(ll, ll_b, rtol=1e-12, atol=1e-10)
    assert_allclose(grad, grad_b, rtol=1e-10, atol=1e-10)
    assert_allclose(info, info_b, rtol=1e-10, atol=1e-10)
    assert_allclose(core.loglik(prep, beta), ll_b, rtol=1e-12, atol=1e-10)


def log_space_denominator(eta: np.ndarray, k: int) -> float:
    """log e_k(exp(eta)) by the recursion carried out entirely in log space."""
    logb = np.full(k + 1, -np.inf)
    logb[0] = 0.0
    for e in eta:
        logb[1:] = np.logaddexp(logb[1:], e + logb[:-1])
    return float(logb[k])


@pytest.mark.parametrize("k", [60, 135, 210])
def test_long_stratum_no_overflow(k):
    rng = np.random.default_rng(270 + k)
    n = 270
    X = np.column_stack([rng.normal(size=n) * 3.0, rng.integers(0, 2, n), np.arange(n) / 12.0 + 18.0])
    y = np.zeros(n, dtype=np.int64)
    y[rng.choice(n, k, replace=False)] = 1
    beta = np.array([1.5, -2.0, 0.3])  # linear predictor spans ~40 on the log scale
    prep = core.prepare_strata(y, X, np.zeros(n, dtype=np.int64))
    ll, grad, info = core.derivatives(prep, beta)
    assert np.isfinite(ll) and np.all(np.isfinite(grad)) and np.all(np.isfinite(info))
    eta = X @ beta
    assert_allclose(ll, y @ eta - log_space_denominator(eta, k), rtol=1e-11, atol=1e-8)
    # score equals the numerical derivative of the log-space likelihood
    h = 1e-6
    num = [
        ((y @ X @ (beta + h * e)) - log_space_denominator(X @ (beta + h * e), k)
         - (y @ X @ (beta - h * e)) + log_space_denominator(X @ (beta - h * e), k)) / (2 * h)
        for e in np.eye(3)
    ]
    assert_allclose(grad, num, rtol=1e-5, atol=1e-4)
    # information is a covariance matrix: symmetric positive definite
    assert_allclose(info, info.T, rtol=1e-12, atol=1e-9)
    assert np.all(np.linalg.eigvalsh(info) > 0)


def test_far_out_beta_stays_finite():
    """A Newton step far out (separation) gives linear predictors of thousands: the likelihood and its
    derivatives stay finite and equal the log-space formula (weights shifted within the stratum)."""
    rng = np.random.default_rng(5)
    n, k = 60, 7
    X = rng.normal(size=(n, 2))
    y = np.zeros(n, dtype=np.int64)
    y[rng.choice(n, k, replace=False)] = 1
    beta = np.array([300.0, -150.0])  # eta up to ~1000: exp() overflows without the shift
    prep = core.prepare_strata(y, X, np.zeros(n, dtype=np.int64))
    ll, grad, info = core.derivatives(prep, beta)
    assert np.isfinite(ll) and np.all(np.isfinite(grad)) and np.all(np.isfinite(info))
    eta = (X - X.mean(axis=0)) @ beta
    assert_allclose(ll, y @ eta - log_space_denominator(eta, k), rtol=1e-9)
    assert_allclose(core.loglik(prep, beta), ll, rtol=1e-12)


def test_complement_symmetry_and_group_labels():
    df = pd.read_csv(DATA / "synthetic_panel.csv")
    X = df[["partner", "bio_child", "age"]].to_numpy(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        a = clogit(df.offend, X, groups=df.person_id)
        b = clogit(1 - df.offend, -X, groups=df.person_id.astype(str) + "x")
    assert_allclose(a.coef, b.coef, rtol=0, atol=1e-9)
    assert_allclose(a.se, b.se, rtol=1e-9, atol=0)
    assert_allclose(a.loglik, b.loglik, rtol=0, atol=1e-8)


# ------------------------------------------------------------------ planted truth

PLANTED = {"secm[BENEFIT]": 0.3, "partner": -0.4, "bio_child": -0.3, "resident_nonbio_child": 0.2, "age": -0.05}


def simulate_panel(n_persons: int, n_months: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    N = n_persons * n_months
    person = np.repeat(np.arange(n_persons), n_months)
    secm = np.array(["WORK", "BENEFIT", "SCHOOL_STUDENT", "OTHER_NO_INCOME"])[rng.integers(0, 4, N)]
    partner = (rng.random(N) < 0.4).astype(int)
    bio = (rng.random(N) < 0.3).astype(int)
    nonbio = (rng.random(N) < 0.15).astype(int)
    age = np.repeat(rng.uniform(16, 30, n_persons), n_months) + np.tile(np.arange(n_months) / 12, n_persons)
    alpha = np.repeat(rng.normal(-1.5, 1.0, n_persons), n_months)
    eta = (alpha + PLANTED["secm[BENEFIT]"] * (secm == "BENEFIT") + PLANTED["partner"] * partner
           + PLANTED["bio_child"] * bio + PLANTED["resident_nonbio_child"] * nonbio
           + PLANTED["age"] * (age - 23))
    y = (rng.random(N) < 1 / (1 + np.exp(-eta))).astype(int)
    return pd.DataFrame({"pid": person, "y": y, "secm": secm, "partner": partner, "bio_child": bio,
                         "resident_nonbio_child": nonbio, "age": age})


def fit_planted(df: pd.DataFrame):
    return fit_quiet(df, outcome="y", subject_id="pid",
                     covariates=["secm", "partner", "bio_child", "resident_nonbio_child", "age"],
                     categorical={"secm": "WORK"})


def test_planted_truth_covered():
    res = fit_planted(simulate_panel(300, 120, seed=7))
    tidy = res.tidy().set_index("term")
    for term, beta in PLANTED.items():
        assert tidy.loc[term, "conf_low"] < np.exp(beta) < tidy.loc[term, "conf_high"], term
    assert abs(tidy.loc["secm[SCHOOL_STUDENT]", "estimate"]) < 4 * tidy.loc["secm[SCHOOL_STUDENT]", "std_error"]


def test_planted_truth_coverage_over_replications():
    hits, total = 0, 0
    for rep in range(20):
        res = fit_planted(simulate_panel(100, 60, seed=1000 + rep))
        tidy = res.tidy().set_index("term")
        for term, beta in PLANTED.items():
            hits += tidy.loc[term, "conf_low"] < np.exp(beta) < tidy.loc[term, "conf_high"]
            total += 1
    assert hits / total >= 0.8


# ------------------------------------------------------------------ API behaviour


def test_result_object_and_tidy():
    df = pd.read_csv(DATA / "infert.csv")
    res = fit_quiet(df, outcome="case", covariates=["spontaneous", "induced"], subject_id="stratum")
    tidy = res.tidy()
    assert list(tidy.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                  "conf_low", "conf_high", "odds_ratio"]
    assert_allclose(tidy.odds_ratio, np.exp(res.coef), rtol=1e-15, atol=0)
    assert_allclose(np.log(res.ci_high) - res.coef, 1.959963984540054 * res.se, rtol=1e-12, atol=0)
    assert_allclose(res.z, res.coef / res.se, rtol=1e-15, atol=0)
    with pytest.raises(AttributeError):
        res.loglik = 0.0  # frozen
    assert res.n_obs == len(df) and res.n_groups == df.stratum.nunique()


def test_bad_input_raises():
    with pytest.raises(StatsError):
        clogit([0, 1, 2], np.ones((3, 1)), groups=[1, 1, 1])
    with pytest.raises(StatsError, match="no stratum"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            clogit([0, 0, 1, 1], np.arange(4.0), groups=[1, 1, 2, 2])
    df = pd.DataFrame({"g": [1, 1, 2, 2], "y": [0, 1, 0, 1], "c": list("abab")})
    with pytest.raises(StatsError, match="reference level"):
        clogit_from_frame(df, outcome="y", covariates=["c"], subject_id="g", categorical={"c": "z"})


@pytest.mark.parametrize(("p", "stars"), [(0.0009, "***"), (0.001, "**"), (0.009, "**"), (0.04, "*"), (0.05, "")])
def test_significance_stars(p, stars):
    assert significance_stars(p) == stars


# ------------------------------------------------------------------ CLI


def test_felogit_cli_json():
    import typer
    from typer.testing import CliRunner

    from warehouse.commands.felogit import felogit

    app = typer.Typer()
    app.command("felogit")(felogit)
    app.command("noop")(lambda: None)  # keep felogit a named sub-command
    ref = read_ref("synthetic_exact.csv")
    out = CliRunner().invoke(app, [
        "felogit", "--panel", str(DATA / "synthetic_panel.csv"), "--id", "person_id",
        "--outcome", "offend", "--covariates", "secm,partner,bio_child,age",
        "--categorical", "secm=WORK", "--json",
    ])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert set(payload) == {"coef", "se", "odds_ratio", "ci_low", "ci_high", "p", "loglik", "n_obs",
                            "n_groups", "n_groups_dropped", "seconds"}
    assert_allclose(payload["coef"]["partner"], ref.set_index("term").estimate["partner"], rtol=0, atol=1e-6)
    assert_allclose(payload["coef"]["secm[BENEFIT]"], ref.set_index("term").estimate["secmBENEFIT"], rtol=0, atol=1e-6)
    per = pd.read_csv(DATA / "synthetic_panel.csv").groupby("person_id").offend.agg(["size", "sum"])
    assert payload["n_groups_dropped"] == int(((per["sum"] == 0) | (per["sum"] == per["size"])).sum())
    assert_allclose(payload["loglik"], ref.loglik.iloc[0], rtol=0, atol=1e-6)


# ------------------------------------------------------------------ separation


def separated_panel() -> pd.DataFrame:
    """Strata where covariate `sep` is 1 exactly in the event months (quasi-complete separation)."""
    rng = np.random.default_rng(11)
    rows = []
    for pid in range(40):
        n = 30
        y = np.zeros(n, dtype=int)
        y[rng.choice(n, 3, replace=False)] = 1
        x = rng.normal(size=n)
        sep = y.copy()
        sep[rng.choice(np.flatnonzero(y == 0), 2, replace=False)] = 1  # also 1 in some non-events
        rows.append(pd.DataFrame({"pid": pid, "y": y, "x": x, "sep": sep}))
    return pd.concat(rows, ignore_index=True)


def test_separated_covariate_gives_infinite_bound_without_runtime_warning():
    df = separated_panel()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = clogit_from_frame(df, outcome="y", covariates=["x", "sep"], subject_id="pid")
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in caught]
    assert any("coefficient may be infinite" in str(w.message) for w in caught)
    assert list(res.separation) == [False, True]
    assert not res.converged
    assert res.coef[1] > 5 and res.ci_high[1] == np.inf
    assert np.isfinite(res.ci_low[0]) and np.isfinite(res.ci_high[0]) and res.ci_low[0] < res.ci_high[0]
    d = res.to_dict()
    assert d["separation"] == {"x": False, "sep": True} and d["converged"] is False


def test_separation_negative_direction_gives_zero_lower_bound():
    df = separated_panel()
    df["sep"] = -df["sep"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        warnings.simplefilter("error", RuntimeWarning)
        res = clogit_from_frame(df, outcome="y", covariates=["x", "sep"], subject_id="pid")
    assert res.separation[1] and res.coef[1] < -5 and res.ci_low[1] == 0.0


def test_felogit_cli_json_separation_is_valid_json(tmp_path):
    import typer
    from typer.testing import CliRunner

    from warehouse.commands.felogit import felogit

    path = tmp_path / "panel.csv"
    separated_panel().to_csv(path, index=False)
    app = typer.Typer()
    app.command("felogit")(felogit)
    app.command("noop")(lambda: None)
    out = CliRunner().invoke(app, ["felogit", "--panel", str(path), "--id", "pid", "--outcome", "y",
                                   "--covariates", "x,sep", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert payload["ci_high"]["sep"] is None and payload["ci_high"]["x"] > 0
