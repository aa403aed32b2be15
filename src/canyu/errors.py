"""Every error canyu raises on purpose.

One root, :class:`CanyuError`; subclasses carry their details as attributes so
callers (the CLI, the HTTP server, a notebook) can act on them, and each one
renders a message in English or Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "CanyuError",
    "CollectError",
    "ConfigError",
    "EngineError",
    "IngestError",
    "InvalidArgumentError",
    "MappingError",
    "PluginError",
    "PrivacyError",
    "UnknownNameError",
    "WorkspaceBusyError",
    "WorkspaceError",
]

#: At most this many valid choices are spelled out in a message (a cascade id can have thousands).
_MAX_CHOICES = 30


def _jsonable(value: Any) -> Any:
    """``value`` as something :func:`json.dumps` takes: tuples become lists, other objects ``str``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_jsonable(v) for v in items]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def _choices(valid: Sequence[Any]) -> str:
    names = sorted(str(v) for v in valid)
    shown = ", ".join(names[:_MAX_CHOICES])
    return shown + (f", … ({len(names) - _MAX_CHOICES} more)" if len(names) > _MAX_CHOICES else "")


class CanyuError(Exception):
    """Root of canyu's errors. ``message_zh`` is the Chinese rendering.

    Subclasses name the attributes that detail them in ``details_fields``; :meth:`to_dict`
    returns them with the messages in the one JSON shape every front end (CLI ``--json``,
    HTTP) uses.
    """

    #: Attributes that :meth:`to_dict` reports under ``details``.
    details_fields: tuple[str, ...] = ()

    def __init__(self, message: str, *, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message

    def __str__(self) -> str:
        return self.message

    def localized(self, locale: str) -> str:
        """The message in ``locale`` (``zh-CN`` or ``en``)."""
        return self.message_zh if locale.lower().startswith("zh") else self.message

    @property
    def error_type(self) -> str:
        """The error's kind in snake case, without ``Error``: ``invalid_argument``, ``unknown_name``."""
        name = type(self).__name__.removesuffix("Error") or "canyu"
        return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()

    def details(self) -> dict[str, Any]:
        """The attributes named in ``details_fields`` (this class's and its bases'), JSON-ready."""
        fields: list[str] = []
        for cls in reversed(type(self).__mro__):
            for f in getattr(cls, "details_fields", ()) if issubclass(cls, CanyuError) else ():
                if f not in fields:
                    fields.append(f)
        return {f: _jsonable(getattr(self, f, None)) for f in fields}

    def to_dict(self) -> dict[str, Any]:
        """The error as the one JSON shape front ends return.

        Examples
        --------
        >>> InvalidArgumentError("k", 0, ">= 1").to_dict()["error"]["details"]
        {'param': 'k', 'value': 0, 'valid': '>= 1'}
        """
        return {
            "error": {
                "type": self.error_type,
                "message": self.message,
                "message_zh": self.message_zh,
                "details": self.details(),
            }
        }


class WorkspaceError(CanyuError):
    """A workspace is missing, already exists, or is damaged."""

    details_fields = ("path",)

    def __init__(self, message: str, *, path: str, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.path = path


class ConfigError(CanyuError):
    """canyu.toml (or another settings file) holds a bad value."""

    details_fields = ("key", "path")

    def __init__(self, message: str, *, path: str, key: str, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.path = path
        self.key = key


class UnknownNameError(CanyuError, LookupError):
    """A name (table, engine, model, mapping, scenario...) that is not registered."""

    details_fields = ("kind", "name", "valid", "closest")

    def __init__(self, kind: str, name: str, valid: Sequence[str]) -> None:
        import difflib

        close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        hint_zh = f"；是否想用 {close[0]!r}？" if close else "。"
        choices = _choices(valid)
        super().__init__(
            f"unknown {kind} {name!r}{hint} Valid: {choices}",
            message_zh=f"未知的{kind} {name!r}{hint_zh} 可选：{choices}",
        )
        self.kind = kind
        self.name = name
        self.valid = tuple(valid)
        self.closest = close[0] if close else None


class InvalidArgumentError(CanyuError, ValueError):
    """An argument holds a value outside what it accepts (``k=0``, a budget below every cost).

    Parameters
    ----------
    param
        The argument's name, as the caller spelled it (``"k"``, ``"budget"``).
    value
        The value given.
    valid
        What is accepted: a description (``">= 1"``, ``"in (0, 1)"``) or a tuple of choices.
    reason, reason_zh
        A sentence that says more than "must be" (e.g. which seed is the cheapest); replaces the
        default message.

    Examples
    --------
    >>> str(InvalidArgumentError("k", 0, ">= 1"))
    'invalid k: 0; it must be >= 1'
    """

    details_fields = ("param", "value", "valid")

    def __init__(
        self,
        param: str,
        value: Any,
        valid: str | Sequence[Any],
        *,
        reason: str | None = None,
        reason_zh: str | None = None,
    ) -> None:
        if isinstance(valid, str):
            must, must_zh = valid, valid
        else:
            valid = tuple(valid)
            must, must_zh = f"one of {_choices(valid)}", f"以下之一：{_choices(valid)}"
        super().__init__(
            reason or f"invalid {param}: {value!r}; it must be {must}",
            message_zh=reason_zh or reason or f"参数 {param} 的值 {value!r} 无效，应为 {must_zh}",
        )
        self.param = param
        self.value = value
        self.valid = valid


class PluginError(CanyuError, TypeError):
    """A registered plug-in (report section, block, rule) returned something outside its contract."""

    details_fields = ("name",)

    def __init__(self, message: str, *, name: str, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.name = name


class MappingError(CanyuError):
    """A mapping file is malformed or does not fit the input file."""

    details_fields = ("path", "key")

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

    details_fields = ("file", "row", "field", "value")

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


class CollectError(CanyuError):
    """The collector refused a request: a bad or unknown ingest key, a malformed body, a body too large.

    ``status`` is the HTTP status the collector answers with and ``type`` the
    machine-readable name in its JSON error (``{"error": {"type", "message"}}``).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        type: str,
        message_zh: str | None = None,
        ingest_key: str | None = None,
    ) -> None:
        super().__init__(message, message_zh=message_zh)
        self.status = status
        self.type = type
        self.ingest_key = ingest_key  # the key the request named, when known (to quarantine the body)
