"""Mapping files: how a source file's columns and labels become a canyu table.

A mapping is TOML::

    [mapping]
    table = "events"              # target table (see canyu.store.TABLES)
    format = "csv"                # optional: csv, tsv, xlsx, jsonl, parquet (default: by extension)
    delimiter = ","               # optional (CSV sniffed when absent)
    encoding = "auto"             # optional: auto, utf-8, gb18030, gbk ...
    header_row = 1                # row holding the headers (XLSX/CSV exports with a title row: 2)
    sheet = "Sheet1"              # optional, XLSX
    timezone = "Asia/Shanghai"    # zone of times that carry none (default: the workspace's)

    [columns]                     # target = source column, or a list of candidates (first present wins)
    ts = ["时间", "ts"]

    [constants]                   # target = value when the column is absent or empty
    channel = "wechat_oa"

    [time]                        # target = "auto" | "unix_s" | "unix_ms" | strptime format(s)
    ts = "%Y-%m-%d %H:%M:%S"

    [units]                       # target = factor, e.g. value = 0.01 turns 分 into 元
    value = 0.01

    [labels.action]               # source label = code, on top of the built-in Chinese labels
    "好看" = "collect"

    [pii]                         # source columns holding direct identifiers (hashed, never stored raw)
    phone = ["联系手机"]

    [props]
    keep = true                   # source columns not mapped go into props (JSON)

Shipped mappings live in ``canyu/ingest/mappings/`` and are named without ``.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from canyu.errors import MappingError, UnknownNameError
from canyu.store import IMPORTABLE, TABLES

__all__ = ["Mapping", "default_mapping", "load_mapping", "shipped_mappings"]

FORMATS = ("csv", "tsv", "xlsx", "jsonl", "parquet")


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file (see the module docstring for the format)."""

    table: str
    name: str = "default"
    path: str = "<default>"
    format: str | None = None
    delimiter: str | None = None
    encoding: str = "auto"
    header_row: int = 1
    sheet: str | None = None
    timezone: str | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    time: dict[str, tuple[str, ...]] = field(default_factory=dict)
    units: dict[str, float] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    pii: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keep_props: bool = True

    def candidates(self, target: str) -> tuple[str, ...]:
        """Source column names that may hold ``target`` (the target's own name last)."""
        return (*self.columns.get(target, ()), target)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise TypeError(f"expected a string or a list of strings, got {value!r}")


def _parse(data: dict[str, Any], *, path: str, name: str, table: str | None) -> Mapping:
    m = data.get("mapping", {})
    target = table or m.get("table")
    if not target:
        raise MappingError(
            "no target table: give [mapping] table = ... or --table", path=path, key="mapping.table"
        )
    if target not in IMPORTABLE:
        raise UnknownNameError("table", str(target), IMPORTABLE)
    if table and m.get("table") and m["table"] != table:
        raise MappingError(
            f"the mapping is for table {m['table']!r}, not {table!r}",
            message_zh=f"该映射用于表 {m['table']!r}，而不是 {table!r}",
            path=path,
            key="mapping.table",
        )
    schema = TABLES[target]
    fmt = m.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise UnknownNameError("format", str(fmt), FORMATS)
    sections = {k: data.get(k, {}) for k in ("columns", "constants", "time", "units")}
    for section in ("columns", "constants", "time", "units"):
        for key in sections[section]:
            if key not in schema.names:
                raise MappingError(
                    f"[{section}] names {key!r}, which is not a column of {target} ({', '.join(schema.names)})",
                    message_zh=f"[{section}] 中的 {key!r} 不是表 {target} 的列",
                    path=path,
                    key=f"{section}.{key}",
                )
    try:
        labels = {str(k): {str(a): str(b) for a, b in v.items()} for k, v in data.get("labels", {}).items()}
        mapping = Mapping(
            table=target,
            name=name,
            path=path,
            format=fmt,
            delimiter=m.get("delimiter"),
            encoding=str(m.get("encoding", "auto")),
            header_row=int(m.get("header_row", 1)),
            sheet=m.get("sheet"),
            timezone=m.get("timezone"),
            columns={k: _as_tuple(v) for k, v in sections["columns"].items()},
            constants=dict(sections["constants"]),
            time={k: _as_tuple(v) for k, v in sections["time"].items()},
            units={k: float(v) for k, v in sections["units"].items()},
            labels=labels,
            pii={k: _as_tuple(v) for k, v in data.get("pii", {}).items()},
            keep_props=bool(data.get("props", {}).get("keep", True)),
        )
    except (TypeError, ValueError) as exc:
        raise MappingError(str(exc), path=path) from exc
    for kind in mapping.pii:
        if kind not in ("phone", "email"):
            raise UnknownNameError("personal-data kind", kind, ("phone", "email"))
    for col, labels_for in mapping.labels.items():
        enum = schema.column(col).enum if col in schema.names else ()
        if not enum:
            raise MappingError(f"[labels.{col}]: {col} has no fixed codes", path=path, key=f"labels.{col}")
        for label, code in labels_for.items():
            if code not in enum:
                raise MappingError(
                    f"[labels.{col}] maps {label!r} to {code!r}, not a valid code ({', '.join(enum)})",
                    message_zh=f"[labels.{col}] 把 {label!r} 映射到无效代码 {code!r}",
                    path=path,
                    key=f"labels.{col}",
                )
    if mapping.header_row < 1:
        raise MappingError("header_row must be 1 or more", path=path, key="mapping.header_row")
    return mapping


def shipped_mappings() -> dict[str, Path]:
    """Mappings that come with canyu, by name."""
    root = resources.files("canyu.ingest") / "mappings"
    return {Path(str(p)).stem: Path(str(p)) for p in root.iterdir() if str(p).endswith(".toml")}


def load_mapping(spec: str | Path | None, *, table: str | None = None) -> Mapping:
    """Load a mapping by file path or shipped name; ``None`` gives the identity mapping for ``table``."""
    if spec is None:
        if table is None:
            raise UnknownNameError("table", "", IMPORTABLE)
        return default_mapping(table)
    path = Path(spec)
    shipped = shipped_mappings()
    if not path.exists():
        if str(spec) in shipped:
            path = shipped[str(spec)]
        else:
            raise UnknownNameError("mapping (file or shipped name)", str(spec), tuple(shipped))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(
            f"not valid TOML: {exc}", message_zh=f"TOML 格式错误：{exc}", path=str(path)
        ) from exc
    return _parse(data, path=str(path), name=path.stem, table=table)


def default_mapping(table: str) -> Mapping:
    """Columns named as in the contract; built-in labels; times auto-detected."""
    return _parse({"mapping": {"table": table}}, path="<default>", name="default", table=table)
