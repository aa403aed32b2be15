"""Row validation as SQL: every source row becomes typed columns plus, when it
fails, the first failing field and a reason code.

The statement is built once per file from the table schema and the mapping
and runs in DuckDB's vectorized engine, so validation costs a scan, not a
Python call per row. Reason codes are turned into sentences (with the closest
valid label) only for the rows that fail (see ``_quarantine``).
"""

from __future__ import annotations

from dataclasses import dataclass

from canyu import vocab
from canyu.errors import IngestError, MappingError
from canyu.ingest._mapping import Mapping
from canyu.ingest._readers import Source
from canyu.privacy import PII_HEADER_PATTERNS, hmac_sql
from canyu.store import TABLES, Column
from canyu.store import ident as _ident
from canyu.store import literal as _lit

__all__ = ["StagePlan", "enum_labels", "key_sql", "plan_stage"]

SEP = "chr(31)"
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
    "%Y%m%d",
)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S")
EARLIEST = "2000-01-01"


def _norm_header(name: str) -> str:
    return "".join(name.split()).lower().lstrip("\ufeff")


def enum_labels(table: str, column: str, mapping: Mapping | None = None) -> dict[str, str]:
    """Every accepted spelling of ``table.column``'s codes, normalized, -> code."""
    col = TABLES[table].column(column)
    labels: dict[str, str] = {}
    label_sets: dict[str, dict[str, str]] = {
        "channel": dict(vocab.CHANNEL_LABELS),
        "action": dict(vocab.ACTION_LABELS),
    }
    # channel_a / channel_b of identity_links take the channel labels too
    builtin = label_sets.get(column if column in label_sets else column.split("_")[0], {})
    zh_names = {
        **{v: k for k, v in vocab.CHANNELS.items()},
        **{v: k for k, v in vocab.ACTIONS.items()},
        **{v: k for k, v in vocab.CAMPAIGN_KINDS.items()},
        **{v: k for k, v in vocab.CONTENT_KINDS.items()},
        **{v: k for k, v in vocab.LINK_KINDS.items()},
    }
    for label, code in {**builtin, **zh_names}.items():
        if code in col.enum:
            labels[vocab.normalize_label(label)] = code
    for code in col.enum:
        labels[vocab.normalize_label(code)] = code
    if mapping is not None:
        for label, code in mapping.labels.get(column, {}).items():
            labels[vocab.normalize_label(label)] = code
    return labels


@dataclass(frozen=True)
class StagePlan:
    """The SQL that stages one file, and what it found in the file's header."""

    sql: str
    columns_used: dict[str, str]  # target -> source column
    pii_columns: dict[str, str]  # source column -> kind
    unmapped: list[str]


def _number(v: str, *, scale: float) -> str:
    num = f"regexp_replace({v}, '[,，¥￥元\\s]', '', 'g')"
    body = (
        f"(CASE WHEN {v} IN ('-', '--', '—') THEN NULL"
        f" WHEN ends_with({num}, '万') THEN TRY_CAST(rtrim({num}, '万') AS DOUBLE) * 10000"
        f" WHEN ends_with({num}, '亿') THEN TRY_CAST(rtrim({num}, '亿') AS DOUBLE) * 100000000"
        f" ELSE TRY_CAST({num} AS DOUBLE) END)"
    )
    return f"({body} * {scale!r})" if scale != 1.0 else body


