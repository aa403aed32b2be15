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
    description = "..."           # what file this mapping is for (shown by `canyu mappings show`)
    records = "list[].details[]"  # JSON documents: where the records are (dotted path, [] = each element);
                                  # fields of enclosing objects are kept; nested objects become dotted
                                  # columns ("order_info.tid")
    min_match = 0.5               # share of the [columns] targets the file must have (else the import
                                  # stops and ranks the shipped mappings against the file)
    cumulative = ["content_id"]   # content_stats: counts are running totals per this key since the first
                                  # date; each row becomes the day's increase (first day: as given)

    [fallback]                    # target = source columns read, in order, where the mapped cell is empty
    ts = ["订单创建时间"]

    [unpivot]                     # a wide sheet: one column per channel (or campaign ...)
    columns = ["微博", "抖音"]     # the wide columns ("*" = every column no other target uses)
    name = "channel"              # the target that receives the column's header
    value = "amount"              # the target that receives the cell

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
    name = ["收货人姓名"]          # receiver names and addresses are dropped unless named here (then hashed)

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

__all__ = [
    "Mapping",
    "MappingMatch",
    "default_mapping",
    "describe_mapping",
    "load_mapping",
    "match_mapping",
    "norm_header",
    "rank_mappings",
    "shipped_mappings",
]

FORMATS = ("csv", "tsv", "xlsx", "jsonl", "json", "html", "parquet")
PII_KINDS = ("phone", "email", "name", "address")


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
    description: str = ""
    records: str | None = None
    min_match: float = 0.0
    cumulative: tuple[str, ...] = ()
    fallback: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unpivot: dict[str, Any] | None = None

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
    sections = {k: data.get(k, {}) for k in ("columns", "constants", "time", "units", "fallback")}
    for section in ("columns", "constants", "time", "units", "fallback"):
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
            description=str(m.get("description", "")),
            records=m.get("records"),
            # a shipped or user mapping names its file's columns: most of them must be there
            min_match=float(m.get("min_match", 0.5 if name != "default" else 0.0)),
            cumulative=_as_tuple(m["cumulative"]) if "cumulative" in m else (),
            fallback={k: _as_tuple(v) for k, v in sections["fallback"].items()},
            unpivot=_unpivot(data.get("unpivot"), schema.names),
        )
    except (TypeError, ValueError) as exc:
        raise MappingError(str(exc), path=path) from exc
    for kind in mapping.pii:
        if kind not in PII_KINDS:
            raise UnknownNameError("personal-data kind", kind, PII_KINDS)
    for key in mapping.cumulative:
        if key not in schema.names:
            raise MappingError(
                f"cumulative names {key!r}, not a column of {target}", path=path, key="mapping.cumulative"
            )
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


def _unpivot(section: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    if not section:
        return None
    cols = section.get("columns", "*")
    out = {
        "columns": "*" if cols == "*" else _as_tuple(cols),
        "name": str(section.get("name", "")),
        "value": str(section.get("value", "")),
    }
    for k in ("name", "value"):
        if out[k] not in names:
            raise ValueError(f"[unpivot] {k} = {out[k]!r} is not a column of the table")
    return out


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


def norm_header(name: str) -> str:
    """A header as matched: no spaces, lower case, no BOM."""
    return "".join(name.split()).lower().lstrip("\ufeff")


@dataclass(frozen=True)
class MappingMatch:
    """How well one mapping fits a file's headers (see :func:`rank_mappings`)."""

    name: str
    table: str
    targets: int  # columns the mapping reads ([columns] targets)
    matched: dict[str, str]  # target -> the file's column
    missing: tuple[str, ...]  # required targets the file lacks (no column, constant or fallback)
    score: float  # share of targets matched; 0 when a required column is missing
    description: str = ""

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def match_mapping(mapping: Mapping, headers: list[str] | tuple[str, ...]) -> MappingMatch:
    """Which of ``mapping``'s columns ``headers`` has, and which required ones it lacks."""
    by_norm = {norm_header(h): h for h in headers}
    schema = TABLES[mapping.table]
    unpivot = {mapping.unpivot["name"], mapping.unpivot["value"]} if mapping.unpivot else set()
    matched: dict[str, str] = {}
    for target in schema.names:
        hit = next(
            (by_norm[norm_header(c)] for c in mapping.candidates(target) if norm_header(c) in by_norm), None
        )
        if hit is not None:
            matched[target] = hit
    missing = tuple(
        c.name
        for c in schema.columns
        if c.required
        and c.name not in schema.derived
        and not (mapping.table == "events" and c.name == "event_id")
        and c.name not in matched
        and c.name not in mapping.constants
        and c.name not in unpivot
        and not any(norm_header(f) in by_norm for f in mapping.fallback.get(c.name, ()))
    )
    targets = [t for t in mapping.columns if t not in unpivot] or list(matched)
    hits = {t: matched[t] for t in targets if t in matched}
    score = 0.0 if missing or not targets else len(hits) / len(targets)
    return MappingMatch(mapping.name, mapping.table, len(targets), hits, missing, score, mapping.description)


def rank_mappings(headers: list[str] | tuple[str, ...]) -> list[MappingMatch]:
    """The shipped mappings ranked by how well they fit ``headers``, best first."""
    found = [match_mapping(load_mapping(name), headers) for name in sorted(shipped_mappings())]
    return sorted(found, key=lambda m: (-m.score, -len(m.matched), m.name))


def describe_mapping(spec: str | Path) -> dict[str, Any]:
    """What a mapping reads: table, file format, each target's source columns, time formats, units, constants.

    This is what ``canyu mappings show NAME`` prints.

    Examples
    --------
    >>> describe_mapping("douyin_daily")["table"]
    'content_stats'
    """
    m = load_mapping(spec)
    schema = TABLES[m.table]
    rows = []
    for col in schema.columns:
        if col.name in schema.derived:
            continue
        sources = m.columns.get(col.name, ())
        if not (sources or col.name in m.constants or col.required or col.name in m.fallback):
            continue
        rows.append(
            {
                "column": col.name,
                "type": col.type,
                "required": col.required,
                "sources": list(sources),
                "fallback": list(m.fallback.get(col.name, ())),
                "constant": m.constants.get(col.name),
                "time": list(m.time.get(col.name, ())),
                "unit": m.units.get(col.name),
                "labels": dict(m.labels.get(col.name, {})),
            }
        )
    return {
        "name": m.name,
        "table": m.table,
        "description": m.description,
        "format": m.format or "by extension",
        "encoding": m.encoding,
        "header_row": m.header_row,
        "sheet": m.sheet,
        "records": m.records,
        "timezone": m.timezone or "the workspace's",
        "cumulative": list(m.cumulative),
        "unpivot": m.unpivot,
        "pii": {k: list(v) for k, v in m.pii.items()},
        "min_match": m.min_match,
        "columns": rows,
    }
