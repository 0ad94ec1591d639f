"""`warehouse analysis life-events` (Table 5.1) on a generated warehouse: layout, disclosure
control, same numbers as sql/tab_5_01_fixed_effects_logit.sql, and the planted odds ratios."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from warehouse.commands.analysis import GROUP_ORDER, TABLE_5_1_SQL, TERM_LABELS, life_events_table

TERMS = list(TERM_LABELS)
#: planted.json odds_ratios key -> term of the query
PLANTED_TERMS = {
    "secm_benefit": "secm_benefit",
    "secm_school": "secm_school_student",
    "secm_other_no_income": "secm_other_no_income",
    "partner": "partner",
    "bio_child": "bio_child",
    "resident_nonbio_child": "resident_nonbio_child",
}


@pytest.fixture(scope="module")
def table_and_raw(generated_warehouse: Path):
    from warehouse.db import connect

    con = connect(generated_warehouse / "warehouse.duckdb", read_only=True)
    try:
        result = life_events_table(con)
        raw = con.execute(TABLE_5_1_SQL.read_text()).df()
    finally:
        con.close()
    return result, raw


def test_layout_groups_terms_and_disclosure(table_and_raw):
    result, _ = table_and_raw
    t = result.table
    assert {"OFF", "CC"} <= set(t.grp) and set(t.grp) <= set(GROUP_ORDER)
    for grp, rows in t.groupby("grp", sort=False):
        assert list(rows.term) == TERMS, grp
    assert list(dict.fromkeys(t.grp)) == [g for g in GROUP_ORDER if g in set(t.grp)]
    # counts rounded to 5 (or suppressed), no person-level column, one row per group x term
    for col in ("n_den", "n_dropped", "n_months"):
        vals = t[col].dropna().to_numpy(float)
        assert np.all(vals % 5 == 0), col
    assert not [c for c in t.columns if c.endswith("_id") or c == "person_id"]
    assert len(t) == t.groupby(["grp", "term"]).ngroups <= len(GROUP_ORDER) * len(TERMS)
    off = t[t.grp == "OFF"].iloc[0]
    assert off.n_den >= 10
    # persons without variation: few here, so suppressed (NA) under the cbs minimum of 10, else rounded
    assert t.n_dropped.isna().all() or (t.n_dropped.dropna() >= 10).all()
    assert set(t.stars) <= {"", "*", "**", "***"}


def test_same_numbers_as_the_sql_file(table_and_raw):
    result, raw = table_and_raw
    t = result.table.set_index(["grp", "term"])
    # converged fits only: DuckDB's list() order varies between runs, which moves the last
    # iterate of a divergent (separated) coefficient but not a converged estimate
    shown = t[t.odds_ratio.notna() & t.converged.astype(bool)]
    assert len(shown) > 0
    r = raw.set_index(["grp", "term"]).loc[shown.index]
    np.testing.assert_allclose(shown.odds_ratio, r.odds_ratio, rtol=1e-9)
    np.testing.assert_allclose(shown.p_value, r.p_value, rtol=1e-7, atol=1e-12)
    z = 1.959963984540054
    np.testing.assert_allclose(np.log(shown.ci_high) - np.log(shown.odds_ratio), z * r.se, rtol=1e-9)
    assert (shown.ci_low < shown.odds_ratio).all() and (shown.odds_ratio < shown.ci_high).all()


#: Six planted odds ratios are checked on one draw of the panel: per-term 95% intervals would miss
#: at least one of six about 26% of the time even for a correct model, so the planted-truth check uses
#: Bonferroni-adjusted intervals (family-wise 95%: z for 1 - 0.05 / 12).  Table 5.1's linear age term
#: is misspecified for the generator's bell-shaped, profile-specific age curves (school months are the
#: first adult months), so the planted-truth check replaces it by the planted age curves (see
#: test_planted_odds_ratios_recovered_from_the_panel); the flexible-age check has no such bias either.
FAMILYWISE_Z = 2.6382


def test_planted_odds_ratios_covered_with_flexible_age(off_panel, planted):
    """Same panel (the query's own CTEs), age as cubic splines per estimated trajectory profile (no planted
    truth in the model): all six covered, family-wise 95%. Per-term 95% intervals, used here until 2026-11,
    miss one of six in 14-36% of the outcomes re-drawn from the planted model on seeds 3-7 even with the
    planted age curves (calfam2 measurement, 2026-11-24), so passing them on one draw was luck."""
    panel = off_panel
    X = np.array(panel.x.tolist())
    a = (X[:, 0] - 30.0) / 10.0
    basis = np.column_stack([a, a**2, a**3, np.maximum(a, 0) ** 3, np.maximum(a + 1, 0) ** 3])
    profile = panel.profile.to_numpy()
    design = np.column_stack([X[:, 1:]] + [basis * (profile == g)[:, None] for g in sorted(set(profile))])
    res = _fit(panel, design)
    assert not _familywise_misses(res.coef, res.se, planted["odds_ratios"])


#: planted.json keys in the column order of the panel's covariates
PLANTED_ORDER = list(PLANTED_TERMS)


@pytest.fixture(scope="module")
def off_panel(generated_warehouse: Path):
    """Table 5.1's OFF panel (the query's own CTEs) with each person's planted latent class (truth)."""
    import pandas as pd

    from warehouse.commands.analysis import _cte_prefix
    from warehouse.db import connect

    con = connect(generated_warehouse / "warehouse.duckdb", read_only=True)
    try:
        panel: pd.DataFrame = con.execute(
            _cte_prefix(TABLE_5_1_SQL.read_text(), "grouped")
            + "\nselect profile, person_id, offended, x from grouped where grp = 'OFF'"
        ).df()
    finally:
        con.close()
    truth = pd.read_csv(generated_warehouse / "truth" / "persons.csv", dtype=str, keep_default_na=False)
    latent = pd.Series(truth["latent_class"].to_numpy(), index="R" + truth["RINPERSOON"])
    panel["latent_class"] = latent.reindex(panel["person_id"]).to_numpy()
    assert panel["latent_class"].isin(["INC", "EPK", "LPK", "CON"]).all()
    return panel