def _fixed_offset(tz: str) -> int | None:
    """The zone's UTC offset in seconds if it has had one offset since 2000 (e.g. Asia/Shanghai), else None."""
    import datetime as dt
    import zoneinfo

    zone = zoneinfo.ZoneInfo(tz)
    offsets = {
        dt.datetime(year, month, 1, 12, tzinfo=zone).utcoffset()
        for year in range(2000, 2040)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    (offset,) = offsets
    return int(offset.total_seconds()) if offset is not None else None


def _timestamp(v: str, formats: tuple[str, ...], tz: str) -> str:
    fixed = _fixed_offset(tz)
    # A zone with one offset is shifted by arithmetic: ICU's AT TIME ZONE costs far more per row.
    local = (
        f"((%s) - INTERVAL {fixed} SECOND)"
        if fixed is not None
        else f"((%s) AT TIME ZONE {_lit(tz)}) AT TIME ZONE 'UTC'"
    )
    if formats == ("unix_s",):
        return f"(to_timestamp(TRY_CAST({v} AS DOUBLE)) AT TIME ZONE 'UTC')"
    if formats == ("unix_ms",):
        return f"(to_timestamp(TRY_CAST({v} AS DOUBLE) / 1000.0) AT TIME ZONE 'UTC')"
    if formats and formats != ("auto",):
        fmts = "[" + ", ".join(_lit(f) for f in formats) + "]"
        if all("%z" in f for f in formats):
            return f"(try_strptime({v}, {fmts}) AT TIME ZONE 'UTC')"
        return "(" + local % f"try_strptime({v}, {fmts})" + ")"
    fmts = "[" + ", ".join(_lit(f) for f in DATETIME_FORMATS) + "]"
    return (
        f"(CASE WHEN length({v}) IN (10, 13) AND TRY_CAST({v} AS BIGINT) IS NOT NULL"
        f" THEN to_timestamp(TRY_CAST({v} AS DOUBLE) / CASE WHEN length({v}) = 13 THEN 1000.0 ELSE 1 END) AT TIME ZONE 'UTC'"
        f" WHEN {v} LIKE '%+__:__' OR {v} LIKE '%-__:__' OR {v} LIKE '%Z' OR {v} LIKE '%+____'"
        f" THEN TRY_CAST({v} AS TIMESTAMPTZ) AT TIME ZONE 'UTC'"
        f" WHEN {v}[1] BETWEEN 'A' AND 'Z' AND {v} SIMILAR TO '[A-Z][a-z]{{2}} [A-Z][a-z]{{2}} .*'"
        f" THEN try_strptime({v}, '%a %b %d %H:%M:%S %z %Y') AT TIME ZONE 'UTC'"
        f" ELSE " + local % f"COALESCE(TRY_CAST({v} AS TIMESTAMP), try_strptime({v}, {fmts}))" + " END)"
    )


def _date(v: str, formats: tuple[str, ...]) -> str:
    fmts = formats if formats and formats != ("auto",) else DATE_FORMATS
    lst = "[" + ", ".join(_lit(f) for f in fmts) + "]"
    return f"COALESCE(TRY_CAST({v} AS DATE), CAST(try_strptime({v}, {lst}) AS DATE))"


def _typed(col: Column, v: str, mapping: Mapping, tz: str) -> tuple[str, str]:
    """(typed expression, reason code when a present value fails to type)."""
    if col.enum:
        labels = enum_labels(mapping.table, col.name, mapping)
        # CASE tests its branches in order: the codes themselves (what most files hold) come first.
        ordered = [(c, c) for c in col.enum] + sorted((k, c) for k, c in labels.items() if k not in col.enum)
        whens = " ".join(f"WHEN {_lit(k)} THEN {_lit(c)}" for k, c in ordered)
        # Most values are already a code or a label as spelled: match them as they are, and pay for
        # normalizing (case, spaces) only on the rest.
        return (
            f"COALESCE(CASE {v} {whens} END, CASE lower(replace({v}, ' ', '')) {whens} END)",
            "unknown_label",
        )
    scale = mapping.units.get(col.name, 1.0)
    if col.type == "DOUBLE":
        return _number(v, scale=scale), "not_a_number"
    if col.type == "BIGINT":
        d = _number(v, scale=scale)
        return f"(CASE WHEN {d} = round({d}) THEN CAST({d} AS BIGINT) END)", "not_an_integer"
    if col.type == "TIMESTAMP":
        return _timestamp(v, mapping.time.get(col.name, ("auto",)), tz), "not_a_time"
    if col.type == "DATE":
        return _date(v, mapping.time.get(col.name, ("auto",))), "not_a_date"
    if col.type == "JSON":
        return f"(CASE WHEN json_valid({v}) THEN {v} END)", "bad_json"
    return v, ""


def key_sql(table: str, alias: str = "") -> str:
    """The SQL expression of a row's duplicate key in ``table``."""
    pre = f"{alias}." if alias else ""
    key = TABLES[table].key
    if len(key) == 1:
        return f"{pre}{_ident(key[0])}"
    parts = ", ".join(f"COALESCE(CAST({pre}{_ident(k)} AS VARCHAR), chr(0))" for k in key)
    return f"concat_ws({SEP}, {parts})"


def plan_stage(
    source: Source, mapping: Mapping, *, timezone: str, key: bytes | None, stage_table: str
) -> StagePlan:
    """Build the CREATE TABLE statement that stages ``source`` for ``mapping.table``."""
    schema = TABLES[mapping.table]
    by_norm = {_norm_header(c): c for c in source.columns}
    tz = mapping.timezone or timezone

    # Personal data first: declared columns and columns whose header says phone/e-mail.
    pii: dict[str, str] = {}
    for kind, names in mapping.pii.items():
        for name in names:
            if _norm_header(name) in by_norm:
                pii[by_norm[_norm_header(name)]] = kind
    for c in source.columns:
        for kind, pattern in PII_HEADER_PATTERNS.items():
            if c not in pii and pattern.search(c):
                pii[c] = kind
    if pii and key is None:
        raise MappingError("the file has personal-data columns but no hashing key is set", path=mapping.path)
    clean_cols = []
    for c in source.columns:
        q = f"src.{_ident(c)}"
        clean_cols.append(f"{hmac_sql(key, pii[c], q) if c in pii and key else q} AS {_ident(c)}")
    row_col = "_row" if source.row_kind == "exact" else "NULL::BIGINT"
    # No row_number() here: a window over the whole file would serialize DuckDB's parallel scan.
    # The stage is written in file order (insertion order is preserved), so its rowid is the
    # record's ordinal; the importer reads it as _rn.
    clean = f"SELECT {', '.join(clean_cols)}, {row_col} AS _row FROM {source.relation} AS src"

    used: dict[str, str] = {}
    raws: list[str] = []  # level r: raw text per target, named r__<col>
    typed: list[str] = []  # level x: typed value per target, named t__<col>
    checks: list[tuple[str, str, str]] = []  # (field, condition, code) over r__/t__ names
    out: list[str] = []  # final projection, schema order
    for col in schema.columns:
        if col.name in schema.derived:
            continue
        if col.name == "props" and not any(_norm_header(c) in by_norm for c in mapping.candidates("props")):
            continue  # built from unmapped columns below
        src_name = next(
            (by_norm[_norm_header(c)] for c in mapping.candidates(col.name) if _norm_header(c) in by_norm),
            None,
        )
        if src_name is not None:
            used[col.name] = src_name
            raw = f"NULLIF(trim(c.{_ident(src_name)}), '')"
            if col.name in mapping.constants:
                raw = f"COALESCE({raw}, {_lit(str(mapping.constants[col.name]))})"
        elif col.name in mapping.constants:
            raw = _lit(str(mapping.constants[col.name]))
        elif col.required and not (mapping.table == "events" and col.name == "event_id"):
            looked = ", ".join(dict.fromkeys(mapping.candidates(col.name)))
            raise IngestError(
                f"no column for required field {col.name!r} of {mapping.table} (mapping {mapping.name} looked for:"
                f" {looked}; the file has: {', '.join(source.columns)})",
                message_zh=f"缺少 {mapping.table} 的必填字段 {col.name!r}（映射 {mapping.name} 查找：{looked}；"
                f"文件中的列：{', '.join(source.columns)}）",
                file=source.file,
                field=col.name,
            )
        else:
            raw = "NULL::VARCHAR"
        r, t = _ident("r__" + col.name), _ident("t__" + col.name)
        raws.append(f"CAST({raw} AS VARCHAR) AS {r}")
        expr, code = _typed(col, r, mapping, tz)
        typed.append(f"CAST({expr} AS {_storage(col)}) AS {t}")
        if col.required and not (mapping.table == "events" and col.name == "event_id"):
            checks.append((col.name, f"{r} IS NULL", "missing"))
        if code:
            checks.append((col.name, f"{r} IS NOT NULL AND {t} IS NULL", code))
        if col.type == "TIMESTAMP":
            checks.append(
                (
                    col.name,
                    f"{t} < TIMESTAMP {_lit(EARLIEST)} OR {t} > now()::TIMESTAMP + INTERVAL 2 DAY",
                    "out_of_range",
                )
            )
        out.append(col.name)

    unmapped = [c for c in source.columns if c not in used.values()]
    props = ""
    if mapping.table == "events" and "props" not in used:
        if mapping.keep_props and unmapped:
            pairs = ", ".join(f"{_lit(c)}, x.{_ident(c)}" for c in unmapped)
            present = ", ".join(f"x.{_ident(c)}" for c in unmapped)
            props = f"CASE WHEN COALESCE({present}) IS NOT NULL THEN json_object({pairs}) END"
        else:
            props = "NULL::VARCHAR"

    user_key = (
        "CASE WHEN x._err IS NOT NULL THEN x.r__channel || ':' || x.r__user_id END"
        if {"channel", "user_id"} <= used.keys()
        else "NULL::VARCHAR"
    )
    err = (
        "COALESCE("
        + ", ".join(f"CASE WHEN {cond} THEN {_lit(f + '|' + code)} END" for f, cond, code in checks)
        + ")"
        if checks
        else "NULL::VARCHAR"
    )
    errv = (
        "CASE WHEN _err IS NOT NULL THEN COALESCE("
        + ", ".join(f"CASE WHEN {cond} THEN r__{f} END" for f, cond, _ in checks)
        + ") END"
        if checks
        else "NULL::VARCHAR"
    )
    final: list[str] = []
    for name in schema.names:
        if name in schema.derived:
            continue
        if name == "props" and props:
            final.append(f"{props} AS props")
        elif name == "event_id" and mapping.table == "events":
            content = ", ".join(f"COALESCE(CAST(x.t__{c} AS VARCHAR), '')" for c in out if c != "event_id")
            final.append(f"COALESCE(x.t__event_id, 'h:' || md5(concat_ws(chr(31), {content}))) AS event_id")
        else:
            final.append(f"x.t__{name} AS {_ident(name)}")
    raw_json = ", ".join(f"{_lit(c)}, x.{_ident(c)}" for c in source.columns) or "'_', NULL"
    level_r = f"SELECT c.*, {', '.join(raws)} FROM ({clean}) AS c"
    level_x = f"SELECT r.*, {', '.join(typed)} FROM ({level_r}) AS r"
    level_e = f"SELECT y.*, {errv} AS _errv FROM (SELECT x.*, {err} AS _err FROM ({level_x}) AS x) AS y"
    sql = (
        f"CREATE TEMP TABLE {stage_table} AS SELECT x._row, {', '.join(final)}, "
        f"CASE WHEN x._err IS NOT NULL THEN json_object({raw_json}) END AS _raw, "
        f"x._err, x._errv, {user_key} AS _user_key FROM ({level_e}) AS x"
    )
    return StagePlan(sql=sql, columns_used=used, pii_columns=pii, unmapped=unmapped)


def _storage(col: Column) -> str:
    return "VARCHAR" if col.type == "JSON" else col.type
