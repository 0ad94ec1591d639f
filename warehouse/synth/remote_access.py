"""Rearrange a flat generated delivery into a CBS Remote Access tree (``generate --layout remote-access``).

The flat delivery (one file per table version, named as in ``layouts.py``) is written first; this
module then moves every file into the folder of its table and adds what a real Remote Access tree
throws at the ingest (cbs-layouts.md §1.1):

* one folder per table, named by the CBS table name (``GBAPERSOONTAB/``, ``GBAHUISHOUDENSBUS/``);
  per-year tables get a year sub-folder (``HOOGSTEOPLTAB/2017/HOOGSTEOPL2017TABV1.csv``);
* file names in lower or mixed case for some tables (KINDOUDERTAB, GBAMIGRATIEBUS, HOOGSTEOPLTAB);
* per per-year table one year (drawn from the seed) delivered twice: the correct file as version
  ``version + 1`` and next to it version ``version`` with a few wrong values (the ingest must load
  the higher version and list the lower one as superseded);
* GBAPERSOONTAB split into two parts (``..._part1``, ``..._part2``);
* one column not in the layout (``EXTRAKOLOM``) added to the GBAOVERLIJDENTAB file (listed as an
  unknown column by the ingest, not loaded);
* a stray ``LEESMIJ.txt`` at the top (listed as skipped);
* the delivered country code list ``codelists/countries.csv`` (``code,label``): every code of the
  shipped seed plus every country code the generator draws, so the ingest checks the country
  columns against the delivered list instead of the seed (``IngestResult.codelists``);
* with ``--format csv``, ZVWZORGKOSTENTAB delivered as ``.parquet`` (string columns, empty fields as
  nulls, as the csv reader sees them), the wrong lower version staying ``.csv``: formats mixed in
  one tree and within one year.

Every value the ingest loads is the same as in the flat delivery of the same seed, so both
deliveries give the same current data. Same seed, same files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..layouts import LAYOUTS, identify

LAYOUT_CHOICES = ("flat", "remote-access")
STRAY_FILE = "LEESMIJ.txt"
CODELIST_FOLDER = "codelists"
COUNTRIES_FILE = f"{CODELIST_FOLDER}/countries.csv"
EXTRA_COLUMN = "EXTRAKOLOM"
SPLIT_TABLE = "gbapersoontab"
EXTRA_COLUMN_TABLE = "gbaoverlijdentab"
#: with csv, this table's loaded files are converted to parquet (CBS's "Geconverteerde bestanden")
PARQUET_TABLE = "zvwzorgkostentab"
#: file-name case per table: "lower" or "mixed" (others keep the upper-case CBS name)
NAME_CASE = {"kindoudertab": "lower", "gbamigratiebus": "mixed", "hoogsteopltab": "lower"}
STRAY_TEXT = (
    "LEESMIJ\n"
    "Deze map is een synthetische nabootsing van een CBS Remote Access-levering (warehouse generate\n"
    "--layout remote-access). Bestanden per tabel in een eigen map, per jaar in een jaarmap.\n"
)


@dataclass
class RemoteAccessTree:
    """What ``arrange`` did: the files it wrote and the traps it laid for the ingest."""

    files: dict[str, int] = field(default_factory=dict)  # relative path -> rows (every data file)
    superseded: list[str] = field(default_factory=list)  # lower versions with wrong values
    parts: list[str] = field(default_factory=list)  # the parts of the split table, in order
    unknown_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # relative path -> columns
    skipped: list[str] = field(default_factory=list)  # stray files
    codelists: dict[str, str] = field(default_factory=dict)  # code list -> relative path of the delivered file


def table_folders() -> set[str]:
    """Top-level folder names ``arrange`` may create (``generate`` clears them before a run)."""
    return {name.upper() for name in LAYOUTS}


def _cased(name: str, table: str) -> str:
    case = NAME_CASE.get(table)
    if case == "lower":
        return name.lower()
    if case == "mixed":  # GBAMIGRATIE2022BUSV1 -> GbaMigratie2022BusV1
        stem = LAYOUTS[table].file_stem
        rest = name[len(stem):]
        mixed_stem = stem[:3].capitalize() + stem[3:].capitalize() if stem.startswith("GBA") else stem.capitalize()
        return mixed_stem + rest.replace("BUSV", "BusV").replace("TABV", "TabV")
    return name


# ---- format helpers --------------------------------------------------------------------------------------------

def _read(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    if fmt == "parquet":
        return pq.read_table(path).to_pandas()
    import pyreadstat

    df, meta = pyreadstat.read_sav(str(path))
    # keep the SPSS types and labels for the rewrite (DATE columns stay dates, see ``_write``)
    df.attrs["sav"] = (dict(meta.original_variable_types), dict(meta.column_names_to_labels),
                       dict(meta.variable_value_labels))
    return df


def _write(df: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "csv":
        df.to_csv(path, index=False, lineterminator="\n")
    elif fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    else:
        import pyreadstat

        formats, labels, values = df.attrs.get("sav", ({}, {}, {}))
        formats = {c: f for c, f in formats.items() if c in df.columns}
        for c in df.columns:  # a column added here (EXTRAKOLOM) is a string
            if c not in formats:
                formats[c] = f"A{max(1, int(df[c].astype(str).str.len().max()) if len(df) else 1)}"
        pyreadstat.write_sav(df, str(path), variable_format=formats,
                             column_labels={c: labels.get(c) or c for c in df.columns},
                             variable_value_labels={c: v for c, v in values.items() if c in df.columns} or None)


def _falsify(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """A copy with a few wrong values: the first non-key column whose first rows differ, rotated
    over those rows (or, failing that, its first value changed)."""
    lay = LAYOUTS[table]
    keep = {c.upper() for c in lay.key} | {"RINPERSOONS", "RINPERSOON"}
    wrong = df.copy()
    n = min(len(df), 5)
    for column in df.columns:
        if column.upper() in keep or n < 2:
            continue
        head = wrong[column].iloc[:n].tolist()
        if len(set(map(str, head))) > 1:
            wrong.loc[wrong.index[:n], column] = head[1:] + head[:1]
            return wrong
    column = next(c for c in df.columns if c.upper() not in keep)
    first = wrong[column].iloc[0]
    if isinstance(first, str):
        wrong.loc[wrong.index[0], column] = "9" if first != "9" else "8"
    elif hasattr(first, "toordinal"):  # a date of an SPSS DATE column
        wrong.loc[wrong.index[0], column] = first + dt.timedelta(days=1)
    else:
        wrong.loc[wrong.index[0], column] = (0 if pd.isna(first) else first) + 1
    return wrong


def _csv_to_parquet(path: Path, target: Path) -> None:
    """Convert a delivered csv file to parquet with every column a string (empty fields as nulls)."""
    import pyarrow.csv as pacsv

    import csv

    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in header}, strings_can_be_null=True, quoted_strings_can_be_null=False))
    pq.write_table(table, target)
    path.unlink()


def _move(src: Path, target: Path, fmt: str, table: str) -> Path:
    """Move a loaded file to ``target`` (converted to parquet for ``PARQUET_TABLE`` in a csv tree)."""
    if fmt == "csv" and table == PARQUET_TABLE:
        target = target.with_suffix(".parquet")
        _csv_to_parquet(src, target)
    else:
        src.rename(target)
    return target


def _split(path: Path, fmt: str, first: Path, second: Path) -> tuple[int, int]:
    """Split a delivered file into two parts (rows in order); the values stay as written."""
    if fmt == "csv":
        with open(path, "rb") as fh:
            header = fh.readline()
            lines = fh.readlines()
        half = len(lines) // 2
        first.write_bytes(header + b"".join(lines[:half]))
        second.write_bytes(header + b"".join(lines[half:]))
        return half, len(lines) - half
    if fmt == "parquet":
        table = pq.read_table(path)
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), first)
        pq.write_table(table.slice(half), second)
        return half, table.num_rows - half
    df = _read(path, fmt)
    half = len(df) // 2
    _write(df.iloc[:half].reset_index(drop=True), first, fmt)
    _write(df.iloc[half:].reset_index(drop=True), second, fmt)
    return half, len(df) - half


def _add_column(path: Path, fmt: str, target: Path) -> None:
    """Write ``path`` to ``target`` with one extra column (``EXTRAKOLOM``, a row counter as text)."""
    if fmt == "csv":
        with open(path, "rb") as src, open(target, "wb") as dst:
            dst.write(src.readline().rstrip(b"\n") + f",{EXTRA_COLUMN}\n".encode())
            for i, line in enumerate(src, start=1):
                dst.write(line.rstrip(b"\n") + f",X{i}\n".encode())
        return
    if fmt == "parquet":
        table = pq.read_table(path)
        extra = pa.array([f"X{i}" for i in range(1, table.num_rows + 1)], type=pa.string())
        pq.write_table(table.append_column(EXTRA_COLUMN, extra), target)
        return
    df = _read(path, fmt)
    df[EXTRA_COLUMN] = [f"X{i}" for i in range(1, len(df) + 1)]
    _write(df, target, fmt)


# ---- the tree --------------------------------------------------------------------------------------------------

def arrange(out: Path, files: dict[str, int], fmt: str, version: int, seed: int) -> RemoteAccessTree:
    """Move the flat delivery in ``out`` (``files``: name without extension -> rows, as written by
    the writer) into a Remote Access tree; returns what was written."""
    out = Path(out)
    tree = RemoteAccessTree()
    rng = np.random.default_rng([seed, 20_260_408])
    by_table: dict[str, list[tuple[str, int, int]]] = {}
    for name in sorted(files):
        found = identify(name)
        assert found is not None, name
        layout, year, file_version = found
        by_table.setdefault(layout.name, []).append((name, year, file_version))
    twice: dict[str, int] = {}  # table -> the year delivered as a wrong V and a correct V+1
    for table in sorted(by_table):
        if LAYOUTS[table].per_year:
            years = sorted(year for _, year, _ in by_table[table])
            twice[table] = int(years[int(rng.integers(len(years)))])
    for table, entries in sorted(by_table.items()):
        layout = LAYOUTS[table]
        for name, year, file_version in entries:
            src = out / f"{name}.{fmt}"
            folder = out / table.upper() / (str(year) if layout.per_year else "")
            folder.mkdir(parents=True, exist_ok=True)
            rows = files[name]
            if twice.get(table) == year:
                good = _cased(layout.file_name(year, file_version + 1), table)
                bad = _cased(layout.file_name(year, file_version), table)
                _write(_falsify(_read(src, fmt), table), folder / f"{bad}.{fmt}", fmt)
                moved = _move(src, folder / f"{good}.{fmt}", fmt, table)
                for target in (folder / f"{bad}.{fmt}", moved):
                    tree.files[_rel(out, target)] = rows
                tree.superseded.append(_rel(out, folder / f"{bad}.{fmt}"))
            elif table == SPLIT_TABLE:
                base = _cased(name, table)
                first, second = folder / f"{base}_part1.{fmt}", folder / f"{base}_part2.{fmt}"
                counts = _split(src, fmt, first, second)
                src.unlink()
                for part, n in zip((first, second), counts):
                    tree.files[_rel(out, part)] = n
                    tree.parts.append(_rel(out, part))
            elif table == EXTRA_COLUMN_TABLE:
                target = folder / f"{_cased(name, table)}.{fmt}"
                _add_column(src, fmt, target)
                src.unlink()
                tree.files[_rel(out, target)] = rows
                tree.unknown_columns[_rel(out, target)] = (EXTRA_COLUMN,)
            else:
                target = _move(src, folder / f"{_cased(name, table)}.{fmt}", fmt, table)
                tree.files[_rel(out, target)] = rows
    (out / STRAY_FILE).write_text(STRAY_TEXT, encoding="utf-8")
    tree.skipped.append(STRAY_FILE)
    write_countries(out / COUNTRIES_FILE)
    tree.codelists["countries"] = COUNTRIES_FILE
    tree.files = dict(sorted(tree.files.items()))
    return tree


def country_codes() -> dict[str, str]:
    """Code -> name of every country the delivered list holds: the shipped seed's countries plus
    every birth / migration country code the generator draws (all in the seed today)."""
    import csv

    from ..config import SEEDS_DIR
    from .demography import NL, OTHER, TRADITIONAL

    with open(SEEDS_DIR / "countries.csv", newline="", encoding="utf-8") as fh:
        codes = {row["code"]: row["country"] for row in csv.DictReader(fh)}
    for code in (NL, *TRADITIONAL.tolist(), *OTHER.tolist()):
        codes.setdefault(str(code), f"Land {code}")
    return dict(sorted(codes.items()))


def write_countries(path: Path) -> None:
    """The delivered country code list (``code,label``, sorted by code)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["code,label"] + [f"{code},{label}" for code, label in country_codes().items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rel(out: Path, path: Path) -> str:
    return path.relative_to(out).as_posix()


def clear(out: Path) -> None:
    """Remove what an earlier ``arrange`` wrote into ``out`` (table folders and the stray file)."""
    out = Path(out)
    if not out.exists():
        return
    for name in table_folders():
        if (out / name).is_dir() and not (out / name).is_symlink():
            shutil.rmtree(out / name)
    (out / STRAY_FILE).unlink(missing_ok=True)
    (out / COUNTRIES_FILE).unlink(missing_ok=True)
    if (out / CODELIST_FOLDER).is_dir() and not any((out / CODELIST_FOLDER).iterdir()):
        (out / CODELIST_FOLDER).rmdir()
