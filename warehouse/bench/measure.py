"""Run one benchmark stage in its own process and measure it: wall and CPU seconds, peak RSS.

Each stage runs as ``python -m warehouse.bench.worker STAGE PARAMS OUT`` so that its peak resident
set size is its own: the parent waits for exactly that child with :func:`os.wait4`, whose
``ru_maxrss`` (kilobytes on Linux) and ``ru_utime``/``ru_stime`` cover the child and any
processes it waited for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class StageMeasure:
    """One stage's measurements.

    ``seconds`` is the wall time of the stage's work as timed inside the worker (``None`` if it
    failed); ``process_seconds`` adds interpreter start-up and imports. ``cpu_seconds`` is user +
    system time of the whole process; ``peak_rss_mb`` its maximum resident set size.
    """

    stage: str
    ok: bool
    seconds: float | None
    process_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    rows: int | None
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def rows_per_second(self) -> float | None:
        """Rows produced per wall second of work (``None`` when either is unknown or zero)."""
        if not self.rows or not self.seconds:
            return None
        return self.rows / self.seconds

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON record of the stage (schema in ``docs/benchmarks.md``)."""
        return {
            "stage": self.stage,
            "ok": self.ok,
            "seconds": self.seconds,
            "process_seconds": self.process_seconds,
            "cpu_seconds": self.cpu_seconds,
            "peak_rss_mb": self.peak_rss_mb,
            "rows": self.rows,
            "rows_per_second": self.rows_per_second,
            "detail": self.detail,
            "error": self.error,
        }


def run_stage(stage: str, params: dict[str, Any], logs: Path, env: dict[str, str] | None = None) -> StageMeasure:
    """Run ``stage`` with ``params`` in a fresh Python process; its output goes to ``logs/<stage>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    params_path = logs / f"{stage}.params.json"
    out_path = logs / f"{stage}.result.json"
    params_path.write_text(json.dumps(params, default=str))
    out_path.unlink(missing_ok=True)
    started = time.perf_counter()
    with open(logs / f"{stage}.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "warehouse.bench.worker", stage, str(params_path), str(out_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    rss_mb = usage.ru_maxrss / 1024.0
    result: dict[str, Any] = json.loads(out_path.read_text()) if out_path.exists() else {}
    ok = proc.returncode == 0 and bool(result.get("ok"))
    error = result.get("error")
    if not ok and error is None:
        error = f"worker exited with status {proc.returncode}; see {logs / (stage + '.log')}"
    return StageMeasure(
        stage=stage,
        ok=ok,
        seconds=result.get("seconds"),
        process_seconds=elapsed,
        cpu_seconds=cpu,
        peak_rss_mb=rss_mb,
        rows=result.get("rows"),
        detail=result.get("detail", {}),
        error=error,
    )
