"""The console's view of the workspaces under a root: names, open handles, a results cache.

Every number a page shows comes from the workspace's analysis session (the same
``session.run`` / ``session.findings`` the CLI and the report call). Results are cached
per workspace *data version* — the published snapshot (DuckDB) or ``_state.json`` (Spark)
and ``canyu.toml`` (size and mtime) — so a page is computed once per import or settings
change and served from memory after that; an import or a settings change gives a new
version, and the next request recomputes.

One DuckDB connection must not run two queries at once, so each workspace's handle is
used under its own lock; different workspaces compute in parallel.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import ibis

import canyu
from canyu.config import CONFIG_FILE
from canyu.workspace import Workspace

__all__ = ["Headline", "WorkspaceView", "Workspaces", "headline", "latest_plan"]

T = TypeVar("T")
_NAME_RE = re.compile(r"^[^./\\][^/\\]{0,200}$")


@dataclass(frozen=True)
class Headline:
    """The KPIs of a workspace's period: events, people, conversions and who converted."""

    events: int
    people: int
    conversions: int
    converters: int
    value: float
    first: Any
    last: Any
    channels: list[dict[str, Any]]


def headline(session: Any) -> Headline:
    """Headline KPIs of ``session`` in one engine query, plus one grouped by channel."""
    ev = session.events()
    conv = ev.action.isin(list(session.conversion_actions))
    total = session.to_pandas(
        ev.aggregate(
            events=ev.count(),
            people=ev.person_id.nunique(),
            conversions=ev.count(where=conv),
            converters=ev.person_id.nunique(where=conv),
            value=ev.value.sum(where=conv),
            first=ev.ts.min(),
            last=ev.ts.max(),
        )
    ).iloc[0]
    by_channel = session.to_pandas(
        ev.group_by("channel")
        .aggregate(
            events=ev.count(),
            people=ev.person_id.nunique(),
            conversions=ev.count(where=conv),
            converters=ev.person_id.nunique(where=conv),
        )
        .order_by(ibis.desc("events"))
    )

    def _int(v: Any) -> int:
        return 0 if v is None or v != v else int(v)

    return Headline(
        events=_int(total["events"]),
        people=_int(total["people"]),
        conversions=_int(total["conversions"]),
        converters=_int(total["converters"]),
        value=0.0 if total["value"] is None or total["value"] != total["value"] else float(total["value"]),
        first=None if total["first"] is None or total["first"] != total["first"] else total["first"],
        last=None if total["last"] is None or total["last"] != total["last"] else total["last"],
        channels=[
            {k: (int(v) if k != "channel" else v) for k, v in r.items()}
            for r in by_channel.to_dict("records")
        ],
    )


def latest_plan(path: Path) -> tuple[Path, Any] | None:
    """The newest ``plans/*.json`` of a workspace and its content, or None."""
    folder = path / "plans"
    if not folder.is_dir():
        return None
    files = sorted(folder.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    if not files:
        return None
    try:
        return files[-1], json.loads(files[-1].read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return files[-1], {"error": str(exc)}


class WorkspaceView:
    """One workspace: its handle (reopened when canyu.toml changes) and its lock."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self.lock = threading.RLock()
        self._ws: Workspace | None = None
        self._config_stamp: tuple[int, int] | None = None

    def _stamp(self, p: Path) -> tuple[int, int]:
        try:
            st = p.stat()
        except FileNotFoundError:
            return (0, 0)
        return (st.st_mtime_ns, st.st_size)

    def version(self) -> tuple[Any, ...]:
        """Changes whenever committed data or settings change."""
        return (
            self._stamp(self.path / "canyu.snapshot.duckdb"),
            self._stamp(self.path / "spark" / "_state.json"),
            self._stamp(self.path / CONFIG_FILE),
        )

    @contextlib.contextmanager
    def workspace(self) -> Iterator[Workspace]:
        """The open workspace, held under this view's lock."""
        with self.lock:
            stamp = self._stamp(self.path / CONFIG_FILE)
            if self._ws is None or stamp != self._config_stamp:
                if self._ws is not None:
                    self._ws.close()
                self._ws = canyu.open(str(self.path))
                self._config_stamp = stamp
            yield self._ws

    def close(self) -> None:
        with self.lock:
            if self._ws is not None:
                self._ws.close()
                self._ws = None


class Workspaces:
    """Every workspace under ``root`` (a sub-folder holding canyu.toml) and a bounded results cache."""

    def __init__(self, root: Path, *, cache_entries: int = 512) -> None:
        self.root = Path(root)
        self._views: dict[str, WorkspaceView] = {}
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.cache_entries = cache_entries
        self.hits = 0
        self.misses = 0

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if _NAME_RE.match(p.name) and (p / CONFIG_FILE).is_file()
        )

    def view(self, name: str) -> WorkspaceView | None:
        """The workspace called ``name`` (an exact folder name under the root), or None."""
        if not _NAME_RE.match(name or "") or name not in self.names():
            return None
        with self._lock:
            v = self._views.get(name)
            if v is None:
                v = self._views[name] = WorkspaceView(name, self.root / name)
            return v

    def cached(self, view: WorkspaceView, key: tuple[Any, ...], compute: Callable[[Workspace], T]) -> T:
        """``compute(ws)`` for this data version of ``view``, from the cache when already computed."""
        full = (view.name, view.version(), *key)
        with self._lock:
            if full in self._cache:
                self._cache.move_to_end(full)
                self.hits += 1
                return self._cache[full]  # type: ignore[no-any-return]
        with view.workspace() as ws:
            with self._lock:  # computed by another request while this one waited for the lock
                if full in self._cache:
                    self.hits += 1
                    return self._cache[full]  # type: ignore[no-any-return]
            value = compute(ws)
            self.misses += 1
        with self._lock:
            self._cache[full] = value
            while len(self._cache) > self.cache_entries:
                self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        for v in list(self._views.values()):
            v.close()
