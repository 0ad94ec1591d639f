"""Statistical disclosure control primitives (CBS output rules).

CBS Remote Access output rules, as agreed for the reference study (SPEC §4.4): absolute
counts are rounded to multiples of 5 and percentages are computed from the rounded counts.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def round5(counts: npt.ArrayLike) -> np.ndarray:
    """Round counts to the nearest multiple of 5, halves away from zero.

    ``round5(n) = 5 * floor(n / 5 + 1/2)`` for n >= 0, so n mod 5 in {0, 1, 2} rounds down and
    {3, 4} rounds up (SPEC §4.4). Missing values (NaN) stay missing.
    """
    values = np.asarray(counts, dtype=float)
    return np.sign(values) * 5.0 * np.floor(np.abs(values) / 5.0 + 0.5)


def rounded_percentage(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> np.ndarray:
    """Percentage computed from rounded counts, as the study publishes it (whole percent).

    Returns NaN where the rounded denominator is zero.
    """
    num = round5(numerator)
    den = round5(denominator)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)
    return np.floor(pct + 0.5)
