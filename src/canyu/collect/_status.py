"""The collector's status per workspace, for the console: flows in the last minute and hour, the spool, the lag.

Two writers feed it, each in its own file, so any process can read it while
the collector runs (counts are kept in 10-second buckets for an hour and more):

- the server counts the requests that named the workspace's key
  and writes ``<workspace>/.collect/live.json`` about once a second
  (:class:`LiveCounts`): ``requests``, ``received`` (records in decodable
  bodies), ``acknowledged`` (records fsynced to the spool and answered 2xx),
  ``rejected`` (bodies refused with a 400 and kept), ``failed`` (records
  refused with a 5xx, for the sender to retry);
- the loader adds what each load did to ``checkpoint.json``
  (``loaded``, ``duplicate``, ``quarantined``, ``ignored``, ``records``).

Every acknowledged record was spooled before its 2xx, so "spooled" as a flow
equals ``acknowledged``; ``spooled`` in the status is the level: records in
the spool now, not yet loaded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from canyu.collect._spool import (
    add_minute,
    minute_of,
    oldest_pending,
    pending_records,
    read_checkpoint,
    sealed_segments,
    sum_minutes,
)

__all__ = ["LIVE_FILE", "LiveCounts", "collector_status", "read_live"]

LIVE_FILE = "live.json"
#: The server rewrites live.json about once a second; older than this, it is taken as not running.
RUNNING_WITHIN_S = 10.0
FLOW_SERVER = ("requests", "received", "acknowledged", "rejected", "failed")
FLOW_LOADER = ("loaded", "duplicate", "quarantined", "ignored")


def _live_path(workspace: Path) -> Path:
    return Path(workspace) / ".collect" / LIVE_FILE


class LiveCounts:
    """A server's request counts of one workspace (thread-safe), and their file."""

    def __init__(self, workspace: Path) -> None:
        self.workspace = Path(workspace)
        self._lock = threading.Lock()
        prior = read_live(self.workspace)  # a restarted server goes on counting the same minutes
        self.minutes: dict[str, dict[str, int]] = dict(prior.get("minutes", {})) if prior else {}
        self._dirty = True

    def add(self, **counts: int) -> None:
        """Add to the current bucket (in place: this runs once per request)."""
        key = str(minute_of(time.time()))
        with self._lock:
            bucket = self.minutes.get(key)
            if bucket is None:  # a new bucket: drop the old ones once, here
                self.minutes = add_minute(self.minutes, time.time())
                bucket = self.minutes.setdefault(key, {})
            for k, v in counts.items():
                bucket[k] = bucket.get(k, 0) + v
            self._dirty = True

    def snapshot(self) -> dict[str, dict[str, int]]:
        """A copy of the buckets (bucket start -> counts)."""
        with self._lock:
            return {k: dict(v) for k, v in self.minutes.items()}

    def write(self, *, force: bool = False) -> None:
        """Rewrite ``live.json`` atomically (a heartbeat: also when nothing changed)."""
        with self._lock:
            text = json.dumps(
                {
                    "updated": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                    "pid": os.getpid(),
                    "minutes": self.minutes,
                },
                separators=(",", ":"),
            )
            self._dirty = False
        path = _live_path(self.workspace)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{LIVE_FILE}.{os.getpid()}.tmp")
        # No fsync: a heartbeat of counts, not data; losing the last second of it in a crash is fine.
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)


def read_live(workspace: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(_live_path(workspace).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def recent_rejected(workspace: Path, limit: int = 10) -> list[dict[str, Any]]:
    """The newest bodies refused with a 400 (kept in ``.collect/rejected/``): when, where, why; no body."""
    d = Path(workspace) / ".collect" / "rejected"
    if not d.exists():
        return []
    names = sorted((p for p in d.iterdir() if p.suffix == ".json"), key=lambda p: p.name, reverse=True)
    out = []
    for p in names[:limit]:
        try:
            rec = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append(
            {"file": p.name} | {k: rec.get(k) for k in ("received", "path", "type", "reason", "bytes")}
        )
    return out


def _window(
    server: dict[str, dict[str, int]], loader: dict[str, dict[str, int]], now: float, span: int
) -> dict[str, int]:
    s, ld = sum_minutes(server, now, span), sum_minutes(loader, now, span)
    return {k: s.get(k, 0) for k in FLOW_SERVER} | {k: ld.get(k, 0) for k in FLOW_LOADER}


def collector_status(
    workspace: str | os.PathLike[str],
    *,
    live: dict[str, dict[str, int]] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """A workspace's collector status as JSON-ready data (any process may call it while the collector runs).

    Parameters
    ----------
    workspace
        The workspace folder.
    live
        The server's bucketed counts when the caller is the server itself
        (fresher than ``live.json``); None reads the file.
    now
        The time (epoch seconds) the windows end at; None: now.

    Returns
    -------
    dict
        ``workspace``, ``at``; ``collector_running`` (a server wrote its counts in the last
        10 s) and ``updated``; ``last_minute`` and ``last_hour``: ``requests``, ``received``,
        ``acknowledged``, ``rejected`` (bodies), ``failed`` (5xx records), ``loaded``,
        ``duplicate``, ``quarantined``, ``ignored`` (records, in the last 60 s / 3,600 s, to
        10 s); ``spooled`` (records waiting in the
        spool now) and ``spooled_segments``; ``loader_lag_s`` (seconds since the oldest batch
        still waiting was received; 0 when none waits); ``last_load`` (``at``, ``records``,
        ``seconds``, ``lag_s``: from the oldest batch's arrival to its commit); ``rejected_recent``
        (the newest 10 bodies refused with a 400: ``received``, ``path``, ``type``, ``reason``,
        ``bytes``, ``file`` in ``.collect/rejected/``); ``totals``
        (:func:`canyu.collect.collector_counts`).

    Examples
    --------
    >>> from canyu.collect import collector_status    # doctest: +SKIP
    >>> collector_status("clients/brand-x")["last_minute"]["acknowledged"]  # doctest: +SKIP
    1200
    """
    from canyu.collect._loader import collector_counts

    ws = Path(workspace)
    t = time.time() if now is None else now
    cp = read_checkpoint(ws)
    file = read_live(ws)
    server = live if live is not None else (file or {}).get("minutes", {})
    updated = (file or {}).get("updated")
    running = live is not None
    if not running and isinstance(updated, str):
        try:
            age = t - dt.datetime.fromisoformat(updated).timestamp()
        except ValueError:
            age = float("inf")
        running = age <= RUNNING_WITHIN_S
    pending = pending_records(ws)
    oldest = oldest_pending(ws) if pending else None
    lag = 0.0
    if oldest is not None:
        try:
            lag = max(0.0, round(t - dt.datetime.fromisoformat(oldest).timestamp(), 3))
        except ValueError:
            lag = 0.0
    return {
        "workspace": ws.name,
        "at": dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds"),
        "collector_running": running,
        "updated": updated,
        "last_minute": _window(server, cp.minutes, t, 60),
        "last_hour": _window(server, cp.minutes, t, 3600),
        "spooled": pending,
        "spooled_segments": sum(1 for seq, _ in sealed_segments(ws) if seq > cp.loaded_through),
        "loader_lag_s": lag,
        "last_load": cp.last_load,
        "rejected_recent": recent_rejected(ws),
        "totals": collector_counts(ws).to_dict(),
    }
