"""The study report: every sql/ figure query runs as-is, every written output is disclosure-controlled,
and index.html renders in headless Chromium with all its images.

Builds one small warehouse from a generated delivery (module-scoped, ~30 s).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from warehouse.config import SQL_DIR
from warehouse.disclosure import PROFILES, assert_safe

SQL_FILES = sorted(SQL_DIR.glob("*.sql"))
CHROMIUM = Path("/usr/bin/chromium")
HEADLINE = ["fig_2_01", "fig_2_02", "fig_2_03", "fig_2_07", "fig_2_08", "fig_2_11", "fig_2_12", "fig_3_04",
            "fig_3_06", "fig_3_11", "fig_4_01", "fig_4_03", "fig_4_05", "fig_4_07", "fig_5_02", "fig_5_05",
            "tab_5_01"]
KEY_VALUE = re.compile(r"^R?\d{9}$")


@pytest.fixture(scope="module")
def small_warehouse(generated_warehouse: Path) -> Path:
    return generated_warehouse / "warehouse.duckdb"


@pytest.fixture(scope="module")
def report_out(small_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    from warehouse.commands.report import report

    out = tmp_path_factory.mktemp("report") / "out"
    report(out=out, db=small_warehouse, profile="cbs", analytics=True, sql_dir=None)
    return out


def test_every_headline_figure_has_a_query():
    names = {p.stem for p in SQL_FILES}
    for prefix in HEADLINE:
        assert any(n.startswith(prefix) for n in names), prefix


@pytest.mark.parametrize("path", SQL_FILES, ids=[p.stem for p in SQL_FILES])
def test_sql_file_header(path: Path):
    text = path.read_text()
    assert text.startswith("-- figure:"), "every query starts with its comment header"
    for key in ("spec:", "population:", "tests:"):
        assert f"-- {key}" in text.split("\nwith")[0], key


def test_every_sql_file_runs_as_is(small_warehouse: Path):
    from warehouse.db import connect

    con = connect(small_warehouse, read_only=True)
    try:
        for path in SQL_FILES:
            frame = con.execute(path.read_text()).df()
            assert len(frame) > 0, f"{path.name} returned no rows"
            assert "grp" in frame.columns, path.name
            assert not any(c.lower() in ("person_id", "rinpersoon") for c in frame.columns), path.name
    finally:
        con.close()


def _count_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c == "n" or c.startswith("n_")]


def test_every_csv_is_disclosure_controlled(report_out: Path):
    csvs = sorted(report_out.glob("*.csv"))
    figure_csvs = [p for p in csvs if p.stem != "published_vs_reproduced"]
    assert {p.stem for p in figure_csvs} == {p.stem for p in SQL_FILES}
    minimum = PROFILES["cbs"].min_count
    for path in csvs:
        frame = pd.read_csv(path)
        for column in frame.columns:
            assert not re.fullmatch(r"(?i)(person_?id|rinpersoon\w*|\w*_id)", column), f"{path.name}: {column}"
            values = frame[column].dropna().astype(str)
            assert not values.str.fullmatch(KEY_VALUE).any(), f"{path.name}: {column} holds person keys"
        for column in _count_columns(frame):
            values = frame[column].dropna().to_numpy(dtype=float)
            assert (np.mod(values, 5) == 0).all(), f"{path.name}: {column} not rounded to 5"
            assert (values >= minimum).all(), f"{path.name}: {column} below {minimum}"
        if path in figure_csvs:
            assert _count_columns(frame), f"{path.name} has no count column"
            assert_safe(frame, "cbs", name=path.name)


def test_analytics_schema_holds_the_protected_tables(small_warehouse: Path, report_out: Path):
    from warehouse.db import connect

    con = connect(small_warehouse, read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'analytics'").fetchall()}
        assert {p.stem for p in SQL_FILES} <= tables
        frame = con.execute("select * from analytics.fig_2_07_age_first_offence").df()
        assert_safe(frame, "cbs")
    finally:
        con.close()


def test_published_vs_reproduced_table(report_out: Path):
    comp = pd.read_csv(report_out / "published_vs_reproduced.csv")
    assert {"published", "reproduced", "difference", "flag", "spec"} <= set(comp.columns)
    shares = comp[comp["kind"] == "group_share"]
    assert set(shares["grp"]) == {"INC", "EPK", "LPK", "CON"}
    # a cohort of 60 leaves some profile below the CBS minimum of 10: suppressed, not missing
    assert shares["reproduced"].notna().any()
    assert set(comp["flag"].fillna("")) <= {"", "DEVIATES", "suppressed/missing"}
    ok = comp["reproduced"].notna() & comp["kind"].isin(["share", "group_share"])
    assert (comp.loc[ok, "difference"] == comp.loc[ok, "reproduced"] - comp.loc[ok, "published"]).all()


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.sources.append(a.get("src", ""))
        if tag in ("script", "link") and (a.get("src") or a.get("href")):
            self.external.append(a.get("src") or a.get("href"))


def test_html_images_exist_and_are_offline(report_out: Path):
    index = report_out / "index.html"
    parser = _Images()
    parser.feed(index.read_text())
    assert parser.sources, "the report has figures"
    assert not parser.external, "no external JS/CSS"
    for src in parser.sources:
        assert not re.match(r"^(https?:)?//", src)
        png = report_out / src
        assert png.exists() and png.stat().st_size > 0, src
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", src


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium (/usr/bin/chromium, Debian package 'chromium') is not installed")
def test_html_renders_in_headless_chromium(report_out: Path, tmp_path: Path):
    shot = tmp_path / "shot.png"
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
           "--window-size=1280,4000", (report_out / "index.html").as_uri()]
    subprocess.run(cmd, check=False, capture_output=True, timeout=60)
    assert shot.exists() and shot.stat().st_size > 0, "no screenshot written"
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    gray = pixels[..., :3].mean(axis=2)
    assert gray.std() > 0.02, "blank page"
    assert (gray < 0.5).mean() > 0.001, "no text or figures drawn"
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)
