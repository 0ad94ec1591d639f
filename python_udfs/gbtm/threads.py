"""Keep the BLAS single-threaded while a fit runs.

The likelihood works on tall, skinny matrices (rows x ages times ages x groups) and
L-BFGS-B on a few dozen parameters. Multi-threaded OpenBLAS gains nothing on such shapes
and, on a busy machine, its worker threads spin and wait for a core: measured on the
project's 2-core machine under load, a 43k x 24 by 24 x 4 product took 10-40 times longer
with 2 BLAS threads than with 1, and a whole fit about 7 times longer.

:func:`single_threaded_blas` sets the OpenBLAS thread count of the *calling thread* to 1
(``openblas_set_num_threads_local``, OpenBLAS >= 0.3.27) for every OpenBLAS library loaded
in the process (numpy and scipy each bundle one) and restores the previous value on exit.
Other threads are not affected. Where the function or ``/proc/self/maps`` is unavailable
(another BLAS, another OS) it does nothing; results never depend on it, only speed.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

_SETTER = "openblas_set_num_threads_local"


def _loaded_openblas_paths() -> tuple[str, ...]:
    """Paths of the OpenBLAS shared libraries mapped into this process (Linux only)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and "/" in line}
    except OSError:
        return ()
    return tuple(sorted(p for p in paths if p.startswith("/")))


@lru_cache(maxsize=16)
def _setter(path: str) -> Callable[[int], int] | None:
    try:
        func = getattr(ctypes.CDLL(path), _SETTER)
    except (OSError, AttributeError):
        return None
    func.restype = ctypes.c_int
    func.argtypes = [ctypes.c_int]
    return func


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run the enclosed block with 1 OpenBLAS thread in the calling thread (see module doc)."""
    restore: list[tuple[Callable[[int], int], int]] = []
    for path in _loaded_openblas_paths():
        setter = _setter(path)
        if setter is not None:
            restore.append((setter, int(setter(1))))
    try:
        yield
    finally:
        for setter, previous in reversed(restore):
            setter(previous)
