"""Write the seeded synthetic person-month panel used as clogit reference data.

Run: /work/main/.venv/bin/python tests/reference/clogit/make_synthetic_panel.py
Output: tests/data/stats/synthetic_panel.csv (60 persons; person 1 has 260 months
and a high event rate so that one stratum has n >= 200 and k >= 40; persons 2-4
have no events and are dropped by the conditional likelihood).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent
OUT = HERE.parent.parent / "data" / "stats" / "synthetic_panel.csv"
LEVELS = np.array(["WORK", "BENEFIT", "SCHOOL_STUDENT", "OTHER_NO_INCOME"])


def make_panel(seed: int = 20261123) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for person in range(1, 61):
        n = 260 if person == 1 else int(rng.integers(40, 121))
        secm = LEVELS[rng.integers(0, 4, size=n)]
        partner = (rng.random(n) < 0.4).astype(int)
        bio_child = (rng.random(n) < 0.3).astype(int)
        age = 18.0 + rng.uniform(0, 10) + np.arange(n) / 12.0
        alpha = 0.4 if person == 1 else rng.normal(-2.0, 1.0)
        eta = (
            alpha
            + 0.3 * (secm == "BENEFIT")
            - 0.2 * (secm == "SCHOOL_STUDENT")
            + 0.5 * (secm == "OTHER_NO_INCOME")
            - 0.4 * partner
            - 0.3 * bio_child
            - 0.05 * (age - 25.0)
        )
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
        if person in (2, 3, 4):
            y[:] = 0
        frames.append(
            pd.DataFrame(
                {
                    "person_id": person,
                    "month": np.arange(1, n + 1),
                    "offend": y,
                    "secm": secm,
                    "partner": partner,
                    "bio_child": bio_child,
                    "age": np.round(age, 6),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    panel = make_panel()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    panel.to_csv(OUT, index=False)
    g = panel.groupby("person_id")["offend"].agg(["size", "sum"])
    print(f"wrote {OUT} rows={len(panel)}; person 1 n={g.loc[1,'size']} k={g.loc[1,'sum']}")
