"""The loader: sealed spool segments -> the importer -> a checkpoint, idempotent across any crash.

For each run, the sealed segments after the checkpoint are read, mapped to
rows and handed to the importer as Arrow tables (``Workspace.import_batches``:
the same validation, quarantine, accounting and dedupe by ``event_id`` as a
file's). Identity links are imported before events, so new events get their
resolved person at once.

Exactly once, whatever moment a kill -9 comes: every import names its
segment range as its ``source`` (``collector:seg-<first>-<last>``), and the
importer records that source in the store's ``imports`` table *in the same
transaction* as the rows. Only after that is ``checkpoint.json`` advanced (a
file, for the live counts) and the segments deleted. A crash between the two
leaves segments the checkpoint does not cover; the next run (see
:func:`_committed`) finds their range in ``imports``, does not import it again
and takes its counts from there. So a replay stores nothing twice and counts
nothing twice (before this, a replayed group was imported again: its rows
were caught by the dedupe, but the checkpoint counted them as duplicates and
not as loaded). A retried request (same uuids, new frames) is caught by the
importer's dedupe and counted as ``duplicate``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from canyu.collect._events import EVENT_COLUMNS, LINK_COLUMNS, ROW_BUILDERS, Context, load_collect_settings
from canyu.collect._spool import (
    Checkpoint,
    add_minute,
    pending_records,
    read_checkpoint,
    read_frames,
    seal_orphans,
    sealed_segments,
    spool_dir,
    write_checkpoint,
    writer_lock,
)
from canyu.collect._wire import loads, records_of
from canyu.ingest._validate import render_reason

__all__ = [
    "REJECTED_SOURCE",
    "SOURCE_PREFIX",
    "CollectorCounts",
    "LoadResult",
    "collector_counts",
    "import_rows",
    "load_spool",
    "unstored_rejected",
]

#: The ``quarantine.source`` of a body the collector refused with a 400.
REJECTED_SOURCE = "collector:rejected"
_STORED = ".stored.json"  # a kept body already in the store's quarantine

#: The ``imports.source`` of a collector load: ``collector:seg-<first>-<last>`` (12 digits each).
SOURCE_PREFIX = "collector:seg-"


def segment_source(first: int, last: int) -> str:
    return f"{SOURCE_PREFIX}{first:012d}-{last:012d}"


def _parse_source(source: str) -> tuple[int, int] | None:
    rest = source[len(SOURCE_PREFIX) :] if source.startswith(SOURCE_PREFIX) else ""
    a, sep, b = rest.partition("-")
    return (int(a), int(b)) if sep and a.isdigit() and b.isdigit() else None


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
    rejected_stored: int = 0  # refused bodies copied into the store's quarantine


def unstored_rejected(workspace: Path) -> list[Path]:
    """Refused bodies in ``.collect/rejected/`` not yet in the store's quarantine, oldest first."""
    d = Path(workspace) / ".collect" / "rejected"
    if not d.exists():
        return []
    return sorted(p for p in d.iterdir() if p.suffix == ".json" and not p.name.endswith(_STORED))


def _store_rejected(ws: Any, files: list[Path]) -> int:
    """Copy refused bodies into ``quarantine`` (one row each, its reason in both languages), then
    mark their files stored; idempotent: a body's ``batch_id`` is its file's name, and a row whose
    ``batch_id`` is stored already is not added again (a crash before the rename repeats nothing)."""
    import json

    rows = []
    for p in files:
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # half written by a dying server (written to a temp name first, so: foreign)
        message = str(rec.get("reason") or "")
        args = {
            "path": str(rec.get("path") or ""),
            "message": message,
            "message_zh": str(rec.get("reason_zh") or message),
            "type": str(rec.get("type") or ""),
        }
        raw = {
            k: rec.get(k)
            for k in ("received", "path", "content_type", "content_encoding", "user_agent", "bytes")
        }
        # the body as kept (phones and e-mail addresses masked), cut to 64 KB in the store
        if "body" in rec:
            raw["body"] = str(rec["body"])[:65536]
        elif "body_base64" in rec:
            raw["body_base64"] = str(rec["body_base64"])[:65536]
        rows.append(
            {
                "batch_id": f"collector-rejected-{p.stem}",
                "source": REJECTED_SOURCE,
                "table_name": "events",
                "row_number": 1,
                "field": None,
                "value": None,
                "reason": render_reason("collector_rejected", args, "en"),
                "raw": json.dumps(raw, ensure_ascii=False),
                "user_key": None,
                "reason_code": json.dumps({"key": "collector_rejected", "args": args}, ensure_ascii=False),
            }
        )
    if rows:
        table = pa.Table.from_pylist(
            rows, schema=pa.schema([(c, pa.int64() if c == "row_number" else pa.string()) for c in rows[0]])
        )
        with ws.store.transaction() as txn:
            txn.con.register("_canyu_rejected_new", table)
            try:
                txn.append(
                    "quarantine",
                    "SELECT n.* FROM _canyu_rejected_new AS n ANTI JOIN "
                    f"(SELECT batch_id FROM {txn.source('quarantine')} WHERE source = '{REJECTED_SOURCE}') AS o"
                    " ON o.batch_id = n.batch_id",
                )
            finally:
                txn.con.unregister("_canyu_rejected_new")
    for p in files:
        with contextlib.suppress(OSError):
            p.rename(p.with_name(p.stem + _STORED))
    return len(rows)


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