@pytest.fixture(scope="module")
def planted(generated_warehouse: Path) -> dict:
    return json.loads((generated_warehouse / "truth" / "planted.json").read_text())


@pytest.fixture(scope="module")
def planted_curve_fit(off_panel, planted):
    """The OFF panel's conditional logit with the planted age curves in place of the linear age."""
    X = np.array(off_panel.x.tolist())
    baseline = _planted_log_baseline(X[:, 0], off_panel.latent_class.to_numpy(), planted)
    return _fit(off_panel, np.column_stack([X[:, 1:], baseline]))


def _planted_log_baseline(age: np.ndarray, latent_class: np.ndarray, planted: dict) -> np.ndarray:
    """The generator's planted monthly log-odds baseline (docs/synthetic-population.md, Offending):
    logit(lambda_g(age) / 12) - slope * max(age - after, 0), lambda_g(a) = base + peak * exp(-((a - centre)/width)^2),
    monthly probability clipped to [1e-6, 0.9]; from planted.json, not from the generator's code."""
    lam = np.full(len(age), np.nan)
    for g, c in planted["group_curves"].items():
        sel = latent_class == g
        lam[sel] = c["base"] + c["peak"] * np.exp(-(((age[sel] - c["centre"]) / c["width"]) ** 2))
    p0 = np.clip(lam / 12.0, 1e-6, 0.9)
    return np.log(p0 / (1 - p0)) - planted["age_decline_slope"] * np.clip(age - planted["age_decline_after"], 0, None)


def _fit(panel, design: np.ndarray):
    import warnings

    from python_udfs.clogit import clogit
    from python_udfs.stats_errors import ModelWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelWarning)
        return clogit(panel.offended.to_numpy(), design, groups=panel.person_id.to_numpy())


def _familywise_misses(coef, se, planted_or: dict) -> list:
    missed = []
    for j, key in enumerate(PLANTED_ORDER):
        assert math.isfinite(coef[j]) and math.isfinite(se[j]) and se[j] > 0, (key, coef[j], se[j])
        low, high = math.exp(coef[j] - FAMILYWISE_Z * se[j]), math.exp(coef[j] + FAMILYWISE_Z * se[j])
        if not low < planted_or[key] < high:
            missed.append((key, low, planted_or[key], high))
    return missed


