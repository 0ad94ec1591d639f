"""Chunk scheduling for ``generate``: in-process, or pipelined over worker processes.

Chunk ``i`` draws from its own generator ``default_rng([seed, i])``; what it inherits from earlier
chunks is only (a) its founder count, a function of the persons simulated by chunks ``< i``, and
(b) the id offsets (persons, cases, household units) of chunks ``< i``. A worker reports its chunk's
size right after the lineage simulation, so the next chunk can start while this one is still being
built, and asks for the case/unit offsets just before rendering. Rendered chunks are appended to the
files strictly in chunk order, so the delivery is byte-identical for any number of workers.
"""

from __future__ import annotations

import io
import multiprocessing as mp
import os
import queue
import traceback
from dataclasses import dataclass
from typing import Iterator

from .chunk import run_chunk
from .config import SynthConfig
from .writer import EncodedTable, encode

#: simulated persons per founder (measured; refined after every chunk)
PERSONS_PER_FOUNDER = 2.62


@dataclass(frozen=True)
class EncodedChunk:
    """A rendered chunk: encoded delivery tables, truth csv (header, body) per truth file, counts."""

    tables: list  # EncodedTable in delivery order
    truth: dict  # truth file key -> (header bytes, body bytes)
    n_sim: int
    n_cases: int
    n_units: int
    stats: dict


class _Plan:
    """Founder counts and id offsets, filled in as chunks report their sizes (in chunk order)."""

    def __init__(self, cfg: SynthConfig, quotas: list[int]):
        self.cfg = cfg
        self.n_chunks = len(quotas)
        self.target = cfg.persons / self.n_chunks
        self.quotas = quotas
        self.n_sim: list[int] = []  # per chunk, known after its lineage simulation
        self.founders: list[int] = []
        self.counts: dict[int, tuple[int, int]] = {}  # chunk -> (cases, units)

    def founders_for(self, i: int) -> int:
        """Founder count of chunk ``i`` (needs the sizes of all chunks before it)."""
        assert len(self.n_sim) == i == len(self.founders)
        sim = sum(self.n_sim)
        ratio = sim / sum(self.founders) if i else PERSONS_PER_FOUNDER
        remaining = self.cfg.persons - sim
        goal = min(self.target, remaining) if i < self.n_chunks - 1 else remaining
        nf = max(50, int(round(goal / ratio)))
        self.founders.append(nf)
        return nf

    def person_off(self, i: int) -> int:
        return sum(self.n_sim[:i])

    def offsets_ready(self, i: int) -> bool:
        return all(j in self.counts for j in range(i))

    def offsets(self, i: int) -> tuple[int, int]:
        return sum(self.counts[j][0] for j in range(i)), sum(self.counts[j][1] for j in range(i))


def _encode_chunk(cfg: SynthConfig, res) -> EncodedChunk:
    tables = [encode(table, year, df, cfg.fmt, cfg.version) for table, year, df in res.tables]
    truth = {}
    for key, df in res.truth.items():
        head, body = io.StringIO(), io.StringIO()
        df.head(0).to_csv(head, index=False, header=True, lineterminator="\n")
        df.to_csv(body, index=False, header=False, lineterminator="\n")
        truth[key] = (head.getvalue().encode("utf-8"), body.getvalue().encode("utf-8"))
    return EncodedChunk(tables, truth, res.n_sim, res.n_cases, res.n_units, res.stats)


def _serial(cfg: SynthConfig, plan: _Plan) -> Iterator[EncodedChunk]:
    for i in range(plan.n_chunks):
        nf = plan.founders_for(i)

        def offsets(n_cases: int, n_units: int, i: int = i) -> tuple[int, int]:
            plan.counts[i] = (n_cases, n_units)
            return plan.offsets(i)

        res = run_chunk(cfg, i, nf, plan.quotas[i], plan.person_off(i), on_simulated=plan.n_sim.append,
                        offsets=offsets)
        yield _encode_chunk(cfg, res)