def import_rows(ws: Any, table: str, rows: pa.Table, source: str) -> tuple[int, int, int]:
    """Import ``rows`` (contract column names, text values) into ``table``; (loaded, duplicate, quarantined).

    Through the Arrow ingest source (``Workspace.import_batches``): the importer
    types and validates every value, so a bad one is quarantined with its
    reason, and records ``source`` in ``imports`` in the same transaction.
    """
    r = ws.import_batches(rows, source=source, table=table)
    return r.rows_loaded, r.rows_duplicate, r.rows_quarantined


def _one_publication(ws: Any) -> contextlib.AbstractContextManager[Any]:
    """The store's ``publish_batch()`` when it has one (DuckDB), else nothing (each commit publishes)."""
    batch = getattr(ws.store, "publish_batch", None)
    return batch() if batch is not None else contextlib.nullcontext()


def _table(rows: list[list[Any]], columns: tuple[str, ...]) -> pa.Table:
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table({c: pa.array(list(v), pa.string()) for c, v in zip(columns, cols, strict=True)})


#: (first, last) segment range -> table -> (loaded, duplicate, quarantined)
Committed = dict[tuple[int, int], dict[str, tuple[int, int, int]]]


def _committed(ws: Any, after: int) -> Committed:
    """Segment ranges after ``after`` that the store has committed but the checkpoint does not cover.

    Read from ``imports`` (the filter runs in the engine: sources are zero-padded, so text order is
    segment order). Empty but for a run that follows a crash between commit and checkpoint.

    It reads the published snapshot, which is current here: the loader's own commits publish
    before they return, and opening a workspace republishes a snapshot a crash left behind.
    (The one gap: a crash between commit and publish while another process holds the writer
    lock at the moment the loader opens the workspace; the range is then imported again, its
    rows caught by the dedupe and counted as duplicates.)
    """
    t = ws.table("imports")
    expr = t.filter(
        t.source.startswith(SOURCE_PREFIX) & (t.source > segment_source(after, 10**12 - 1))
    ).select("source", "table_name", "rows_loaded", "rows_duplicate", "rows_quarantined")
    out: Committed = {}
    for r in ws.to_arrow(expr).to_pylist():
        rng = _parse_source(r["source"])
        if rng is None or rng[0] <= after:
            continue
        out.setdefault(rng, {})[r["table_name"]] = (
            int(r["rows_loaded"]),
            int(r["rows_duplicate"]),
            int(r["rows_quarantined"]),
        )
    return out


#: Identity links this process has seen committed, per workspace: not sent to the importer again
#: (it would find them all duplicates, at the cost of a transaction and a snapshot publication).
#: A cache, bounded; losing it only costs that work. It is dropped when the workspace's
#: ``deletions`` grow (a forget request may have removed links it holds).
_KNOWN_LINKS: dict[str, set[tuple[Any, ...]]] = {}
_KNOWN_DELETIONS: dict[str, int] = {}
_KNOWN_LINKS_MAX = 500_000


def _check_link_cache(ws: Any, workspace: Path) -> None:
    n = int(ws.to_arrow(ws.table("deletions").count().name("n").as_table()).column(0)[0].as_py())
    if _KNOWN_DELETIONS.get(str(workspace)) != n:
        _KNOWN_LINKS.pop(str(workspace), None)
        _KNOWN_DELETIONS[str(workspace)] = n


def _new_links(workspace: Path, links: list[list[Any]]) -> list[tuple[Any, ...]]:
    known = _KNOWN_LINKS.get(str(workspace), set())
    return [t for t in dict.fromkeys(map(tuple, links)) if t not in known]


def _remember_links(workspace: Path, links: list[tuple[Any, ...]]) -> None:
    known = _KNOWN_LINKS.setdefault(str(workspace), set())
    if len(known) + len(links) > _KNOWN_LINKS_MAX:
        known.clear()
    known.update(links)


def _map_group(
    todo: list[tuple[int, Path]],
    replay: tuple[int, int] | None,
    max_records: int,
    settings: Any,
    hmac_key: bytes | None,
    contexts: dict[str, Context],
    events: list[list[Any]],
    links: list[list[Any]],
) -> tuple[list[tuple[int, Path]], int, int, str | None]:
    """Take the next group of segments off ``todo`` and map their records into ``events`` and ``links``.

    A group is the committed range ``replay`` exactly when there is one; else segments until
    ``max_records``. Returns (group, records, ignored, when its oldest batch was received).
    """
    group: list[tuple[int, Path]] = []
    records = ignored = 0
    oldest: str | None = None
    while todo and (
        (replay is not None and todo[0][0] <= replay[1])
        or (replay is None and (not group or records < max_records))
    ):
        seq, path = todo.pop(0)
        group.append((seq, path))
        for n, payload in read_frames(path):
            head, _, body = payload.partition(b"\n")
            meta = loads(head)
            if oldest is None:
                oldest = meta.get("received")
            ctx = contexts.get(meta["channel"])
            if ctx is None:
                ctx = contexts[meta["channel"]] = Context(meta["channel"], settings, hmac_key)
            rows = ROW_BUILDERS[meta["fmt"]](records_of(loads(body)), ctx)
            records += n
            events.extend(rows.events)
            links.extend(rows.links)
            ignored += rows.ignored
    return group, records, ignored, oldest


