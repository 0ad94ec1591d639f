"""The offline HTML report (no external JS/CSS; PNGs and CSVs next to ``index.html``)."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from warehouse.disclosure import Profile
from warehouse.report.figures import GROUP_ORDER, draw

CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;background:#fff}
h1{font-size:22px} h2{font-size:17px;margin-top:36px;border-bottom:1px solid #ccc;padding-bottom:4px}
table{border-collapse:collapse;font-size:12px;margin:8px 0} td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f0f0f0} td.l,th.l{text-align:left} .meta{font-size:12px;color:#555} .flag{color:#b00;font-weight:bold}
img{max-width:100%;border:1px solid #eee} .note{font-size:12px;background:#f8f8e8;padding:6px 10px;border:1px solid #e8e8c8}
table.cmp td{white-space:nowrap;padding:1px 5px} details{margin:6px 0} summary{cursor:pointer;font-size:12px;color:#335}
.pairwise{font-size:12px;margin:4px 0;padding:4px 8px;border-left:3px solid #9ab}
"""


def stars(p: Any) -> str:
    """Significance stars as in Table 5.1: * p<0.05, ** p<0.01, *** p<0.001."""
    if p is None or (isinstance(p, float) and np.isnan(p)) or pd.isna(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def p_label(p: Any) -> str:
    """p-values as the study reports them: thresholds only (SPEC §4.3)."""
    if p is None or pd.isna(p):
        return "–"
    return "p<0.001" if p < 0.001 else "p<0.01" if p < 0.01 else "p<0.05" if p < 0.05 else "n.s."


def _fmt(column: str, value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if column.startswith("p_") or column == "p_value":
        return p_label(value)
    if column == "pct":
        return f"{value:.0f}%"
    if column == "n" or column.startswith("n_"):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{value:.2f}"
    return html.escape(str(value))


def table_html(frame: pd.DataFrame, columns: list[str] | None = None) -> str:
    cols = columns or [c for c in frame.columns if c not in ("category_order", "term_order", "period_order")]
    head = "".join(
        f'<th class="{"l" if not pd.api.types.is_numeric_dtype(frame[c]) else ""}">{html.escape(str(c))}</th>'
        for c in cols
    )
    rows = []
    for _, r in frame.iterrows():
        cells = "".join(
            f'<td class="{"l" if not pd.api.types.is_numeric_dtype(frame[c]) else ""}">{_fmt(str(c), r[c])}</td>'
            for c in cols
        )
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def table_5_1_html(frame: pd.DataFrame) -> str:
    """Odds ratios with stars, terms x groups, as the study's Table 5.1."""
    groups = [g for g in GROUP_ORDER if g in set(frame["grp"])]
    terms = list(dict.fromkeys(frame.sort_values("term_order")["term"])) if "term_order" in frame else list(
        dict.fromkeys(frame["term"]))
    ns = {g: frame.loc[frame["grp"] == g, "n_den"].iloc[0] for g in groups}
    head = '<th class="l">term</th>' + "".join(
        f"<th>{g} (n={_fmt('n', ns[g])})</th>" for g in groups)
    body = []
    for t in terms:
        cells = []
        for g in groups:
            sel = frame[(frame["grp"] == g) & (frame["term"] == t)]
            if sel.empty or pd.isna(sel["odds_ratio"].iloc[0]):
                cells.append("<td>–</td>")
            else:
                cells.append(f"<td>{sel['odds_ratio'].iloc[0]:.2f}{stars(sel['p_value'].iloc[0])}</td>")
        body.append(f'<tr><td class="l">{html.escape(t)}</td>{"".join(cells)}</tr>')
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            '<p class="meta">* p&lt;0.05; ** p&lt;0.01; *** p&lt;0.001. n = persons contributing to the conditional '
            "likelihood (rounded to 5).</p>")


PAIRWISE_COLUMNS = {"pairwise_profiles": "between the profiles", "pairwise_groups": "between OFF, CC and NCC"}


def pairwise_html(study: str | None, table: pd.DataFrame) -> str:
    """The study's pairwise follow-up next to the reproduced one (``pairwise_*`` columns of the query result:
    every pair tested, p-values Bonferroni-adjusted, phrased by ``python_udfs.stat_tests.describe_pairwise``)."""
    found = []
    for column, label in PAIRWISE_COLUMNS.items():
        if column not in table.columns:
            continue
        keys = [k for k in ("measure", "period") if k in table.columns] + [column]
        rows = table[keys].dropna(subset=[column]).drop_duplicates()
        for _, r in rows.iterrows():
            what = "".join(f"{r[k]}, " for k in keys[:-1])
            found.append(f"{html.escape(what + label)}: <i>{html.escape(str(r[column]))}</i>")
    if not study and not found:
        return ""
    out = '<div class="pairwise"><b>pairwise comparisons</b> (every pair tested, p-values Bonferroni-adjusted, 5% level)'
    if study:
        out += f"<div>study: <i>{html.escape(study)}</i></div>"
    out += "".join(f"<div>reproduced — {f}</div>" for f in found) or "<div>reproduced: –</div>"
    return out + "</div>"


def comparison_html(comparison: pd.DataFrame) -> str:
    cols = ["spec", "table", "grp", "measure", "category", "period", "stat", "published", "reproduced",
            "difference", "n", "95% band", "flag", "cause"]
    rows = []
    for _, r in comparison.iterrows():
        diff = "–" if pd.isna(r["difference"]) else f"{r['difference']:+.2f}"
        rep = "–" if pd.isna(r["reproduced"]) else (f"{r['reproduced']:.0f}" if r["stat"] == "pct" else f"{r['reproduced']:.2f}")
        n_den, band = r["n_den"], r["sampling_band"]
        cls = ' class="flag"' if r["flag"] == "DEVIATES" else ""
        vals = [r["spec"], r["table"], r["grp"], r["measure"], r["category"], r["period"], r["stat"],
                f"{r['published']:g}", rep, diff, "–" if pd.isna(n_den) else f"{n_den:.0f}",
                "–" if pd.isna(band) else f"±{band:.1f}", r["flag"], r.get("cause", "")]
        rows.append("<tr>" + "".join(
            f'<td class="l"{cls if i == len(vals) - 2 else ""}>{html.escape(str(v))}</td>' for i, v in enumerate(vals)
        ) + "</tr>")
    head = "".join(f'<th class="l">{c}</th>' for c in cols)
    return f"<table class=\"cmp\"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def causes_html(comparison: pd.DataFrame) -> str:
    """Deviations beyond the thresholds (and suppressed cells) grouped by their cause."""
    flagged = comparison[comparison["flag"] != ""]
    if flagged.empty or "cause" not in flagged.columns:
        return ""
    items = []
    for cause, rows in flagged.groupby(flagged["cause"].replace("", "cause not determined"), sort=False):
        what = ", ".join(
            f"{r['table'].split('_')[1]}.{r['table'].split('_')[2]} {r['grp']} {r['measure']}"
            + (f" {r['category']}" if r["category"] else "") + (f" ({r['period']})" if r["period"] else "")
            for _, r in rows.iterrows())
        inside = int(rows["within_sampling_band"].eq(True).sum())
        chance = f"; {inside} of them within the 95% sampling band" if inside else ""
        items.append(f"<li><b>{html.escape(cause)}</b> ({len(rows)}{chance}): {html.escape(what)}</li>")
    return ("<h3>Deviations and their causes</h3>"
            '<p class="meta">The 95% sampling band of a share is 1.96 &radic;(p(1&minus;p)/n) around the published share p '
            "for the n persons behind the reproduced share: a deviation inside it is what a group of that size shows "
            "by chance even if the synthetic population's share equalled the published one.</p>"
            f'<ul class="meta">{"".join(items)}</ul>')


def write_html(out: Path, figures: list[Any], comparison: pd.DataFrame, profile: Profile) -> list[Path]:
    """Write CSVs, PNGs and ``index.html`` into ``out``; return the files written."""
    files: list[Path] = []
    sections = []
    toc = []
    for fig in figures:
        q, table = fig.query, fig.table
        csv_path = out / f"{q.name}.csv"
        table.to_csv(csv_path, index=False)
        files.append(csv_path)
        png = draw(q.chart, table, out / f"{q.name}.png", f"{q.figure}: {q.title}")
        if png is not None:
            files.append(png)
        anchor = html.escape(q.name)
        toc.append(f'<li><a href="#{anchor}">{html.escape(q.figure)}</a> — {html.escape(q.title)}</li>')
        meta = "".join(
            f"<div><b>{k}:</b> {html.escape(q.meta[k])}</div>" for k in ("spec", "population", "tests") if k in q.meta
        )
        meta += pairwise_html(q.meta.get("pairwise"), table)
        img = f'<img src="{html.escape(png.name)}" alt="{html.escape(q.figure)}">' if png is not None else ""
        body = table_5_1_html(table) if q.name.startswith("tab_5_01") and "term" in table.columns else ""
        detail = table_html(table)
        if body:
            detail = f"<details><summary>all columns</summary>{detail}</details>"
        elif len(table) > 40:
            detail = f"<details><summary>table ({len(table)} rows)</summary>{detail}</details>"
        sections.append(
            f'<h2 id="{anchor}">{html.escape(q.figure)}: {html.escape(q.title)}</h2>'
            f'<div class="meta">{meta}<div>file: sql/{html.escape(q.path.name)} — '
            f'<a href="{html.escape(csv_path.name)}">{html.escape(csv_path.name)}</a></div></div>'
            f"{img}{body}{detail}"
        )
    comp_path = out / "published_vs_reproduced.csv"
    comparison.to_csv(comp_path, index=False)
    files.append(comp_path)
    n_flag = int((comparison["flag"] == "DEVIATES").sum())
    n_sup = int((comparison["flag"] == "suppressed/missing").sum())
    n_chance = int(((comparison["flag"] == "DEVIATES") & comparison["within_sampling_band"].eq(True)).sum())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Brede blik op daderschap — reproduction report</title>
<style>{CSS}</style></head><body>
<h1>Brede blik op daderschap — reproduction report</h1>
<p class="meta">Generated {dt.datetime.now().strftime("%Y-%m-%d %H:%M")} · disclosure profile <b>{html.escape(profile.name)}</b>:
{html.escape(profile.source)}.</p>
<p class="note">All absolute counts are rounded to multiples of {profile.base}; percentages are computed from the rounded
counts, so subcategories do not always add up to the totals.
{"Cells with fewer than " + str(profile.min_count) + " persons (unrounded) and statistics based on fewer than "
 + str(profile.min_count) + " persons are suppressed (–)." if profile.min_count else "Cells of 5 are shown."}
p-values are shown as thresholds (p&lt;0.05, p&lt;0.01, p&lt;0.001; n.s.).</p>
<h2 id="published">Published vs reproduced</h2>
<p class="meta">{len(comparison)} headline numbers of SPEC §5; {n_flag} deviate by more than 3 points (group shares) or
5 points (other shares), {n_chance} of them within the 95% sampling band of their group size; {n_sup} suppressed
or missing. Means and odds ratios are compared without a threshold.
<a href="{comp_path.name}">{comp_path.name}</a></p>
{comparison_html(comparison)}
{causes_html(comparison)}
<h2>Contents</h2><ul>{''.join(toc)}</ul>
{''.join(sections)}
</body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    files.append(index)
    return files