def _receive(inbox, parent: int):  # pragma: no cover - runs in a child process
    """Next message from the main process; exit quietly if the main process has gone."""
    while True:
        try:
            return inbox.get(timeout=2)
        except queue.Empty:
            if os.getppid() != parent:
                os._exit(1)


def _worker(cfg: SynthConfig, inbox, outbox, parent: int) -> None:  # pragma: no cover - runs in a child process
    while True:
        task = _receive(inbox, parent)
        if task is None:
            return
        i, nf, quota, person_off = task
        try:
            def offsets(n_cases: int, n_units: int) -> tuple[int, int]:
                outbox.put(("counts", i, (n_cases, n_units)))
                return _receive(inbox, parent)

            res = run_chunk(cfg, i, nf, quota, person_off, on_simulated=lambda n: outbox.put(("sim", i, n)),
                            offsets=offsets)
            outbox.put(("done", i, _encode_chunk(cfg, res)))
            del res
        except BaseException:
            outbox.put(("error", i, traceback.format_exc()))
            return


def _parallel(cfg: SynthConfig, plan: _Plan, workers: int) -> Iterator[EncodedChunk]:
    ctx = mp.get_context("spawn")
    outbox = ctx.Queue()
    inboxes = [ctx.Queue() for _ in range(workers)]
    procs = [ctx.Process(target=_worker, args=(cfg, inboxes[w], outbox, os.getpid()), daemon=True) for w in range(workers)]
    for p in procs:
        p.start()
    busy: dict[int, int] = {}  # worker -> chunk
    waiting: dict[int, int] = {}  # chunk -> worker waiting for its offsets
    done: dict[int, EncodedChunk] = {}
    next_write = 0
    try:
        while next_write < plan.n_chunks:
            # dispatch: the next chunk can start once every earlier chunk has reported its size
            nxt = len(plan.founders)
            while nxt < plan.n_chunks and len(plan.n_sim) == nxt and len(busy) < workers:
                w = next(k for k in range(workers) if k not in busy)
                nf = plan.founders_for(nxt)
                inboxes[w].put((nxt, nf, plan.quotas[nxt], plan.person_off(nxt)))
                busy[w] = nxt
                nxt += 1
            for i in sorted(waiting):
                if plan.offsets_ready(i):
                    inboxes[waiting.pop(i)].put(plan.offsets(i))
            while next_write in done:
                yield done.pop(next_write)
                next_write += 1
            if next_write >= plan.n_chunks:
                break
            try:
                kind, i, value = outbox.get(timeout=5)
            except queue.Empty:
                dead = [p for p in procs if not p.is_alive()]
                if dead:
                    raise RuntimeError(f"generator worker exited with code {dead[0].exitcode}") from None
                continue
            if kind == "sim":
                assert len(plan.n_sim) == i
                plan.n_sim.append(value)
            elif kind == "counts":
                plan.counts[i] = value
                waiting[i] = next(w for w, c in busy.items() if c == i)
            elif kind == "done":
                done[i] = value
                del busy[next(w for w, c in busy.items() if c == i)]
            else:
                raise RuntimeError(f"generator chunk {i} failed:\n{value}")
    finally:
        for q in inboxes:
            q.put(None)
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()


def run_chunks(cfg: SynthConfig, quotas: list[int], workers: int = 1) -> Iterator[EncodedChunk]:
    """Yield the encoded chunks in chunk order; ``workers`` > 1 pipelines them over processes."""
    plan = _Plan(cfg, quotas)
    if workers <= 1 or plan.n_chunks == 1:
        return _serial(cfg, plan)
    return _parallel(cfg, plan, min(workers, plan.n_chunks))


def default_workers() -> int:
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


__all__ = ["EncodedChunk", "EncodedTable", "run_chunks", "default_workers", "PERSONS_PER_FOUNDER"]