def load_spool(workspace: str | Path, *, max_records: int = 500_000, opened: Any = None) -> LoadResult:
    """Import the workspace's sealed spool segments and advance the checkpoint, exactly once.

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
        rejected = unstored_rejected(ws_path)
        rejected_stored = 0
        if not todo and not rejected:
            return LoadResult(**totals)
        ws = opened
        settings = load_collect_settings(ws_path)
        hmac_key = _hmac_key(ws_path)
        contexts: dict[str, Context] = {}
        gc_was = gc.isenabled()
        try:
            if ws is None:
                ws = canyu.open(str(ws_path))
            rejected_stored = _store_rejected(ws, rejected) if rejected else 0
            # Ranges committed by a run that died before its checkpoint (normally none).
            committed = _committed(ws, cp.loaded_through)
            _check_link_cache(ws, ws_path)
            # Mapping makes a few small objects per event and no cycles: the cyclic collector would
            # only rescan them again and again while a group grows (a third of the mapping's time).
            gc_was = gc.isenabled()
            gc.disable()
            while todo:
                started = time.monotonic()
                events: list[list[Any]] = []
                links: list[list[Any]] = []
                replay = next((rng for rng in committed if rng[0] == todo[0][0]), None)
                group, records, ignored, oldest = _map_group(
                    todo, replay, max_records, settings, hmac_key, contexts, events, links
                )
                new_links = _new_links(ws_path, links)  # one row per link, none known to be stored
                rng = (group[0][0], group[-1][0])
                done = committed.get(rng, {})
                source = segment_source(*rng)
                link_loaded = 0
                loaded = dup = quar = 0
                # One writer connection and one snapshot publication for the group's two imports
                # (each still commits on its own, with its ``imports`` row): the publication copies
                # the database file, the biggest fixed cost of a load.
                with _one_publication(ws):
                    if "identity_links" in done:
                        link_loaded = done["identity_links"][0]
                    elif new_links:
                        link_loaded, _, _ = import_rows(
                            ws, "identity_links", _table([list(t) for t in new_links], LINK_COLUMNS), source
                        )
                    if "events" in done:
                        loaded, dup, quar = done["events"]
                    elif events:
                        loaded, dup, quar = import_rows(ws, "events", _table(events, EVENT_COLUMNS), source)
                now = dt.datetime.now(dt.UTC)
                lag = None
                if oldest:
                    with contextlib.suppress(ValueError):
                        lag = round((now - dt.datetime.fromisoformat(oldest)).total_seconds(), 3)
                minutes = add_minute(
                    cp.minutes,
                    now,
                    loaded=loaded,
                    duplicate=dup,
                    quarantined=quar,
                    ignored=ignored,
                    records=records,
                )
                cp = Checkpoint(
                    loaded_through=rng[1],
                    accepted=cp.accepted + records,
                    loaded=cp.loaded + loaded,
                    duplicate=cp.duplicate + dup,
                    quarantined=cp.quarantined + quar,
                    ignored=cp.ignored + ignored,
                    links_loaded=cp.links_loaded + link_loaded,
                    segments=cp.segments + len(group),
                    last_loaded_at=now.isoformat(timespec="seconds"),
                    last_load={
                        "at": now.isoformat(timespec="milliseconds"),
                        "records": records,
                        "seconds": round(time.monotonic() - started, 3),
                        "lag_s": lag,
                        "replayed": bool(done),
                    },
                    minutes=minutes,
                )
                write_checkpoint(ws_path, cp)  # the import has committed: these segments are done
                _remember_links(ws_path, new_links)
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
            if gc_was:
                gc.enable()
            if ws is not None and opened is None:
                ws.close()
    return LoadResult(**totals, rejected_stored=rejected_stored)


@dataclass(frozen=True)
class CollectorCounts:
    """A workspace's collector figures, as the console shows them.

    ``accepted`` records were acknowledged (spooled); of those ``pending`` wait
    for the loader and the rest were ``loaded``, ``duplicate`` (a retry or a
    replay), ``quarantined`` by the importer, or ``ignored`` (profile updates,
    SDK housekeeping, identity events, which become ``links_loaded``).
    ``rejected`` bodies were refused with a 400, kept in ``.collect/rejected/`` and copied by the
    loader into the store's ``quarantine`` (source ``collector:rejected``).
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
