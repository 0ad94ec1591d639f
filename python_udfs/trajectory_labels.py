"""Name fitted trajectory groups by their shape, as the reference study does (SPEC §4.1).

With four groups: the group with the lowest mean expected count over the age range is
'INC' (incidental), the highest 'CON' (continuous); of the other two, the one whose expected
count peaks at the younger age is 'EPK' (early-peaking), the other 'LPK' (late-peaking).
Any other number of groups gets neutral names 'G1'..'GK' in the given order.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

STUDY_GROUPS = ("INC", "EPK", "LPK", "CON")


def label_study_groups(trajectories: npt.ArrayLike, ages: npt.ArrayLike) -> list[str]:
    """Return one label per row of ``trajectories`` (groups x ages of expected counts)."""
    curves = np.asarray(trajectories, dtype=float)
    age_values = np.asarray(ages, dtype=float)
    k = curves.shape[0]
    if k != 4:
        return [f"G{j + 1}" for j in range(k)]
    means = curves.mean(axis=1)
    order = np.argsort(means)
    labels = [""] * 4
    labels[order[0]] = "INC"
    labels[order[3]] = "CON"
    middle = sorted(order[1:3], key=lambda j: age_values[int(np.argmax(curves[j]))])
    labels[middle[0]] = "EPK"
    labels[middle[1]] = "LPK"
    return labels
