"""Every error canyu raises on purpose.

One root, :class:`CanyuError`; subclasses carry their details as attributes so
callers (the CLI, the HTTP server, a notebook) can act on them, and each one
renders a message in English or Chinese.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "CanyuError",
    "ConfigError",
    "EngineError",
    "IngestError",
    "MappingError",
    "PrivacyError",
    "UnknownNameError",
    "WorkspaceBusyError",
    "WorkspaceError",
]


class CanyuError(Exception):
    """Root of canyu's errors. ``message_zh`` is the Chinese rendering."""

    def __init__(self, message: str, *, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message

    def localized(self, locale: str) -> str:
        """The message in ``locale`` (``zh-CN`` or ``en``)."""
        return self.message_zh if locale.lower().startswith("zh") else self.message


class WorkspaceError(CanyuError):
    """A workspace is missing, already exists, or is damaged."""

    def __init__(self, message: str, *, path: str, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.path = path


class ConfigError(CanyuError):
    """canyu.toml (or another settings file) holds a bad value."""

    def __init__(self, message: str, *, path: str, key: str, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.path = path
        self.key = key


class UnknownNameError(CanyuError):
    """A name (table, engine, model, mapping, scenario...) that is not registered."""

    def __init__(self, kind: str, name: str, valid: Sequence[str]) -> None:
        import difflib

        close = difflib.get_close_matches(name, list(valid), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        hint_zh = f"；是否想用 {close[0]!r}？" if close else ""
        choices = ", ".join(sorted(valid))
        super().__init__(
            f"unknown {kind} {name!r}{hint} Valid: {choices}",
            message_zh=f"未知的{kind} {name!r}{hint_zh} 可选：{choices}",
        )
        self.kind = kind
        self.name = name
        self.valid = tuple(valid)
        self.closest = close[0] if close else None


class MappingError(CanyuError):
    """A mapping file is malformed or does not fit the input file."""

    def __init__(
        self, message: str, *, path: str, key: str | None = None, message_zh: str | None = None
    ) -> None:
        super().__init__(f"{path}: {message}", message_zh=f"{path}：{message_zh or message}")
        self.path = path
        self.key = key


class IngestError(CanyuError):
    """An input file cannot be read at all (one bad row is quarantined, not raised).

    Attributes name the file and, where known, the row, field and value.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        row: int | None = None,
        field: str | None = None,
        value: Any = None,
        message_zh: str | None = None,
    ) -> None:
        where = file + (f", row {row}" if row is not None else "") + (f", field {field!r}" if field else "")
        where_zh = (
            file + (f"，第 {row} 行" if row is not None else "") + (f"，字段 {field!r}" if field else "")
        )
        super().__init__(f"{where}: {message}", message_zh=f"{where_zh}：{message_zh or message}")
        self.file = file
        self.row = row
        self.field = field
        self.value = value


class EngineError(CanyuError):
    """The storage engine is unavailable or misconfigured (e.g. Spark without Java)."""


class WorkspaceBusyError(EngineError):
    """Another process holds the workspace's writer lock (``pid`` and ``since`` name it, when known)."""

    def __init__(
        self, message: str, *, pid: int | None, since: str | None, message_zh: str | None = None
    ) -> None:
        super().__init__(message, message_zh=message_zh)
        self.pid = pid
        self.since = since


class PrivacyError(CanyuError):
    """The hashing key is missing or unsafe, or a forget request names nobody."""
