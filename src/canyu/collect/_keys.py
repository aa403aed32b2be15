"""Ingest keys: public, per-workspace keys that can only send events.

A key is ``cyik_`` + 32 hex digits (128 random bits). It is shown once, when
created; the workspace keeps only its SHA-256 in ``<workspace>/.collect/keys.json``
(a slow password hash buys nothing for a random 128-bit secret). The key's
shape is also a valid Sensors Data project name (``[a-zA-Z_$][a-zA-Z0-9_$]*``),
so a Sensors sender can use it as ``?project=`` or as its ``$token``; a key may
in addition claim a Sensors project alias (the name an existing deployment
already sends).

:class:`KeyIndex` maps every key of every workspace under a root to its
workspace, so the collector decides the workspace from the key alone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from canyu import vocab
from canyu.errors import CollectError, UnknownNameError

__all__ = [
    "IngestKey",
    "KeyIndex",
    "collect_dir",
    "create_ingest_key",
    "list_ingest_keys",
    "revoke_ingest_key",
]

KEY_PREFIX = "cyik_"
_KEY_RE = re.compile(r"^cyik_[0-9a-f]{32}$")
_PROJECT_RE = re.compile(r"^[a-zA-Z_$][a-zA-Z0-9_$]{0,99}$")


def collect_dir(workspace: Path) -> Path:
    """The collector's private folder of a workspace (keys, spool, checkpoints, rejected bodies)."""
    return Path(workspace) / ".collect"


def _keys_file(workspace: Path) -> Path:
    return collect_dir(workspace) / "keys.json"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IngestKey:
    """One ingest key as stored (never the key itself).

    ``channel`` is the channel its events happen on (``web`` for H5 pages,
    ``mini_program`` for a mini program); ``project`` an optional Sensors
    project alias.
    """

    key_id: str
    label: str
    prefix: str
    created: str
    channel: str = "web"
    project: str | None = None
    revoked: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def _locked(workspace: Path) -> Iterator[None]:
    d = collect_dir(workspace)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "keys.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read(workspace: Path) -> list[dict[str, Any]]:
    path = _keys_file(workspace)
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data.get("keys", []))


