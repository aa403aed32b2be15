"""The spool: an append-only, fsynced log of accepted batches, per workspace.

Layout under ``<workspace>/.collect/spool/``::

    seg-000000000042.open   the segment being appended to (one writer: writer.lock)
    seg-000000000041.log    sealed segments, waiting for the loader
    checkpoint.json         the last loaded segment and the running counts

A segment is a sequence of frames ``magic "CYSP" | u32 length | u32 crc32 | u32
records | payload`` (little endian), each payload one accepted request: a JSON
header line (format, key id, channel, time) and the body's JSON as received. A batch is
acknowledged only after its frame is on disk (``fdatasync``); requests that
arrive while a sync runs are written together and share the next sync (group
commit), so one sync acknowledges many requests.

A crash can leave a torn frame at the end of the ``.open`` segment (never
acknowledged): readers stop at the first frame whose length runs past the
end of the file and skip a frame whose checksum fails. At start the writer
seals whatever ``.open`` segment a dead writer left, and starts a new one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import queue
import re
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "BUCKET_S",
    "Checkpoint",
    "SpoolWriter",
    "add_minute",
    "minute_of",
    "oldest_pending",
    "pending_records",
    "read_checkpoint",
    "read_frames",
    "seal_orphans",
    "sealed_segments",
    "spool_dir",
    "sum_minutes",
    "write_checkpoint",
]

MAGIC = b"CYSP"
_HEADER = struct.Struct("<4sIII")
_SEG_RE = re.compile(r"^seg-(\d{12})\.(open|log)$")


def spool_dir(workspace: Path) -> Path:
    return Path(workspace) / ".collect" / "spool"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _segments(d: Path) -> list[tuple[int, str, Path]]:
    out = []
    if d.exists():
        for p in d.iterdir():
            m = _SEG_RE.match(p.name)
            if m:
                out.append((int(m.group(1)), m.group(2), p))
    return sorted(out)


def sealed_segments(workspace: Path) -> list[tuple[int, Path]]:
    """Sealed segments (``.log``) in order."""
    return [(seq, p) for seq, kind, p in _segments(spool_dir(workspace)) if kind == "log"]


def frame(payload: bytes, records: int) -> bytes:
    return _HEADER.pack(MAGIC, len(payload), zlib.crc32(payload), records) + payload


def read_frames(path: Path, *, headers_only: bool = False) -> Iterator[tuple[int, bytes]]:
    """(records, payload) of every intact frame; stops at a torn tail, skips a frame whose checksum fails."""
    with open(path, "rb") as fh:
        data = fh.read() if not headers_only else b""
        if headers_only:
            size = os.fstat(fh.fileno()).st_size
            pos = 0
            while pos + _HEADER.size <= size:
                fh.seek(pos)
                magic, length, _crc, records = _HEADER.unpack(fh.read(_HEADER.size))
                if magic != MAGIC or pos + _HEADER.size + length > size:
                    return
                yield records, b""
                pos += _HEADER.size + length
            return
    pos = 0
    while pos + _HEADER.size <= len(data):
        magic, length, crc, records = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + length
        if magic != MAGIC or end > len(data):
            return  # a torn tail: never acknowledged
        payload = data[pos + _HEADER.size : end]
        if zlib.crc32(payload) == crc:
            yield records, payload
        pos = end


def _valid_length(path: Path) -> int:
    """Bytes up to the end of the last complete frame."""
    with open(path, "rb") as fh:
        data = fh.read()
    pos = 0
    while pos + _HEADER.size <= len(data):
        magic, length, _crc, _n = _HEADER.unpack_from(data, pos)
        if magic != MAGIC or pos + _HEADER.size + length > len(data):
            break
        pos += _HEADER.size + length
    return pos


@contextlib.contextmanager
def writer_lock(workspace: Path, *, blocking: bool) -> Iterator[IO[str] | None]:
    """The single-writer lock of a workspace's spool (None when another process holds it)."""
    d = spool_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    fh = open(d / "writer.lock", "a")  # noqa: SIM115  # held across the yield, closed below
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.close()
            yield None
            return
        yield fh
    finally:
        fh.close()


def seal_orphans(workspace: Path) -> int:
    """Seal ``.open`` segments a dead writer left (cut at the last whole frame); call holding the writer lock."""
    d = spool_dir(workspace)
    n = 0
    for _seq, kind, p in _segments(d):
        if kind != "open":
            continue
        good = _valid_length(p)
        if good == 0:
            p.unlink()
            continue
        if good < p.stat().st_size:
            with open(p, "r+b") as fh:
                fh.truncate(good)
                os.fsync(fh.fileno())
        os.replace(p, p.with_suffix(".log"))
        n += 1
    if n:
        _fsync_dir(d)
    return n


