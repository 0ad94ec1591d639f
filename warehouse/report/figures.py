"""Matplotlib (Agg) figures from the disclosure-controlled tables only."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

GROUP_ORDER = ["INC", "EPK", "LPK", "CON", "OFF", "CC", "NCC"]
GROUP_COLORS = {"INC": "#4e79a7", "EPK": "#f28e2b", "LPK": "#59a14f", "CON": "#e15759",
                "OFF": "#555555", "CC": "#9c755f", "NCC": "#bab0ac"}


def _groups(frame: pd.DataFrame) -> list[str]:
    present = list(dict.fromkeys(frame["grp"].astype(str)))
    return [g for g in GROUP_ORDER if g in present] + [g for g in present if g not in GROUP_ORDER]


def _grid(n: int) -> tuple[plt.Figure, list[plt.Axes]]:
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.4 * cols, 3.6 * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _save(fig: plt.Figure, path: Path, title: str) -> Path:
    # wrap long titles to the figure's width (about 10 characters per inch at this size)
    fig.suptitle(textwrap.fill(title, width=max(40, int(fig.get_size_inches()[0] * 12))), fontsize=10)
    # fixed margins: tight_layout costs a full extra draw per figure
    height = fig.get_size_inches()[1]
    fig.subplots_adjust(left=0.08, right=0.92, bottom=min(0.3, 0.9 / height), top=1 - min(0.2, 0.55 / height),
                        hspace=0.55, wspace=0.35)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def trajectories(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Figure 2.1: expected cases per age-year per group with 95% band, observed means as markers."""
    fig, ax = plt.subplots(figsize=(8, 4.8))
    for g in _groups(table):
        sub = table[table["grp"] == g].sort_values("age")
        color = GROUP_COLORS.get(g)
        ax.plot(sub["age"], sub["expected_cases"], color=color, label=f"{g} (expected)")
        if {"lower", "upper"} <= set(sub.columns):
            ax.fill_between(sub["age"], sub["lower"].astype(float), sub["upper"].astype(float), color=color, alpha=0.15)
        if "observed_mean" in sub.columns:
            ax.plot(sub["age"], sub["observed_mean"].astype(float), "o", color=color, markersize=3, label=f"{g} (observed)")
    ax.set_xlabel("age")
    ax.set_ylabel("cases per age-year")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return _save(fig, path, title)


def categories(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Grouped bars of the category percentages per group; the group mean as a marker on a second axis."""
    measures = list(dict.fromkeys(table["measure"].astype(str)))
    fig, axes = _grid(len(measures))
    for ax, measure in zip(axes, measures, strict=True):
        sub = table[table["measure"] == measure]
        groups = _groups(sub)
        cats = sub[sub["category"].astype(str) != "mean"]
        if cats["category"].notna().any():
            order = (cats.dropna(subset=["category"]).groupby("category")["category_order"].min().sort_values().index.tolist()
                     if "category_order" in cats.columns else list(dict.fromkeys(cats["category"])))
            if set(order) == {"yes", "no"}:
                order = ["yes"]
            width = 0.8 / max(len(order), 1)
            x = np.arange(len(groups))
            for i, cat in enumerate(order):
                vals = [cats[(cats["grp"] == g) & (cats["category"] == cat)]["pct"].astype(float).sum(min_count=1)
                        for g in groups]
                ax.bar(x + (i - (len(order) - 1) / 2) * width, np.nan_to_num(vals, nan=0.0), width, label=str(cat))
            ax.set_xticks(x, groups)
            ax.set_ylabel("% of group")
            ax.set_ylim(0, 100)
            if len(order) > 1:
                ax.legend(fontsize=6, ncol=min(len(order), 4))
        means = sub[sub["category"].astype(str) == "mean"]
        if len(means) and means["mean"].notna().any():
            x = np.arange(len(groups))
            vals = [means[means["grp"] == g]["mean"].astype(float).sum(min_count=1) for g in groups]
            target = ax.twinx() if cats["category"].notna().any() else ax
            target.plot(x, vals, "D", color="black", label="mean")
            target.set_ylabel("mean")
            if target is ax:
                ax.set_xticks(x, groups)
            lo = np.nanmin(vals) if np.isfinite(vals).any() else 0
            target.set_ylim(min(0, lo), (np.nanmax(vals) if np.isfinite(vals).any() else 1) * 1.25 + 1e-9)
        ax.set_title(measure, fontsize=9)
    return _save(fig, path, title)


def flags(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Yes/no measures on one axis (x = measure, one bar per group, % yes); mean-only measures as markers."""
    yes = table[table["category"].astype(str) == "yes"]
    means = table[(table["category"].astype(str) == "mean")]
    n_axes = 1 + (1 if len(means) and means["mean"].notna().any() else 0)
    fig, axes = plt.subplots(1, n_axes, figsize=(7.5 * n_axes if n_axes == 1 else 6.4 * n_axes, 4.2), squeeze=False)
    ax = axes[0][0]
    measures = list(dict.fromkeys(yes["measure"].astype(str)))
    groups = _groups(yes) if len(yes) else []
    x = np.arange(len(measures))
    width = 0.8 / max(len(groups), 1)
    for i, g in enumerate(groups):
        vals = [yes[(yes["grp"] == g) & (yes["measure"] == m)]["pct"].astype(float).sum(min_count=1) for m in measures]
        ax.bar(x + (i - (len(groups) - 1) / 2) * width, np.nan_to_num(vals, nan=0.0), width, label=g,
               color=GROUP_COLORS.get(g))
    ax.set_xticks(x, [m.replace("_", " ") for m in measures], rotation=30 if len(measures) > 3 else 0,
                  ha="right" if len(measures) > 3 else "center", fontsize=7)
    ax.set_ylabel("% of group")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=6, ncol=min(len(groups), 7))
    if n_axes == 2:
        ax2 = axes[0][1]
        mgroups = _groups(means)
        for j, m in enumerate(dict.fromkeys(means["measure"].astype(str))):
            vals = [means[(means["grp"] == g) & (means["measure"] == m)]["mean"].astype(float).sum(min_count=1)
                    for g in mgroups]
            ax2.plot(mgroups, vals, "D", label=m.replace("_", " "))
        ax2.set_ylabel("mean")
        ax2.legend(fontsize=6)
    return _save(fig, path, title)


