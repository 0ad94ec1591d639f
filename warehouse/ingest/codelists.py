"""Code lists delivered with a delivery (CBS reference files) instead of the shipped seeds.

The contracts check code columns against a code list (``Column.codelist`` names a seed in
``seeds/``). The shipped seeds are partial; a delivery may bring the real list. Recognised files
(anywhere in the delivery folder; they are not CBS table files, so ``discover`` skips them):

* ``codelists/<list>.csv`` (also ``.parquet``, ``.sav``) where ``<list>`` is a seed name
  (``countries``, ``offence_codes``, ...): a ``code`` column and optionally a ``label`` column; other
  columns are ignored. This is the project's own convention.
* ``LANDAKTUEELREF[V<n>].sav`` / ``.csv`` / ``.parquet``: CBS's country reference file (cbs-layouts.md
  §1.1, §2) for the list ``countries``; the code column is ``LAND`` (or ``LANDEN``), other columns
  are ignored; the highest ``V<n>`` in a delivery is used.

A delivered list is stored per delivery in ``meta.delivered_codes`` (versioned like the tables:
``meta.current_codes`` holds, per list, the rows of the last applied delivery that brought it, so a
rollback restores the previous list) and it *replaces* the seed's codes in the contracts of this and
later deliveries. The dbt models still join the seeds (labels and groupings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from warehouse.config import SEEDS_DIR
from warehouse.ingest.errors import Violation

SUFFIXES = (".csv", ".parquet", ".sav")
CODELIST_FOLDER = "codelists"
#: CBS reference files -> (list name, code columns in order of preference, label columns)
CBS_REFERENCE_FILES = {
    "LANDAKTUEELREF": ("countries", ("LAND", "LANDEN"), ("LANDNAAM", "OMSCHRIJVING", "LABEL")),
}
_CBS_NAME = re.compile(r"(?P<stem>[A-Z]+REF)(?:V(?P<version>\d+))?")


@dataclass(frozen=True, slots=True)
class DeliveredCodeList:
    codelist: str  # seed name it replaces
    name: str  # path relative to the delivery folder
    path: Path
    version: int
    code_columns: tuple[str, ...]
    label_columns: tuple[str, ...]


def seed_names() -> set[str]:
    return {seed.stem for seed in SEEDS_DIR.glob("*.csv")}


def recognise_codelist(path: Path, name: str) -> DeliveredCodeList | None:
    if path.suffix.lower() not in SUFFIXES or not path.is_file():
        return None
    stem = path.stem
    if path.parent.name.lower() == CODELIST_FOLDER and stem.lower() in seed_names():
        return DeliveredCodeList(stem.lower(), name, path, 0, ("CODE",), ("LABEL",))
    match = _CBS_NAME.fullmatch(stem.upper().strip())
    if match and match.group("stem") in CBS_REFERENCE_FILES:
        codelist, codes, labels = CBS_REFERENCE_FILES[match.group("stem")]
        return DeliveredCodeList(codelist, name, path, int(match.group("version") or 0), codes, labels)
    return None


def find_codelists(folder: Path, skipped: list[str]) -> tuple[list[DeliveredCodeList], list[str], list[Violation]]:
    """The code lists among the files ``discover`` skipped: (lists to use, files still skipped,
    violations). Per list the highest version wins; two different files for one list and version
    are a ``duplicate code list`` violation."""
    found: dict[str, list[DeliveredCodeList]] = {}
    rest: list[str] = []
    for name in skipped:
        delivered = recognise_codelist(folder / name, name)
        if delivered is None:
            rest.append(name)
        else:
            found.setdefault(delivered.codelist, []).append(delivered)
    chosen: list[DeliveredCodeList] = []
    violations: list[Violation] = []
    for codelist, candidates in sorted(found.items()):
        best = max(c.version for c in candidates)
        winners = [c for c in candidates if c.version == best]
        rest.extend(f"{c.name} (superseded code list)" for c in candidates if c.version != best)
        if len(winners) > 1:
            violations.append(
                Violation(
                    winners[1].name,
                    "duplicate code list",
                    f"{', '.join(w.name for w in winners)} are all the code list {codelist}; deliver one",
                )
            )
            continue
        chosen.append(winners[0])
    return chosen, rest, violations


def _as_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        integral = values.notna() & (values == values.round())
        text = values.astype(str).astype(object).where(values.notna(), None)
        text[integral] = values[integral].astype("int64").astype(str)
        return text
    return series.astype(object).where(series.notna(), None)


def read_codelist(delivered: DeliveredCodeList) -> tuple[pd.DataFrame | None, list[Violation]]:
    """The delivered list as a frame (code, label): distinct, trimmed, non-empty codes."""
    try:
        if delivered.path.suffix.lower() == ".sav":
            import pyreadstat

            frame, _ = pyreadstat.read_sav(str(delivered.path), apply_value_formats=False)
        elif delivered.path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(delivered.path)
        else:
            con = duckdb.connect()
            try:
                frame = con.execute(
                    "select * from read_csv(?, all_varchar = true, header = true)", [str(delivered.path)]
                ).df()
            finally:
                con.close()
    except Exception as error:  # noqa: BLE001 - any reader error rejects the file with its message
        return None, [Violation(delivered.name, "unreadable file", f"code list {delivered.codelist}: {error}")]
    upper = {str(c).upper().strip(): c for c in frame.columns}
    code_column = next((upper[c] for c in delivered.code_columns if c in upper), None)
    if code_column is None:
        return None, [
            Violation(
                delivered.name,
                "missing column",
                f"code list {delivered.codelist} needs a code column ({' or '.join(delivered.code_columns)})",
                column=delivered.code_columns[0],
            )
        ]
    label_column = next((upper[c] for c in delivered.label_columns if c in upper), None)
    codes = _as_text(frame[code_column])
    labels = _as_text(frame[label_column]) if label_column is not None else pd.Series([None] * len(frame), dtype=object)
    out = pd.DataFrame({"code": codes.map(lambda v: v.strip() if isinstance(v, str) else v), "label": labels.values})
    out = out[out["code"].notna() & (out["code"] != "")].drop_duplicates("code")
    if out.empty:
        return None, [Violation(delivered.name, "empty file", f"code list {delivered.codelist} has no codes")]
    return out.reset_index(drop=True), []
