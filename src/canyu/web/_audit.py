"""The audit log: one JSON line per sign-in, import, settings change, key and forget request.

``ROOT/.canyu/audit.jsonl`` (0600), appended under a lock and flushed with fsync, so a
record written before a reply is on disk. Values are data, never formatted into text; a
password or key never reaches it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["AuditLog"]


class AuditLog:
    """Append-only JSON lines under ``root/.canyu``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.path = Path(root) / ".canyu" / "audit.jsonl"
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def record(
        self,
        event: str,
        *,
        user: str | None,
        workspace: str | None = None,
        ip: str | None = None,
        outcome: str = "ok",
        **detail: Any,
    ) -> dict[str, Any]:
        entry = {
            "ts": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "event": event,
            "outcome": outcome,
            "user": user,
            "workspace": workspace,
            "ip": ip,
            **({"detail": detail} if detail else {}),
        }
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        return entry

    def entries(self, *, workspace: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """The latest entries, newest first (optionally of one workspace)."""
        if not self.path.exists():
            return []
        out = []
        for line in reversed(self.path.read_text(encoding="utf-8").splitlines()):
            e = json.loads(line)
            if workspace is None or e.get("workspace") == workspace:
                out.append(e)
                if len(out) >= limit:
                    break
        return out
