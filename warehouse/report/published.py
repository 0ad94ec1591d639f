"""Published headline numbers (SPEC §5, ``published.csv``) against the reproduced, protected tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

PUBLISHED_CSV = Path(__file__).with_name("published.csv")
#: Known causes of deviations on the synthetic population: (table, grp, measure, category) patterns, ``*`` = any.
CAUSES_CSV = Path(__file__).with_name("deviation_causes.csv")

#: Flag thresholds in percentage points: group shares (GBTM group sizes) and other headline shares.
THRESHOLDS = {"group_share": 3.0, "share": 5.0}
#: Column of a protected table that holds each kind of published statistic.
STAT_COLUMNS = {"pct": "pct", "mean": "mean", "odds_ratio": "odds_ratio"}
#: Two-sided 95% normal quantile of the sampling band.
Z_95 = 1.959963984540054


def load_published(path: Path | None = None) -> pd.DataFrame:
    frame = pd.read_csv(path or PUBLISHED_CSV, dtype={"category": str, "period": str}, keep_default_na=False)
    frame["published"] = pd.to_numeric(frame["published"])
    return frame


def _select(table: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    """The rows of a protected table that hold one published number (exactly one when found)."""
    sel = table
    key = "measure" if "measure" in sel.columns else ("term" if "term" in sel.columns else None)
    if key is not None:
        sel = sel[sel[key].astype(str) == row["measure"]]
    if "grp" in sel.columns:
        sel = sel[sel["grp"].astype(str) == row["grp"]]
    if row["category"] and "category" in sel.columns:
        sel = sel[sel["category"].astype(str) == row["category"]]
    if row["period"] and "period" in sel.columns:
        sel = sel[sel["period"].astype(str) == row["period"]]
    return sel


def _value(table: pd.DataFrame, row: pd.Series, column: str) -> float:
    """``column`` of the one protected row holding a published number (NaN if not exactly one or not numeric)."""
    sel = _select(table, row)
    if len(sel) != 1 or column not in sel.columns:
        return float("nan")
    value = pd.to_numeric(sel[column], errors="coerce").iloc[0]
    return float(value) if pd.notna(value) else float("nan")


def sampling_band(published_pct: pd.Series, n: pd.Series) -> pd.Series:
    """Half-width in points of the 95% band of a share measured on ``n`` persons if the true share were the published one.

    The binomial normal approximation 1.96 * sqrt(p (1 - p) / n) * 100 with p = published / 100: a reproduced share
    outside the band differs from the published one by more than chance in a group of that size (two-sided 5% test
    of H0: the generator's population share equals the published share). NaN without a denominator.
    """
    p = published_pct.astype(float) / 100.0
    n = n.astype(float)
    return Z_95 * np.sqrt(p * (1.0 - p) / n.where(n > 0)) * 100.0


def compare_published(tables: Mapping[str, pd.DataFrame], published: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per published headline number with the reproduced value and the deviation.

    ``difference`` is reproduced − published (percentage points for shares); ``flag`` is set when a
    group share deviates by more than 3 points or another headline share by more than 5 points,
    and ``suppressed`` when the reproduced cell was suppressed (or the table is missing).
    """
    pub = load_published() if published is None else published
    causes = load_causes()
    out = pub.copy()
    out["reproduced"] = [
        _value(tables[r["table"]], r, STAT_COLUMNS[r["stat"]]) if r["table"] in tables else float("nan")
        for _, r in pub.iterrows()
    ]
    out["difference"] = out["reproduced"] - out["published"]
    is_share = out["stat"].eq("pct")
    out["n_den"] = [
        _value(tables[r["table"]], r, "n_den") if r["table"] in tables and r["stat"] == "pct" else float("nan")
        for _, r in pub.iterrows()
    ]
    out["sampling_band"] = sampling_band(out["published"], out["n_den"]).where(is_share)
    inside = (out["difference"].abs() <= out["sampling_band"]).astype("boolean")
    inside[out["sampling_band"].isna() | out["difference"].isna()] = pd.NA
    out["within_sampling_band"] = inside
    limit = out["kind"].map(THRESHOLDS)
    out["threshold"] = limit
    out["flag"] = np.where(limit.notna() & out["difference"].abs().gt(limit.fillna(np.inf)), "DEVIATES", "")
    out.loc[out["reproduced"].isna(), "flag"] = "suppressed/missing"
    out["cause"] = [explain(r, causes) if r["flag"] else "" for _, r in out.iterrows()]
    return out


def load_causes(path: Path | None = None) -> pd.DataFrame:
    return pd.read_csv(path or CAUSES_CSV, dtype=str, keep_default_na=False)


def explain(row: pd.Series, causes: pd.DataFrame | None = None) -> str:
    """The first matching cause of a flagged row (patterns on table, grp, measure, category; ``*`` = any)."""
    table = load_causes() if causes is None else causes
    for _, c in table.iterrows():
        if all(c[k] in ("*", str(row[k])) for k in ("table", "grp", "measure", "category")):
            return c["cause"]
    return "suppressed (cell below the minimum)" if row["flag"] == "suppressed/missing" else ""
