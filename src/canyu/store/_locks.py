"""File locks: one writer per workspace, and (Spark) readers that keep old files alive.

Locks are ``flock`` locks (one per open file description), taken without
blocking where a wait would surprise the user: a second writer is told at once
who is writing, instead of hanging. The kernel drops a lock when its process
dies, so a crash never leaves a workspace locked.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from canyu.errors import EngineError, WorkspaceBusyError

__all__ = ["SharedLock", "WriterLock"]


class WriterLock:
    """The exclusive writer lock of a workspace, in the file ``path``.

    The holder writes its pid and start time into the file, so a second
    writer can say who is writing.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another holder has it."""
        if self._fh is not None:
            raise EngineError(
                "a write transaction is already open on this store (transactions do not nest)",
                message_zh="此存储上已有一个写事务（事务不能嵌套）",
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()} {dt.datetime.now().astimezone().isoformat(timespec='seconds')}\n")
        fh.flush()
        self._fh = fh
        return True

    def acquire(self) -> None:
        """Take the lock, or raise :class:`WorkspaceBusyError` naming the holder."""
        if not self.try_acquire():
            raise self.busy_error()

    def release(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    @contextmanager
    def hold(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def busy_error(self) -> WorkspaceBusyError:
        pid: int | None = None
        since: str | None = None
        try:
            text = self.path.read_text(encoding="utf-8").split()
            pid = int(text[0])
            since = dt.datetime.fromisoformat(text[1]).astimezone().strftime("%H:%M")
        except (OSError, ValueError, IndexError):
            pass
        who = f"pid {pid}, since {since}" if pid is not None else "pid unknown"
        who_zh = f"进程号 {pid}，自 {since} 起" if pid is not None else "进程号未知"
        return WorkspaceBusyError(
            f"another canyu process ({who}) is writing this workspace; try again when it finishes",
            message_zh=f"另一个 canyu 进程（{who_zh}）正在写入此工作区；请在它结束后重试",
            pid=pid,
            since=since,
        )


class SharedLock:
    """A lock many holders share (readers) and one may take alone (garbage collection)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for life
        self._mode = 0

    def share(self) -> None:
        """Hold the lock shared (waits only while someone holds it alone, which is brief)."""
        fcntl.flock(self._fh, fcntl.LOCK_SH)
        self._mode = fcntl.LOCK_SH

    def try_alone(self) -> bool:
        """Hold the lock alone if no one else holds it; this holder's shared hold is given up first."""
        if self._mode:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._mode = 0
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._mode = fcntl.LOCK_EX
        return True

    def close(self) -> None:
        if not self._fh.closed:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
