"""Synthetic CBS delivery with planted ground truth (see docs/synthetic-population.md).

``generate(config)`` simulates the population in self-contained lineage chunks, appends every chunk to
the delivery files as it is produced and writes the truth folder (persons.csv, kinship.csv,
planted.json) next to -- never inside -- the delivery folder.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from .careers import largest_remainder, lambda_curve
from .chunk import run_chunk
from .config import GROUPS, SynthConfig
from .writer import DeliveryWriter

__all__ = ["SynthConfig", "GenerateResult", "generate", "default_truth_dir"]

#: simulated persons per founder (measured; refined after every chunk)
_PERSONS_PER_FOUNDER = 2.62


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    truth: Path
    files: dict  # file name (no extension) -> rows
    truth_files: dict
    persons_simulated: int
    persons_registered: int
    study_sample: int
    chunks: int
    seconds: float
    peak_rss_mb: float


def default_truth_dir(out: Path) -> Path:
    out = Path(out)
    return out.resolve().parent / f"truth_{out.resolve().name}"


def _planted(cfg: SynthConfig, stats: list[dict]) -> dict:
    d = cfg.planted()
    ages = list(range(12, 61))
    d["implied_yearly_rate_by_age"] = {
        g: {str(a): round(float(lambda_curve(cfg, g, np.array(a))), 4) for a in ages} for g in (*GROUPS, "LOW")
    }
    d["model"] = (
        "logit p_it = alpha_i + logit(lambda_g(age)/12) - age_decline_slope*max(age-age_decline_after,0) "
        "+ sum_k log_odds[k]*x_kit; structural zero person-years with prob zero_inflation[g]"
    )
    d["odds_ratios"] = {k: round(math.exp(v), 4) for k, v in cfg.log_odds.items()}
    d["chunks"] = stats
    return d


def generate(cfg: SynthConfig, progress: Callable[[int, int], None] | None = None) -> GenerateResult:
    t0 = time.perf_counter()
    out = Path(cfg.out)
    truth = Path(cfg.truth) if cfg.truth else default_truth_dir(out)
    if truth.resolve() == out.resolve() or out.resolve() in truth.resolve().parents:
        raise ValueError("the truth folder must not be inside the delivery folder")
    if out.exists():
        for f in out.iterdir():
            if f.is_file() and f.suffix.lower() in (".csv", ".parquet", ".sav"):
                f.unlink()
            elif f.is_dir() and f.name == ".staging":
                shutil.rmtree(f)
    truth.mkdir(parents=True, exist_ok=True)
    n_chunks = max(1, math.ceil(cfg.persons / cfg.chunk_size))
    target = cfg.persons / n_chunks
    quotas = largest_remainder(cfg.cohort_size, [1.0 / n_chunks] * n_chunks)
    writer = DeliveryWriter(out, cfg.fmt, cfg.version)
    ratio = _PERSONS_PER_FOUNDER
    sim = founders = 0
    offs = [0, 0, 0]
    stats: list[dict] = []
    tfiles = {"persons": truth / "persons.csv", "kinship": truth / "kinship.csv"}
    heads = {k: True for k in tfiles}
    for i in range(n_chunks):
        remaining = cfg.persons - sim
        goal = min(target, remaining) if i < n_chunks - 1 else remaining
        nf = max(50, int(round(goal / ratio)))
        res = run_chunk(cfg, i, nf, int(quotas[i]), offs[0], offs[1], offs[2])
        offs = [offs[0] + res.n_sim, offs[1] + res.n_cases, offs[2] + res.n_units]
        for table, year, df in res.tables:
            writer.write(table, year, df)
        for k, path in tfiles.items():
            with open(path, "w" if heads[k] else "a", encoding="utf-8", newline="") as fh:
                res.truth[k].to_csv(fh, index=False, header=heads[k], lineterminator="\n")
            heads[k] = False
        sim += res.n_sim
        founders += nf
        ratio = sim / founders
        stats.append(res.stats)
        if progress:
            progress(i + 1, n_chunks)
        del res
    files = writer.close()
    planted = _planted(cfg, stats)
    (truth / "planted.json").write_text(json.dumps(planted, indent=2, sort_keys=True, default=str) + "\n")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return GenerateResult(
        out=out, truth=truth, files=files,
        truth_files={k: str(v) for k, v in tfiles.items()} | {"planted": str(truth / "planted.json")},
        persons_simulated=sim, persons_registered=sum(s["registered"] for s in stats),
        study_sample=sum(s["sample"] for s in stats), chunks=n_chunks,
        seconds=round(time.perf_counter() - t0, 2), peak_rss_mb=round(rss, 1),
    )


def config_from(**kw) -> SynthConfig:
    return replace(SynthConfig(), **kw)
