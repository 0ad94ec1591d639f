"""Disclosure control (warehouse.disclosure): profile rules, protect() properties, assert_safe() refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warehouse.disclosure import PROFILES, DisclosureError, Profile, assert_safe, get_profile, protect


def _frame(ns, dens, means=None):
    frame = pd.DataFrame({
        "grp": [f"G{i}" for i in range(len(ns))],
        "n": ns,
        "n_den": dens,
    })
    if means is not None:
        frame["mean"] = means
    return frame


def test_cbs_rounds_and_suppresses_below_ten():
    out = protect(_frame([0, 3, 9, 10, 12, 13, 224], [100, 100, 100, 100, 100, 100, 226]), profile="cbs")
    assert out["n"].tolist()[:3] == [pd.NA, pd.NA, pd.NA]
    assert out["n"].tolist()[3:] == [10, 10, 15, 225]
    # percentages from rounded counts (SPEC §4.4): 225 / 225 = 100%, 15 / 100 = 15%
    assert out["pct"].tolist()[5:] == [15.0, 100.0]
    assert out["pct"].isna().tolist()[:3] == [True, True, True]
    assert_safe(out, "cbs")


def test_study_profile_shows_cells_of_five_and_zero():
    out = protect(_frame([0, 2, 3, 7, 55], [225, 225, 225, 225, 225]), profile="study")
    assert out["n"].tolist() == [0, 0, 5, 5, 55]
    assert out["pct"].tolist() == [0.0, 0.0, 2.0, 2.0, 24.0]  # SPEC §4.4 check: 55/225 = 24%
    assert_safe(out, "study")
    with pytest.raises(DisclosureError, match="below the minimum"):
        assert_safe(out, "cbs")


def test_published_female_shares_reproduce_spec_example():
    out = protect(_frame([55, 20, 5], [75, 75, 75]), profile="study")
    assert out["pct"].tolist() == [73.0, 27.0, 7.0]


def test_means_kept_unrounded_but_suppressed_on_small_basis():
    out = protect(_frame([12, 40], [12, 40], means=[3.14159, 2.71828]), profile="cbs")
    assert out["mean"].tolist() == [3.14159, 2.71828]
    out = protect(_frame([5, 40], [9, 40], means=[3.1, 2.7]), profile="cbs")
    assert np.isnan(out["mean"].iloc[0]) and out["mean"].iloc[1] == 2.7
    out = protect(_frame([5, 40], [9, 40], means=[3.1, 2.7]), profile="study")
    assert out["mean"].tolist() == [3.1, 2.7]


def test_configurable_profile_minimum_and_complement():
    strict = Profile(name="strict", min_count=20, complement=True)
    out = protect(_frame([15, 25, 98], [100, 100, 100]), profile=strict)
    assert out["n"].isna().tolist() == [True, False, True]  # 98 of 100: complement 2 < 20
    assert get_profile("cbs").min_count == 10 and get_profile("study").min_count == 0
    with pytest.raises(DisclosureError):
        get_profile("nope")


count_lists = st.lists(st.integers(min_value=0, max_value=5000), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=count_lists, extra=st.lists(st.integers(0, 500), min_size=30, max_size=30),
       profile=st.sampled_from(sorted(PROFILES)))
def test_property_protect_output_is_safe(counts, extra, profile):
    dens = [c + e for c, e in zip(counts, extra, strict=False)]
    frame = _frame(counts, dens, means=[float(c) / 7 for c in counts])
    frame["n_cases"] = [c * 3 + 1 for c in counts]
    prof = PROFILES[profile]
    out = protect(frame, profile=profile)
    for column in ("n", "n_den", "n_cases"):
        values = out[column].dropna().astype(int)
        assert (values % 5 == 0).all()
        assert (values >= prof.min_count).all()
        # nothing is suppressed that the profile allows
        raw = frame[column]
        assert out[column].isna().sum() == int((raw < prof.min_count).sum())
        # rounding moves a count by at most 2
        kept = out[column].notna()
        assert (abs(out.loc[kept, column].astype(int) - raw[kept]) <= 2).all()
    assert ((out["pct"].dropna() >= 0) & (out["pct"].dropna() <= 100)).all()
    assert_safe(out, profile)


@pytest.mark.parametrize("column", ["person_id", "RINPERSOON", "rinpersoons_mother", "matched_offender_id", "case_id"])
def test_assert_safe_rejects_person_key_columns(column):
    frame = protect(_frame([10, 20], [30, 30]))
    frame[column] = ["a", "b"]
    with pytest.raises(DisclosureError, match="person key"):
        assert_safe(frame)


@pytest.mark.parametrize("value", ["R000123456", "123456789", 987654321])
def test_assert_safe_rejects_person_key_values(value):
    frame = protect(_frame([10, 20], [30, 30]))
    frame["label"] = [value, value]
    with pytest.raises(DisclosureError, match="person key"):
        assert_safe(frame)


def test_assert_safe_rejects_unrounded_and_small_counts():
    with pytest.raises(DisclosureError, match="multiples of 5"):
        assert_safe(_frame([12, 20], [30, 30]))
    with pytest.raises(DisclosureError, match="below the minimum"):
        assert_safe(_frame([5, 20], [30, 30]))


def test_assert_safe_rejects_row_level_frames():
    rows = pd.DataFrame({"grp": ["INC"] * 3 + ["EPK"] * 3, "n": [10] * 6, "age": [20.5, 21.0, 30.2, 19.1, 18.0, 40.0]})
    with pytest.raises(DisclosureError, match="more rows than groups"):
        assert_safe(rows)
    with pytest.raises(DisclosureError, match="row-level"):
        assert_safe(pd.DataFrame({"age": [20.5, 30.1, 40.2]}))
    assert_safe(pd.DataFrame({"grp": ["INC", "EPK"], "mean_age": [20.5, 30.1]}))  # group means: fine
    ids = pd.DataFrame({"key": [f"P{i:07d}" for i in range(60)], "n": [10] * 60})
    with pytest.raises(DisclosureError, match="id-like"):
        assert_safe(ids)
    many = pd.DataFrame({"k": range(6000), "n": [10] * 6000})
    with pytest.raises(DisclosureError, match="row-level"):
        assert_safe(many)


def test_assert_safe_accepts_a_protected_aggregate_roundtrip(tmp_path):
    out = protect(_frame([10, 22, 31], [63, 63, 63], means=[1.0, 2.0, 3.0]))
    path = tmp_path / "t.csv"
    out.to_csv(path, index=False)
    assert_safe(pd.read_csv(path))
