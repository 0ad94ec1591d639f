"""Chunk-appending writers for csv, parquet and sav deliveries.

csv and parquet stream chunk by chunk (csv: append; parquet: one ParquetWriter per file). pyreadstat
cannot append, so for ``sav`` chunks are staged as parquet files and converted table by table at close
(memory then scales with the largest single table, not with the whole delivery) into typed, labelled
SPSS files as CBS ships them (date columns ``DATE11``, see ``sav.py``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..layouts import LAYOUTS
from .sav import write_sav

NUMERIC = {"int", "num"}


def column_kinds(table: str, columns: list[str]) -> dict[str, str]:
    lay = LAYOUTS[table]
    kinds = {}
    for c in columns:
        kind = "str"
        for col in lay.columns:
            if c.upper() == col.name.upper() or c.upper() in (a.upper() for a in col.aliases):
                kind = col.kind
        kinds[c] = kind
    return kinds


def _schema(table: str, columns: list[str]) -> pa.Schema:
    kinds = column_kinds(table, columns)
    return pa.schema([
        (c, pa.int64() if kinds[c] == "int" else pa.float64() if kinds[c] == "num" else pa.string()) for c in columns
    ])


@dataclass(frozen=True)
class EncodedTable:
    """One chunk of one delivery table, encoded (in a worker) ready to be appended to its file.

    ``payload`` is ``(header bytes, body bytes)`` for csv and a ``pyarrow.Table`` otherwise."""

    table: str
    name: str
    columns: list
    n_rows: int
    payload: object


def encode(table: str, year: int, df: pd.DataFrame | dict, fmt: str, version: int) -> EncodedTable:
    """Render one chunk of a table: csv bytes (header and body separately) or an Arrow table.

    ``df`` is a DataFrame or a dict of equal-length arrays (scalars are broadcast). For csv a dict
    goes straight to Arrow (no pandas round trip); parquet and sav keep the pandas path so their
    files (including the pandas schema metadata) stay as before."""
    name = LAYOUTS[table].file_name(year, version)
    if isinstance(df, dict):
        if fmt == "csv":
            table_pa = _arrow_from_columns(table, df)
            return EncodedTable(table, name, list(df), table_pa.num_rows, _csv_bytes(table_pa))
        df = pd.DataFrame(df)
    cols = list(df.columns)
    table_pa = pa.Table.from_pandas(df, schema=_schema(table, cols), preserve_index=False)
    if fmt == "csv":
        return EncodedTable(table, name, cols, len(df), _csv_bytes(table_pa))
    return EncodedTable(table, name, cols, len(df), table_pa)


def _arrow_from_columns(table: str, columns: dict) -> pa.Table:
    lengths = {len(v) for v in columns.values() if np.ndim(v)}
    if len(lengths) != 1:
        raise ValueError(f"{table}: columns must have one common length, got {sorted(lengths)}")
    n = lengths.pop()
    schema = _schema(table, list(columns))
    arrays = []
    for fld in schema:
        values = columns[fld.name]
        if not np.ndim(values):
            values = np.full(n, values, dtype=object)
        arrays.append(pa.array(values, type=fld.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def _csv_bytes(table_pa: pa.Table) -> tuple[bytes, bytes]:
    head, body = pa.BufferOutputStream(), pa.BufferOutputStream()
    pacsv.write_csv(table_pa.slice(0, 0), head,
                    write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed", delimiter=","))
    pacsv.write_csv(table_pa, body,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="needed", delimiter=","))
    return head.getvalue().to_pybytes(), body.getvalue().to_pybytes()


class DeliveryWriter:
    def __init__(self, out: Path, fmt: str, version: int = 1):
        if fmt not in ("csv", "parquet", "sav"):
            raise ValueError(f"unknown format {fmt!r}")
        self.out = Path(out)
        self.fmt = fmt
        self.version = version
        self.out.mkdir(parents=True, exist_ok=True)
        self.rows: dict[str, int] = {}
        self.columns: dict[str, tuple[str, list[str]]] = {}
        self._pq: dict[str, pq.ParquetWriter] = {}
        self._stage = self.out / ".staging" if fmt == "sav" else None

    def path(self, table: str, year: int) -> Path:
        name = LAYOUTS[table].file_name(year, self.version)
        return self.out / f"{name}.{self.fmt}"

    def write(self, table: str, year: int, df: pd.DataFrame) -> None:
        self.append(encode(table, year, df, self.fmt, self.version))

    def append(self, enc: "EncodedTable") -> None:
        """Append one encoded chunk of a table (see :func:`encode`) to its delivery file."""
        name = enc.name
        self.columns.setdefault(name, (enc.table, enc.columns))
        first = name not in self.rows
        self.rows[name] = self.rows.get(name, 0) + enc.n_rows
        if self.fmt == "csv":
            header, body = enc.payload
            with open(self.out / f"{name}.csv", "wb" if first else "ab") as fh:
                if first:
                    fh.write(header)
                fh.write(body)
            return
        table_pa = enc.payload
        if self.fmt == "parquet":
            w = self._pq.get(name)
            if w is None:
                w = self._pq[name] = pq.ParquetWriter(self.out / f"{name}.parquet", table_pa.schema)
            w.write_table(table_pa)
        else:
            stage = self._stage / name
            stage.mkdir(parents=True, exist_ok=True)
            pq.write_table(table_pa, stage / f"part-{len(list(stage.iterdir())):06d}.parquet")

    def close(self) -> dict[str, int]:
        """Finish every file; a table version without records is not delivered (CBS ships no empty
        per-year files, and ingest rejects a header-only file)."""
        for w in self._pq.values():
            w.close()
        self._pq.clear()
        empty = sorted(name for name, n in self.rows.items() if n == 0)
        for name in empty:
            (self.out / f"{name}.{self.fmt}").unlink(missing_ok=True)
            if self._stage is not None:
                shutil.rmtree(self._stage / name, ignore_errors=True)
            del self.rows[name], self.columns[name]
        if self.fmt == "sav" and self._stage is not None and self._stage.exists():
            for name, (table, cols) in sorted(self.columns.items()):
                stage = self._stage / name
                parts = sorted(stage.iterdir()) if stage.exists() else []
                df = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True) if parts else None
                if df is None or len(df) == 0:
                    df = pd.DataFrame({c: pd.Series(dtype="float64" if k in NUMERIC else object)
                                       for c, k in column_kinds(table, cols).items()})
                write_sav(table, df[cols], self.out / f"{name}.sav")
            shutil.rmtree(self._stage)
        return dict(sorted(self.rows.items()))
