"""The loader: sealed spool segments -> the importer -> a checkpoint.

For each run, the sealed segments after the checkpoint are read, their rows
written as Parquet files in a private temporary folder and imported with
``Workspace.import_files`` (validation, quarantine, accounting and dedupe by
``event_id``: the importer's, not a second one). Only after the import has
committed is the checkpoint advanced (written atomically) and the segments
deleted. A crash before the checkpoint replays the segments on the next run;
the importer finds their events already present and counts them as
duplicates, so a replay adds nothing. Identity links are imported before
events, so new events get their resolved person at once.

:func:`import_rows` is the one call that hands rows to the store; switching
to an Arrow ingest API (``Workspace.import_batches``) changes only it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from canyu.collect._events import EVENT_COLUMNS, LINK_COLUMNS, ROW_BUILDERS, Context, load_collect_settings
from canyu.collect._spool import (
    Checkpoint,
    pending_records,
    read_checkpoint,
    read_frames,
    seal_orphans,
    sealed_segments,
    spool_dir,
    write_checkpoint,
    writer_lock,
)
from canyu.collect._wire import records_of

__all__ = ["CollectorCounts", "LoadResult", "collector_counts", "import_rows", "load_spool"]


@dataclass(frozen=True)
class LoadResult:
    """What one :func:`load_spool` run did."""

    segments: int
    records: int
    loaded: int
    duplicate: int
    quarantined: int
    ignored: int
    links_loaded: int


@contextlib.contextmanager
def _load_lock(workspace: Path) -> Iterator[None]:
    d = spool_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "load.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _hmac_key(workspace: Path) -> bytes | None:
    from canyu.config import load_config
    from canyu.errors import CanyuError
    from canyu.privacy import load_key

    try:
        return load_key(load_config(workspace))
    except CanyuError:
        return None


def import_rows(ws: Any, table: str, rows: pa.Table, tmp: Path, name: str) -> tuple[int, int, int]:
    """Import ``rows`` (contract column names, text values) into ``table``; (loaded, duplicate, quarantined).

    Today through a Parquet file and ``ws.import_files``; the importer types
    and validates every value, so a bad one is quarantined with its reason.
    """
    path = tmp / f"{name}.parquet"
    pq.write_table(rows, path)
    results = ws.import_files([path], table=table)
    return (
        sum(r.rows_loaded for r in results),
        sum(r.rows_duplicate for r in results),
        sum(r.rows_quarantined for r in results),
    )


def _table(rows: list[list[Any]], columns: tuple[str, ...]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table({c: pa.array(list(v), pa.string()) for c, v in zip(columns, cols, strict=True)})


def load_spool(workspace: str | Path, *, max_records: int = 500_000, opened: Any = None) -> LoadResult:
    """Import the workspace's sealed spool segments and advance the checkpoint.

    Safe to call at any time, from any process: runs are serialized by a lock
    file, and a standalone run (no collector holding the writer lock) also
    seals the segments a crashed collector left open. ``max_records`` bounds
    the records imported in one import call; a larger backlog takes several.
    ``opened`` is the workspace already open (the collector's loader keeps it
    open while events keep coming); otherwise it is opened and closed here.

    Examples
    --------
    >>> from canyu.collect import load_spool   # doctest: +SKIP
    >>> load_spool("brand-x").loaded           # doctest: +SKIP
    1200
    """
    import canyu

    ws_path = Path(workspace)
    totals = dict.fromkeys(
        ("segments", "records", "loaded", "duplicate", "quarantined", "ignored", "links_loaded"), 0
    )
    with _load_lock(ws_path):
        with writer_lock(ws_path, blocking=False) as held:
            if held is not None:  # no collector runs: seal what a dead one left open
                seal_orphans(ws_path)
        cp = read_checkpoint(ws_path)
        todo = [(seq, p) for seq, p in sealed_segments(ws_path) if seq > cp.loaded_through]
        stale = [p for seq, p in sealed_segments(ws_path) if seq <= cp.loaded_through]
        for p in stale:  # loaded before a crash that came between checkpoint and delete
            p.unlink(missing_ok=True)
        if not todo:
            return LoadResult(**totals)
        ws = opened
        settings = load_collect_settings(ws_path)
        hmac_key = _hmac_key(ws_path)
        contexts: dict[str, Context] = {}
        try:
            while todo:
                group: list[tuple[int, Path]] = []
                events: list[list[Any]] = []
                links: list[list[Any]] = []
                records = ignored = 0
                while todo and (not group or records < max_records):
                    seq, path = todo.pop(0)
                    group.append((seq, path))
                    for n, payload in read_frames(path):
                        head, _, body = payload.partition(b"\n")
                        meta = json.loads(head)
                        ctx = contexts.get(meta["channel"])
                        if ctx is None:
                            ctx = contexts[meta["channel"]] = Context(meta["channel"], settings, hmac_key)
                        rows = ROW_BUILDERS[meta["fmt"]](records_of(json.loads(body)), ctx)
                        records += n
                        events.extend(rows.events)
                        links.extend(rows.links)
                        ignored += rows.ignored
                links = [list(t) for t in dict.fromkeys(map(tuple, links))]  # one row per link
                if ws is None:
                    ws = canyu.open(str(ws_path))
                base = ws.path / ".tmp"
                base.mkdir(exist_ok=True)
                tmp = Path(tempfile.mkdtemp(prefix="collect-", dir=base))
                try:
                    link_loaded = 0
                    if links:
                        link_loaded, _, _ = import_rows(
                            ws,
                            "identity_links",
                            _table(links, LINK_COLUMNS),
                            tmp,
                            f"links-{group[-1][0]:012d}",
                        )
                    loaded = dup = quar = 0
                    if events:
                        loaded, dup, quar = import_rows(
                            ws, "events", _table(events, EVENT_COLUMNS), tmp, f"events-{group[-1][0]:012d}"
                        )
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
                cp = Checkpoint(
                    loaded_through=group[-1][0],
                    accepted=cp.accepted + records,
                    loaded=cp.loaded + loaded,
                    duplicate=cp.duplicate + dup,
                    quarantined=cp.quarantined + quar,
                    ignored=cp.ignored + ignored,
                    links_loaded=cp.links_loaded + link_loaded,
                    segments=cp.segments + len(group),
                    last_loaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                )
                write_checkpoint(ws_path, cp)  # the import has committed: these segments are done
                for _, p in group:
                    p.unlink(missing_ok=True)
                for k, v in (
                    ("segments", len(group)),
                    ("records", records),
                    ("loaded", loaded),
                    ("duplicate", dup),
                    ("quarantined", quar),
                    ("ignored", ignored),
                    ("links_loaded", link_loaded),
                ):
                    totals[k] += v
        finally:
            if ws is not None and opened is None:
                ws.close()
    return LoadResult(**totals)


@dataclass(frozen=True)
class CollectorCounts:
    """A workspace's collector figures, as the console shows them.

    ``accepted`` records were acknowledged (spooled); of those ``pending`` wait
    for the loader and the rest were ``loaded``, ``duplicate`` (a retry or a
    replay), ``quarantined`` by the importer, or ``ignored`` (profile updates,
    SDK housekeeping, identity events, which become ``links_loaded``).
    ``rejected`` bodies were refused with a 400 and kept in ``.collect/rejected/``.
    """

    workspace: str
    accepted: int
    pending: int
    loaded: int
    duplicate: int
    quarantined: int
    ignored: int
    links_loaded: int
    rejected: int
    last_loaded_at: str | None

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def collector_counts(workspace: str | Path) -> CollectorCounts:
    """Live counts of a workspace's collector, from its spool and checkpoint (any process may call it)."""
    ws = Path(workspace)
    cp = read_checkpoint(ws)
    pending = pending_records(ws)
    rejected_dir = ws / ".collect" / "rejected"
    rejected = sum(1 for p in rejected_dir.iterdir() if p.suffix == ".json") if rejected_dir.exists() else 0
    return CollectorCounts(
        workspace=str(ws),
        accepted=cp.accepted + pending,
        pending=pending,
        loaded=cp.loaded,
        duplicate=cp.duplicate,
        quarantined=cp.quarantined,
        ignored=cp.ignored,
        links_loaded=cp.links_loaded,
        rejected=rejected,
        last_loaded_at=cp.last_loaded_at,
    )