def _write(workspace: Path, keys: list[dict[str, Any]]) -> None:
    path = _keys_file(workspace)
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump({"version": 1, "keys": keys}, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _public(record: dict[str, Any]) -> IngestKey:
    return IngestKey(**{k: v for k, v in record.items() if k != "hash"})


def _require_workspace(workspace: Path) -> None:
    from canyu.config import CONFIG_FILE
    from canyu.errors import WorkspaceError

    if not (Path(workspace) / CONFIG_FILE).exists():
        raise WorkspaceError(
            f"{workspace} is not a canyu workspace (no {CONFIG_FILE})",
            message_zh=f"{workspace} 不是 canyu 工作区（缺少 {CONFIG_FILE}）",
            path=str(workspace),
        )


def create_ingest_key(
    workspace: str | os.PathLike[str], label: str, *, channel: str = "web", project: str | None = None
) -> str:
    """Create an ingest key for ``workspace`` and return it (shown only this once).

    Parameters
    ----------
    workspace
        The workspace folder.
    label
        What the key is for ("H5 活动页", "mini program").
    channel
        The channel its events happen on (a code of ``canyu.vocab.CHANNELS``).
    project
        A Sensors Data project name this key also answers to (must be unused
        by the workspace's other active keys; the collector refuses a name
        claimed by two workspaces).

    Examples
    --------
    >>> key = create_ingest_key("brand-x", "H5 landing pages")  # doctest: +SKIP
    >>> key[:5]                                                  # doctest: +SKIP
    'cyik_'
    """
    ws = Path(workspace)
    _require_workspace(ws)
    if channel not in vocab.CHANNELS:
        raise UnknownNameError("channel", channel, tuple(vocab.CHANNELS))
    if project is not None and not _PROJECT_RE.match(project):
        raise CollectError(
            f"{project!r} is not a Sensors project name (letters, digits, _ and $, not starting with a digit)",
            message_zh=f"{project!r} 不是有效的神策项目名（字母、数字、_ 和 $，不能以数字开头）",
            status=400,
            type="bad_project",
        )
    key = KEY_PREFIX + secrets.token_hex(16)
    with _locked(ws):
        keys = _read(ws)
        if project is not None and any(k.get("project") == project and not k.get("revoked") for k in keys):
            raise CollectError(
                f"the project name {project!r} is already used by another key of this workspace",
                message_zh=f"项目名 {project!r} 已被本工作区的另一个密钥使用",
                status=409,
                type="project_taken",
            )
        record = asdict(
            IngestKey(
                key_id="ik_" + secrets.token_hex(4),
                label=label,
                prefix=key[:9],
                created=_now(),
                channel=channel,
                project=project,
            )
        )
        record["hash"] = key_hash(key)
        keys.append(record)
        _write(ws, keys)
    return key


def list_ingest_keys(workspace: str | os.PathLike[str]) -> list[IngestKey]:
    """The workspace's ingest keys (active and revoked), oldest first."""
    return [_public(r) for r in _read(Path(workspace))]


def revoke_ingest_key(workspace: str | os.PathLike[str], key_id: str) -> IngestKey:
    """Revoke a key by its id (``ik_...``) or the key itself; a running collector refuses it within seconds."""
    ws = Path(workspace)
    with _locked(ws):
        keys = _read(ws)
        for r in keys:
            if key_id in (r["key_id"], r.get("prefix")) or (
                _KEY_RE.match(key_id) and r["hash"] == key_hash(key_id)
            ):
                if not r.get("revoked"):
                    r["revoked"] = _now()
                    _write(ws, keys)
                return _public(r)
    raise UnknownNameError("ingest key", key_id, [r["key_id"] for r in keys])


@dataclass(frozen=True)
class KeyMatch:
    """What a key (or Sensors project name) resolved to."""

    workspace: Path
    key: IngestKey


class KeyIndex:
    """Every active ingest key under ``root`` -> its workspace, refreshed as keys.json files change.

    Lookups re-scan the root at most every ``refresh_s`` seconds (a stat of
    each workspace's keys.json), so keys created or revoked while the
    collector runs take effect within that time.
    """

    def __init__(self, root: Path, *, refresh_s: float = 1.0) -> None:
        self.root = Path(root)
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._stamp: dict[Path, float] = {}
        self._by_hash: dict[str, KeyMatch] = {}
        self._by_project: dict[str, KeyMatch | None] = {}  # None: claimed by two workspaces
        self._scanned = 0.0
        self._scan()

    def workspaces(self) -> list[Path]:
        """Workspaces under the root (folders holding canyu.toml), sorted."""
        from canyu.config import CONFIG_FILE

        if not self.root.exists():
            return []
        return sorted(p for p in self.root.iterdir() if (p / CONFIG_FILE).exists())

    def _scan(self) -> None:
        stamps: dict[Path, float] = {}
        for ws in self.workspaces():
            f = _keys_file(ws)
            with contextlib.suppress(FileNotFoundError):
                stamps[ws] = f.stat().st_mtime_ns
        if stamps != self._stamp:
            by_hash: dict[str, KeyMatch] = {}
            by_project: dict[str, KeyMatch | None] = {}
            for ws in stamps:
                try:
                    records = _read(ws)
                except (OSError, ValueError):
                    continue
                for r in records:
                    if r.get("revoked"):
                        continue
                    m = KeyMatch(ws, _public(r))
                    by_hash[r["hash"]] = m
                    if r.get("project"):
                        prev = by_project.get(r["project"], m)
                        by_project[r["project"]] = m if prev is m or prev == m else None
            self._by_hash, self._by_project, self._stamp = by_hash, by_project, stamps
        self._scanned = time.monotonic()

    def _fresh(self) -> None:
        if time.monotonic() - self._scanned >= self.refresh_s:
            with self._lock:
                if time.monotonic() - self._scanned >= self.refresh_s:
                    self._scan()

    def lookup(self, key: str | None) -> KeyMatch | None:
        """The workspace of an ingest key, or None for an unknown or revoked key."""
        if not key or not _KEY_RE.match(key):
            return None
        self._fresh()
        return self._by_hash.get(key_hash(key))

    def lookup_project(self, name: str | None) -> KeyMatch | None:
        """A Sensors project name: an ingest key itself, or a key's project alias (unambiguous only)."""
        if not name:
            return None
        if _KEY_RE.match(name):
            return self.lookup(name)
        self._fresh()
        return self._by_project.get(name)
