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
from .config import GROUPS, SynthConfig
from .pipeline import default_workers, run_chunks
from .remote_access import LAYOUT_CHOICES, RemoteAccessTree, arrange, clear
from .writer import DeliveryWriter

__all__ = ["SynthConfig", "GenerateResult", "generate", "default_truth_dir"]



@dataclass(frozen=True)
class GenerateResult:
    out: Path
    truth: Path
    files: dict  # file name (no extension) -> rows; remote-access: relative path (with extension) -> rows
    truth_files: dict
    persons_simulated: int
    persons_registered: int
    study_sample: int
    chunks: int
    seconds: float
    peak_rss_mb: float
    layout: str = "flat"
    tree: RemoteAccessTree | None = None  # remote-access: the files written and the traps laid


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


def generate(cfg: SynthConfig, progress: Callable[[int, int], None] | None = None,
             workers: int | None = None, layout: str = "flat") -> GenerateResult:
    """Simulate and write the delivery; ``workers`` processes (default: up to 2 cores) build chunks
    in a pipeline. The files are byte-identical for any number of workers.

    ``layout="remote-access"`` rearranges the delivery into a CBS Remote Access tree (table and
    year folders, mixed-case names, superseded versions, a split table, an unknown column, a stray
    file: see ``remote_access.py``); the current data it gives the ingest equal the flat delivery's."""
    if layout not in LAYOUT_CHOICES:
        raise ValueError(f"unknown layout {layout!r}: choose {' or '.join(LAYOUT_CHOICES)}")
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
        clear(out)  # the table folders and stray file of an earlier remote-access run
    truth.mkdir(parents=True, exist_ok=True)
    n_chunks = max(1, math.ceil(cfg.persons / cfg.chunk_size))
    quotas = largest_remainder(cfg.cohort_size, [1.0 / n_chunks] * n_chunks)
    writer = DeliveryWriter(out, cfg.fmt, cfg.version)
    sim = 0
    stats: list[dict] = []
    tfiles = {"persons": truth / "persons.csv", "kinship": truth / "kinship.csv"}
    heads = {k: True for k in tfiles}
    n_workers = default_workers() if workers is None else max(1, int(workers))
    for i, res in enumerate(run_chunks(cfg, [int(q) for q in quotas], n_workers)):
        for enc in res.tables:
            writer.append(enc)
        for k, path in tfiles.items():
            header, body = res.truth[k]
            with open(path, "wb" if heads[k] else "ab") as fh:
                if heads[k]:
                    fh.write(header)
                fh.write(body)
            heads[k] = False
        sim += res.n_sim
        stats.append(res.stats)
        if progress:
            progress(i + 1, n_chunks)
        del res
    files = writer.close()
    tree = arrange(out, files, cfg.fmt, cfg.version, cfg.seed) if layout == "remote-access" else None
    if tree is not None:
        files = tree.files
    planted = _planted(cfg, stats)
    (truth / "planted.json").write_text(json.dumps(planted, indent=2, sort_keys=True, default=str) + "\n")
    # peak of this process plus (upper bound) the largest worker's peak for each worker process
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    if n_workers > 1 and n_chunks > 1:
        rss += min(n_workers, n_chunks) * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    return GenerateResult(
        out=out, truth=truth, files=files,
        truth_files={k: str(v) for k, v in tfiles.items()} | {"planted": str(truth / "planted.json")},
        persons_simulated=sim, persons_registered=sum(s["registered"] for s in stats),
        study_sample=sum(s["sample"] for s in stats), chunks=n_chunks,
        seconds=round(time.perf_counter() - t0, 2), peak_rss_mb=round(rss, 1), layout=layout, tree=tree,
    )


def config_from(**kw) -> SynthConfig:
    return replace(SynthConfig(), **kw)