@dataclass
class Checkpoint:
    """Loaded through segment ``loaded_through``; running counts of what the loader did."""

    loaded_through: int = -1
    accepted: int = 0  # records in loaded segments
    loaded: int = 0
    duplicate: int = 0
    quarantined: int = 0
    ignored: int = 0
    links_loaded: int = 0
    segments: int = 0
    last_loaded_at: str | None = None
    last_load: dict[str, Any] | None = (
        None  # the last load: at, records, seconds, lag_s (oldest frame -> commit)
    )
    minutes: dict[str, dict[str, int]] = field(default_factory=dict)  # bucket start -> counts (BUCKET_S)


#: Counts are kept in buckets of this many seconds ...
BUCKET_S = 10
#: ... for this long (the status shows the last minute and the last hour).
KEEP_S = 3700


def minute_of(t: dt.datetime | float) -> int:
    """The epoch second that starts ``t``'s bucket (:data:`BUCKET_S` seconds)."""
    ts = t.timestamp() if isinstance(t, dt.datetime) else t
    return int(ts // BUCKET_S) * BUCKET_S


def add_minute(
    minutes: dict[str, dict[str, int]], now: dt.datetime | float, **counts: int
) -> dict[str, dict[str, int]]:
    """``minutes`` (bucket start -> counts) with ``counts`` added to ``now``'s bucket; buckets older
    than :data:`KEEP_S` dropped."""
    m = minute_of(now)
    out = {k: dict(v) for k, v in minutes.items() if int(k) > m - KEEP_S}
    bucket = out.setdefault(str(m), {})
    for k, v in counts.items():
        bucket[k] = bucket.get(k, 0) + int(v)
    return out


def sum_minutes(minutes: dict[str, dict[str, int]], now: dt.datetime | float, span_s: int) -> dict[str, int]:
    """Counts of the last ``span_s`` seconds (to a bucket: the current bucket and the ones before it)."""
    m = minute_of(now)
    out: dict[str, int] = {}
    for k, bucket in minutes.items():
        if m - span_s < int(k) <= m:
            for name, v in bucket.items():
                out[name] = out.get(name, 0) + v
    return out


def read_checkpoint(workspace: Path) -> Checkpoint:
    path = spool_dir(workspace) / "checkpoint.json"
    if not path.exists():
        return Checkpoint()
    known = Checkpoint.__dataclass_fields__
    data = json.loads(path.read_text(encoding="utf-8"))
    return Checkpoint(**{k: v for k, v in data.items() if k in known})


def write_checkpoint(workspace: Path, cp: Checkpoint) -> None:
    """Write the checkpoint atomically (temp file, fsync, rename, fsync of the folder)."""
    d = spool_dir(workspace)
    tmp = d / "checkpoint.json.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(asdict(cp), fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, d / "checkpoint.json")
    _fsync_dir(d)


class SpoolWriter:
    """Appends batches to a workspace's spool with group commit, from one thread.

    :meth:`submit` returns a future that completes once the batch is durable.
    The writer holds ``writer.lock`` for its life, so two collectors can never
    append to one spool.

    Parameters
    ----------
    workspace
        The workspace folder.
    segment_bytes
        A segment is sealed once it grows past this size.
    """

    def __init__(self, workspace: Path, *, segment_bytes: int = 16 * 1024 * 1024) -> None:
        self.workspace = Path(workspace)
        self.dir = spool_dir(self.workspace)
        self.dir.mkdir(parents=True, exist_ok=True)
        for d in (self.dir.parent, self.dir):  # bodies wait here as received: owner only
            os.chmod(d, 0o700)
        self.segment_bytes = segment_bytes
        self._lock_cm = writer_lock(self.workspace, blocking=False)
        held = self._lock_cm.__enter__()
        if held is None:
            self._lock_cm.__exit__(None, None, None)
            from canyu.errors import CollectError

            raise CollectError(
                f"another collector is writing to {self.dir}",
                message_zh=f"另一个采集服务正在写入 {self.dir}",
                status=503,
                type="spool_busy",
            )
        seal_orphans(self.workspace)
        segs = _segments(self.dir)
        self._seq = (segs[-1][0] if segs else read_checkpoint(self.workspace).loaded_through) + 1
        self._fd: int | None = None
        self._size = 0
        self._records_open = 0
        self._queue: queue.SimpleQueue[tuple[bytes, int, Future[None]] | None] = queue.SimpleQueue()
        self._seal_requests: list[Future[None]] = []
        self._seal_lock = threading.Lock()
        self.syncs = 0
        self.appended_records = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"spool-{self.workspace.name}", daemon=True)
        self._thread.start()

    # -- API -----------------------------------------------------------------
    def submit(self, payload: bytes, records: int) -> Future[None]:
        fut: Future[None] = Future()
        if self._closed:
            fut.set_exception(RuntimeError("the spool writer is closed"))
            return fut
        self._queue.put((payload, records, fut))
        return fut

    def seal(self) -> Future[None]:
        """Seal the open segment (if it holds anything) after what is queued now; the future completes after."""
        fut: Future[None] = Future()
        with self._seal_lock:
            self._seal_requests.append(fut)
        self._queue.put(None)  # wake the thread
        return fut

    @property
    def pending_open_records(self) -> int:
        return self._records_open

    def close(self) -> None:
        if self._closed:
            return
        self.seal().result(timeout=30)
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._lock_cm.__exit__(None, None, None)

    # -- the writer thread ---------------------------------------------------------
    def _open_segment(self) -> None:
        path = self.dir / f"seg-{self._seq:012d}.open"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = 0
        self._records_open = 0
        _fsync_dir(self.dir)  # the file's name is durable before any frame in it is acknowledged

    def _seal_segment(self) -> None:
        if self._fd is None:
            return
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = None
        path = self.dir / f"seg-{self._seq:012d}.open"
        os.replace(path, path.with_suffix(".log"))
        _fsync_dir(self.dir)
        self._seq += 1
        self._records_open = 0

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            batch: list[tuple[bytes, int, Future[None]]] = []
            stop = False
            while True:
                if item is not None:
                    batch.append(item)
                elif self._closed:
                    stop = True
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            with self._seal_lock:
                seals, self._seal_requests = self._seal_requests, []
            if seals:
                try:
                    self._seal_segment()
                except OSError as exc:
                    for f in seals:
                        f.set_exception(exc)
                else:
                    for f in seals:
                        f.set_result(None)
            if stop:
                return

    def _write(self, batch: list[tuple[bytes, int, Future[None]]]) -> None:
        try:
            if self._fd is None:
                self._open_segment()
            assert self._fd is not None
            data = b"".join(frame(p, n) for p, n, _ in batch)
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fdatasync(self._fd)
            self.syncs += 1
        except OSError as exc:
            for _, _, f in batch:
                f.set_exception(exc)
            return
        records = sum(n for _, n, _ in batch)
        self._size += len(data)
        self._records_open += records
        self.appended_records += records
        for _, _, f in batch:
            f.set_result(None)
        if self._size >= self.segment_bytes:
            with contextlib.suppress(OSError):  # the segment stays open; the next write retries the seal
                self._seal_segment()


