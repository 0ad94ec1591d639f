"""One writer at a time: an advisory lock file beside the warehouse database.

``ingest``, ``refresh``, ``build`` and ``rollback`` change the warehouse; two of them at once can lose
work (a refresh rebuilds a copy of the database and swaps it in, so an ingest that ran meanwhile
would vanish). Each writer therefore holds :func:`writer_lock` on ``<db>.lock`` for its whole run.

The lock is ``fcntl.flock(LOCK_EX | LOCK_NB)`` on an open file descriptor: the kernel releases it when
the descriptor is closed or the process dies (even by ``kill -9``), so a lock is never stale. The
holder writes its pid, command and start time into the file, for the message a second writer gets;
the file itself stays in place (removing it would race with a writer that has just opened it) and is
emptied on release.

The lock is re-entrant within one thread: a writer that already holds it (the CLI ``rollback`` that
then builds, or a caller that wraps :func:`warehouse.refresh.refresh`) takes it again at no cost.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

#: seconds between attempts while waiting for the lock
POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds the writer lock (as written into the lock file)."""

    pid: int | None
    command: str
    started: str

    def describe(self) -> str:
        pid = "unknown pid" if self.pid is None else f"pid {self.pid}"
        return f"`{self.command}` ({pid}, started {self.started})"


class WarehouseBusy(RuntimeError):
    """Another process holds the writer lock on the warehouse; the message is one line naming it."""

    def __init__(self, db: Path, holder: Holder | None, waited: float = 0) -> None:
        self.db = db
        self.holder = holder
        self.waited = waited
        who = holder.describe() if holder is not None else "another writer (not yet named in the lock file)"
        after = f" after waiting {waited:g} s" if waited > 0 else ""
        super().__init__(
            f"warehouse {db} is busy{after}: {who} holds the writer lock; "
            "try again when it has finished, or wait for it with --wait SECONDS"
        )


def waiting_line(holder: Holder | None, wait: float) -> str:
    """One line telling that a writer waits for the lock (for ``on_wait``)."""
    who = f" held by {holder.describe()}" if holder is not None else ""
    return f"waiting up to {wait:g} s for the writer lock{who}"


def lock_path(db: Path) -> Path:
    """The lock file of a warehouse database: ``<db>.lock`` beside it."""
    return db.with_name(db.name + ".lock")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def read_holder(db: Path) -> Holder | None:
    """The holder named in the lock file, or None when the file is empty, missing or unreadable."""
    try:
        text = lock_path(db).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
        pid = data.get("pid")
        return Holder(
            int(pid) if pid is not None else None,
            _one_line(data.get("command", "?")),
            _one_line(data.get("started", "?")),
        )
    except (ValueError, TypeError, AttributeError):
        return None


def _holder_for_message(db: Path) -> Holder | None:
    # the holder writes its name just after taking the lock: give it a moment if the file is still empty
    for _ in range(5):
        holder = read_holder(db)
        if holder is not None:
            return holder
        time.sleep(0.02)
    return None


_held: dict[Path, tuple[int, int]] = {}  # resolved lock path -> (thread id, depth)
_held_guard = threading.Lock()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


@contextmanager
def writer_lock(
    db: Path,
    command: str,
    wait: float = 0,
    *,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[None]:
    """Hold the exclusive writer lock on ``db`` for the body of the ``with``.

    If another process holds it, retry for up to ``wait`` seconds (0: not at all), calling
    ``on_wait(holder)`` once before waiting, then raise :class:`WarehouseBusy`.
    """
    if wait < 0:
        raise ValueError("wait must be 0 or more seconds")
    path = lock_path(Path(db)).resolve()
    me = threading.get_ident()
    with _held_guard:
        owner = _held.get(path)
        if owner is not None and owner[0] == me:
            _held[path] = (me, owner[1] + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[path] = (me, _held[path][1] - 1)
        return

    if not path.parent.is_dir():
        raise FileNotFoundError(f"folder {path.parent} of the warehouse database does not exist")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        started = time.monotonic()
        announced = False
        while not _try_flock(fd):
            waited = time.monotonic() - started
            if waited >= wait:
                raise WarehouseBusy(Path(db), _holder_for_message(Path(db)), wait)
            if not announced and on_wait is not None:
                on_wait(_holder_for_message(Path(db)))
            announced = True
            time.sleep(min(POLL_SECONDS, max(wait - waited, 0.0)))
        holder = {
            "pid": os.getpid(),
            "command": _one_line(command),
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        with _held_guard:
            _held[path] = (me, 1)
        try:
            yield
        finally:
            with _held_guard:
                _held.pop(path, None)
            try:
                os.ftruncate(fd, 0)  # no holder: the file is empty while the lock is free
            except OSError:
                pass
    finally:
        os.close(fd)  # releases the flock