def before_after(table: pd.DataFrame, path: Path, title: str) -> Path:
    measures = list(dict.fromkeys(table["measure"].astype(str)))
    if len(measures) > 3 and "pct" in table.columns:  # many shares: total OFF, x = measure (as the study's Fig 2.14)
        sub = table[table["grp"] == "OFF"]
        fig, ax = plt.subplots(figsize=(8, 4.2))
        x = np.arange(len(measures))
        for i, period in enumerate(["before", "after"]):
            vals = [sub[(sub["measure"] == m) & (sub["period"] == period)]["pct"].astype(float).sum(min_count=1)
                    for m in measures]
            ax.bar(x + (i - 0.5) * 0.38, np.nan_to_num(vals, nan=0.0), 0.38, label=period)
        ax.set_xticks(x, [m.replace("_", " ") for m in measures], rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("% of OFF")
        ax.set_ylim(0, 100)
        ax.legend(fontsize=7)
        return _save(fig, path, title)
    fig, axes = _grid(len(measures))
    for ax, measure in zip(axes, measures, strict=True):
        sub = table[table["measure"] == measure]
        groups = _groups(sub)
        x = np.arange(len(groups))
        use_mean = sub["mean"].notna().any() if "mean" in sub.columns else False
        col = "mean" if use_mean else "pct"
        for i, period in enumerate(["before", "after"]):
            vals = [sub[(sub["grp"] == g) & (sub["period"] == period)][col].astype(float).sum(min_count=1) for g in groups]
            ax.bar(x + (i - 0.5) * 0.38, np.nan_to_num(vals, nan=0.0), 0.38, label=period)
        ax.set_xticks(x, groups)
        ax.set_ylabel("mean" if use_mean else "% of group")
        ax.set_title(measure, fontsize=9)
        ax.legend(fontsize=7)
    return _save(fig, path, title)


def shares(table: pd.DataFrame, path: Path, title: str) -> Path:
    measures = list(dict.fromkeys(table["measure"].astype(str)))
    fig, axes = _grid(len(measures))
    for ax, measure in zip(axes, measures, strict=True):
        sub = table[(table["measure"] == measure) & (table["grp"] != "OFF")]
        groups = _groups(sub)
        vals = [sub[sub["grp"] == g]["pct"].astype(float).sum(min_count=1) for g in groups]
        ax.bar(groups, np.nan_to_num(vals, nan=0.0), color=[GROUP_COLORS.get(g, "#777") for g in groups])
        ax.set_ylabel("% of total")
        ax.set_title(measure, fontsize=9)
    return _save(fig, path, title)


def draw(chart: str, table: pd.DataFrame, path: Path, title: str) -> Path | None:
    """Draw the figure of a protected table; None for tables without a figure (Table 5.1)."""
    if table.empty or chart == "table":
        return None
    if chart == "trajectories":
        return trajectories(table, path, title)
    if chart == "before_after" and "period" in table.columns:
        return before_after(table, path, title)
    if chart == "share":
        return shares(table, path, title)
    if chart == "flags" and "category" in table.columns:
        return flags(table, path, title)
    if "category" in table.columns:
        return categories(table, path, title)
    return None
