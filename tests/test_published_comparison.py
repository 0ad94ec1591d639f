"""The published-vs-reproduced comparison: look-up of each published number, thresholds, the 95% sampling band.

The band is checked against statsmodels' normal-approximation confidence interval of a proportion
(``statsmodels.stats.proportion.proportion_confint(method="normal")``), an independent implementation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from warehouse.report.published import compare_published, load_published, sampling_band


@pytest.mark.parametrize(("pct", "n"), [(36.0, 625), (9.0, 570), (78.0, 70), (50.0, 10)])
def test_sampling_band_is_the_normal_interval_of_a_proportion(pct: float, n: int):
    low, high = proportion_confint(count=pct / 100 * n, nobs=n, alpha=0.05, method="normal")
    band = sampling_band(pd.Series([pct]), pd.Series([float(n)])).iloc[0]
    assert band == pytest.approx((high - low) / 2 * 100, rel=1e-9)


def test_sampling_band_without_denominator_is_missing():
    band = sampling_band(pd.Series([40.0, 40.0]), pd.Series([np.nan, 0.0]))
    assert band.isna().all()


def _published() -> pd.DataFrame:
    rows = [
        # spec, table, grp, measure, category, period, stat, kind, published, note
        ("§x", "fig_x", "OFF", "flag_a", "yes", "", "pct", "share", 36.0, ""),  # +3 on 600: inside threshold
        ("§x", "fig_x", "CC", "flag_a", "yes", "", "pct", "share", 36.0, ""),  # +8 on 600: outside the band (±3.8)
        ("§x", "fig_x", "INC", "flag_a", "yes", "", "pct", "share", 36.0, ""),  # +8 on 60: inside the band (±12.1)
        ("§x", "fig_x", "NCC", "flag_a", "yes", "", "pct", "share", 36.0, ""),  # suppressed cell
        ("§x", "fig_x", "OFF", "flag_a", "mean", "", "mean", "mean", 2.5, ""),  # means carry no band
    ]
    return pd.DataFrame(rows, columns=["spec", "table", "grp", "measure", "category", "period", "stat", "kind",
                                       "published", "note"])


def _tables() -> dict[str, pd.DataFrame]:
    table = pd.DataFrame({
        "grp": ["OFF", "CC", "INC", "NCC", "OFF"],
        "measure": ["flag_a"] * 5,
        "category": ["yes", "yes", "yes", "yes", "mean"],
        "n": [235.0, 265.0, 25.0, np.nan, np.nan],
        "n_den": [600.0, 600.0, 60.0, 600.0, 600.0],
        "pct": [39.0, 44.0, 44.0, np.nan, np.nan],
        "mean": [np.nan, np.nan, np.nan, np.nan, 2.7],
    })
    return {"fig_x": table}


def test_comparison_flags_and_bands():
    out = compare_published(_tables(), _published()).set_index(["grp", "category"])
    assert out.loc[("OFF", "yes"), "flag"] == ""
    assert out.loc[("CC", "yes"), "flag"] == "DEVIATES"
    assert not out.loc[("CC", "yes"), "within_sampling_band"]
    assert out.loc[("INC", "yes"), "flag"] == "DEVIATES"
    assert out.loc[("INC", "yes"), "within_sampling_band"]
    assert out.loc[("INC", "yes"), "sampling_band"] == pytest.approx(1.959963984540054 * np.sqrt(0.36 * 0.64 / 60) * 100)
    assert out.loc[("NCC", "yes"), "flag"] == "suppressed/missing"
    assert pd.isna(out.loc[("NCC", "yes"), "within_sampling_band"])
    assert pd.isna(out.loc[("OFF", "mean"), "sampling_band"])
    assert out.loc[("OFF", "mean"), "reproduced"] == pytest.approx(2.7)


def test_published_recidivism_windows_are_listed():
    """SPEC §5.6: the Dadermonitor windows (detention-corrected) are compared like every other headline share."""
    pub = load_published()
    rec = pub[pub["table"] == "rec_5_6_recidivism_windows"].set_index("measure")["published"]
    assert rec.to_dict() == {"any_2y_corrected": 36, "any_5y_corrected": 58, "any_7y_corrected": 65,
                             "trafficking_5y_corrected": 9}