def pending_records(workspace: Path) -> int:
    """Records in segments not yet loaded (sealed and open), from frame headers alone."""
    cp = read_checkpoint(workspace)
    total = 0
    for seq, _kind, p in _segments(spool_dir(workspace)):
        if seq <= cp.loaded_through:
            continue
        with contextlib.suppress(FileNotFoundError):
            total += sum(n for n, _ in read_frames(p, headers_only=True))
    return total


def oldest_pending(workspace: Path) -> str | None:
    """When the oldest batch not yet loaded was received (ISO, UTC), from its frame header; None when none waits."""
    cp = read_checkpoint(workspace)
    for seq, _kind, p in _segments(spool_dir(workspace)):
        if seq <= cp.loaded_through:
            continue
        try:
            with open(p, "rb") as fh:
                head = fh.read(_HEADER.size + 512)
        except FileNotFoundError:
            continue  # loaded and deleted meanwhile
        if len(head) < _HEADER.size:
            continue
        magic, length, _crc, _n = _HEADER.unpack_from(head, 0)
        if magic != MAGIC:
            continue
        line = head[_HEADER.size : _HEADER.size + length].partition(b"\n")[0]
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            received = json.loads(line).get("received")
            if isinstance(received, str):
                return received
    return None


def write_rejected(workspace: Path, record: dict[str, Any], *, limit: int = 1000) -> bool:
    """Keep a refused body in ``.collect/rejected/`` (at most ``limit`` files); False when full."""
    d = Path(workspace) / ".collect" / "rejected"
    d.mkdir(parents=True, exist_ok=True)
    if sum(1 for _ in d.iterdir()) >= limit:
        return False
    name = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.urandom(4).hex()}.json"
    tmp = d / (name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, d / name)
    return True
