"""CBS rounding rule (SPEC §4.4): counts to multiples of 5, percentages from rounded counts."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from python_udfs.sdc import round5, rounded_percentage


def test_round5_rule_from_spec() -> None:
    np.testing.assert_array_equal(round5([0, 1, 2, 3, 4, 5, 7, 8, 12, 13]), [0, 0, 0, 5, 5, 5, 5, 10, 10, 15])


def test_published_female_shares_are_reproduced() -> None:
    # SPEC §4.4: 55/225 = 24% of INC; of 75 women 55 INC (73%), 20 EPK (27%), 5 LPK (7%)
    assert rounded_percentage(56, 226) == 24
    np.testing.assert_array_equal(rounded_percentage([55, 21, 4], 75), [73, 27, 7])


@given(st.integers(min_value=0, max_value=10**9))
def test_round5_is_nearest_multiple(n: int) -> None:
    rounded = int(round5(n))
    assert rounded % 5 == 0
    assert abs(rounded - n) <= 2