def test_planted_odds_ratios_recovered_from_the_panel(planted_curve_fit, planted):
    """Acceptance (issue #8): the panel of Table 5.1 (states and offending as the warehouse derives them)
    recovers the planted odds ratios: the OFF model with each person's planted age curve (the log-baseline of
    its latent class, from planted.json, as a covariate in place of Table 5.1's linear age) covers all six,
    family-wise 95%.

    Until 2026-11 this check used Table 5.1's own model. Its one linear age slope is misspecified for the
    planted curves (bell-shaped and different by class: EPK peaks at 18, LPK at 27), and with 60 OFF persons
    the resulting bias differs from draw to draw and term to term, so whether it covered depended on the draw.
    Measured (2026-11-24) by re-drawing the outcome 50 times from the planted model on the fixed covariates of
    4,000-person draws (seeds 3-7): Table 5.1's model misses a family-wise interval in 4-24% of the re-draws
    (seed 3: 24%, partner term mean z +1.07; with the generator before the family calibration of issue #9:
    4-38%, seed 3: 38%, school term mean z -1.71), this model in 2-10% (mean 4.4%, nominal 5%; every mean z within
    0.3; the planted-curve re-draws were measured on branch calfam2's generator). On this fixture (generator of
    2026-11-24, calibration round 5) Table 5.1's benefit term has z -2.7 (outside the family-wise interval), this
    model's largest |z| is 2.3 (resident non-biological child). The check fails if a state is derived from the
    wrong months (partner lagged by 24 months: partner missed on seed 3). Table 5.1's own numbers are checked
    against the SQL file and R (tests/test_clogit*.py) and, below, against this fit."""
    assert set(PLANTED_ORDER) == set(planted["odds_ratios"])
    res = planted_curve_fit
    assert not _familywise_misses(res.coef, res.se, planted["odds_ratios"])
    # the index trafficking cases are not drawn from the age curves and flatten the baseline somewhat
    # (coefficient 0.64-0.94 on seeds 3-7, se 0.08-0.10); 1 within its interval is not required
    assert 0.5 < res.coef[6] < 1.5, res.coef[6]


def test_table_5_1_linear_age_moves_no_odds_ratio_beyond_the_familywise_width(table_and_raw, planted_curve_fit):
    """Table 5.1's OFF odds ratios (linear age) differ from the fit with the planted age curves (test above)
    by less than the family-wise half-width of their intervals: the misspecification moves an estimate, on
    the same data, by at most about 1 se (measured on seeds 3-7, 2026-11-24)."""
    result, _ = table_and_raw
    ref = planted_curve_fit
    off = result.table[result.table.grp == "OFF"].set_index("term")
    for j, (key, term) in enumerate(PLANTED_TERMS.items()):
        estimate, high = off.loc[term, "odds_ratio"], off.loc[term, "ci_high"]
        assert math.isfinite(estimate) and math.isfinite(high) and estimate > 0, (key, estimate, high)
        se = (math.log(high) - math.log(estimate)) / 1.959963984540054
        assert abs(math.log(estimate) - ref.coef[j]) < FAMILYWISE_Z * se, (key, estimate, math.exp(ref.coef[j]))


def test_cli_json_and_table(generated_warehouse: Path):
    from warehouse.cli import app

    db = str(generated_warehouse / "warehouse.duckdb")
    out = CliRunner().invoke(app, ["analysis", "life-events", "--db", db, "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["table"] == "5.1" and payload["profile"] == "cbs"
    grps = {r["grp"] for r in payload["rows"]}
    assert {"OFF", "CC"} <= grps
    assert all(r["n_den"] is None or r["n_den"] % 5 == 0 for r in payload["rows"])
    text = CliRunner().invoke(app, ["analysis", "life-events", "--db", db])
    assert text.exit_code == 0, text.output
    assert "SECM (ref. work): benefit" in text.stdout and "n persons" in text.stdout


def test_cli_missing_database(tmp_path: Path):
    from warehouse.cli import app

    out = CliRunner().invoke(app, ["analysis", "life-events", "--db", str(tmp_path / "none.duckdb")])
    assert out.exit_code == 2
