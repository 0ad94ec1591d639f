"""Small vectorised helpers: day/month arithmetic, pseudonyms, seed code lists."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
BIG = np.int64(10**7)  # "never" as a day number (far future)
NEG = np.int64(-(10**7))


def day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


def year_start(y) -> np.ndarray:
    y = np.asarray(y)
    return ((y - 1970) * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_of(days) -> np.ndarray:
    """Month index since 1970-01 of day numbers."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_start(m) -> np.ndarray:
    return np.asarray(m, dtype=np.int64).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def month_end(m) -> np.ndarray:
    return month_start(np.asarray(m, dtype=np.int64) + 1) - 1


def ymd(days) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, dd


def datestr(days) -> np.ndarray:
    """Day numbers -> 'YYYYMMDD' strings (object array)."""
    y, m, d = ymd(days)
    return _int_str(y * 10000 + m * 100 + d)


def _int_str(values: np.ndarray, width: int = 0) -> np.ndarray:
    """Decimal strings of non-negative integers, zero-padded to ``width`` (object array, via Arrow)."""
    text = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    if width:
        text = pc.utf8_lpad(text, width, "0")
    return text.to_numpy(zero_copy_only=False)


def age_years(bdays, at_days) -> np.ndarray:
    """Completed years (floor) at the given days."""
    by, bm, bd = ymd(bdays)
    ay, am, ad = ymd(at_days)
    return ay - by - ((am < bm) | ((am == bm) & (ad < bd))).astype(np.int64)


def zpad(values, width: int) -> np.ndarray:
    v = np.asarray(values).astype(np.int64)
    if v.size and v.min() < 0:  # str.zfill keeps the sign in front; only non-negatives take the fast path
        return np.char.zfill(v.astype(str), width).astype(object)
    return _int_str(v, width)


def pseudonym9(ids, seed: int) -> np.ndarray:
    """Bijective affine map modulo 10^9 (3^18 is coprime to 10^9): unique, not visibly sequential."""
    b = np.int64((seed * 7_919 + 12_345) % 10**9)
    v = (np.asarray(ids, dtype=np.int64) * np.int64(387_420_489) + b) % np.int64(10**9)
    return zpad(v, 9)


def pseudonym12(ids, seed: int, salt: int) -> np.ndarray:
    """12-digit ids without Python loops: split into two 6-digit halves of a Feistel-like map."""
    ids = np.asarray(ids, dtype=np.int64)
    hi, lo = ids // 1_000_000, ids % 1_000_000
    k = np.int64((seed * 31 + salt * 17) % 1_000_000)
    for r in range(3):
        f = (lo * np.int64(7_919) + k + np.int64(r * 104_729)) % np.int64(1_000_000)
        hi, lo = lo, (hi + f) % np.int64(1_000_000)
    return zpad(hi * np.int64(1_000_000) + lo, 12)


@lru_cache(maxsize=None)
def seed_rows(name: str) -> tuple[dict, ...]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def seed_codes(name: str) -> list[str]:
    return [r["code"] for r in seed_rows(name)]


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def expand_ranges(starts, ends):
    """For half-open integer ranges [s, e): (owner index, value) arrays without Python loops."""
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    lens = np.clip(ends - starts, 0, None)
    owner = np.repeat(np.arange(len(starts)), lens)
    if len(owner) == 0:
        return owner, owner.astype(np.int64)
    offs = np.arange(len(owner)) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, np.repeat(starts, lens) + offs
