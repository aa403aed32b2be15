"""Row validation as SQL: every source row becomes typed columns plus, when it
fails, the first failing field and a reason code.

The statement is built once per file from the table schema and the mapping
and runs in DuckDB's vectorized engine, so validation costs a scan, not a
Python call per row. Reason codes are turned into sentences (with the closest
valid label) only for the rows that fail (see ``_quarantine``).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from canyu import vocab
from canyu.errors import IngestError, MappingError
from canyu.ingest._mapping import Mapping, norm_header, rank_mappings
from canyu.ingest._readers import Source
from canyu.privacy import PII_HEADER_PATTERNS, hmac_sql, mask_phones_sql, scrub_id_sql, scrub_sql
from canyu.store import TABLES, Column
from canyu.store import ident as _ident
from canyu.store import literal as _lit

__all__ = [
    "AGGREGATE",
    "NON_NEGATIVE",
    "NULL_TOKENS",
    "REASONS",
    "StagePlan",
    "enum_labels",
    "enum_type",
    "failure_reason",
    "key_sql",
    "plan_stage",
    "quarantine_reason",
    "render_reason",
    "unpack_bad_sql",
]

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
# Times with a 12-hour clock (tried only when the value ends in AM or PM).
AMPM_FORMATS = (
    "%Y-%m-%d %I:%M:%S %p",
    "%Y-%m-%d %I:%M %p",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%Y-%m-%d %I:%M:%S%p",
    "%Y-%m-%d %I:%M%p",
)
WEIBO_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # Weibo's created_at: Tue Oct 01 09:00:00 +0800 2026
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
    "%Y%m%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
)
EARLIEST = "2000-01-01"
# Cells that mean "no value" in platform exports (Douyin writes "-", Excel "#N/A").
NULL_TOKENS = ("", "-", "--", "—", "——", "N/A", "n/a", "#N/A")
# Counts and amounts that cannot be below zero (follows_gained is a net figure and can).
NON_NEGATIVE: frozenset[tuple[str, str]] = frozenset(
    [("content_stats", c) for c in ("exposes", "views", "likes", "comments", "shares", "collects")]
    + [("spend", "amount"), ("spend", "impressions"), ("products", "price"), ("contents", "cost")]
    + [("campaigns", "budget"), ("events", "value"), ("mentions", "likes"), ("mentions", "reposts")]
    + [("paths", c) for c in ("total_conversions", "total_conversion_value", "total_null")]
)
# Tables of aggregates: rows with the same key in one file are summed (a path file lists a journey
# once per user; a daily export once per source), and a stored row with that key is replaced by the
# new figures. Rows are never dropped as duplicates there, except when the stored figures are equal.
AGGREGATE: dict[str, tuple[str, ...]] = {
    "paths": ("total_conversions", "total_conversion_value", "total_null"),
    "content_stats": ("exposes", "views", "likes", "comments", "shares", "collects", "follows_gained"),
    "spend": ("amount", "impressions"),
}
# Receiver name and address columns of shop exports: dropped unless a mapping declares them
# under [pii] name / address, and then hashed.
RECEIVER_HEADER = re.compile(
    r"(收货人|收件人|收货地址|收件地址|详细地址|配送地址|consignee|receiver_?name|receiver_?address|fulladdress"
    r"|^address_info\.|delivery_address)",
    re.IGNORECASE,
)

# Contract columns whose cells are scrubbed for phone numbers (besides unmapped columns kept in props).
SCRUBBED_TARGETS = frozenset(
    {"user_id", "parent_user_id", "follower_id", "followee_id", "user_a", "user_b", "title", "text", "name"}
)
# Ids of things: a phone-shaped id is hashed whole (``scrub_id_sql``), never masked, so distinct ids stay distinct.
ID_TARGETS = frozenset(
    {
        "event_id",
        "parent_event_id",
        "content_id",
        "campaign_id",
        "account_id",
        "product_id",
        "mention_id",
        "parent_id",
    }
)

_FIELD_ZH = {
    "action": "行为",
    "channel": "渠道",
    "channel_a": "渠道",
    "channel_b": "渠道",
    "kind": "类型",
    "ts": "时间",
    "date": "日期",
    "value": "金额",
    "user_id": "用户ID",
    "event_id": "事件ID",
}

# Every quarantine reason: a stable key, its English and Chinese sentence. Parameters are named in
# braces; the key and parameters are stored with each quarantined row (``reason_code``), so the
# reason can be shown in either language later.
REASONS: dict[str, tuple[str, str]] = {
    "missing": ("required field {field!r} is empty", "必填字段 {field!r} 为空"),
    "not_a_number": ("{value!r} is not a number", "{value!r} 不是数字"),
    "not_finite": ("{value!r} is not a finite number", "{value!r} 不是有限的数值"),
    "not_an_integer": ("{value!r} is not a whole number", "{value!r} 不是整数"),
    "too_large": ("{value!r} is too large for {field!r}", "{value!r} 超出字段 {field!r} 的范围"),
    "negative": ("{value!r} is negative; {field!r} cannot be", "{value!r} 是负数；字段 {field!r} 不能为负"),
    "not_a_time": ("{value!r} is not a time this mapping can read", "{value!r} 不是可识别的时间"),
    "time_trailing_text": (
        "{value!r}: {text!r} after the time is neither an offset (+08:00) nor a zone name (Asia/Shanghai)",
        "{value!r}：时间后面的 {text!r} 既不是时差（+08:00）也不是时区名（Asia/Shanghai）",
    ),
    "time_zone_ambiguous": (
        "{value!r}: the zone abbreviation {text!r} is ambiguous; write an offset (+08:00) or a zone name",
        "{value!r}：时区缩写 {text!r} 有歧义；请写时差（+08:00）或时区名",
    ),
    "not_a_date": ("{value!r} is not a date", "{value!r} 不是日期"),
    "out_of_range": ("{value!r} is before 2000 or in the future", "{value!r} 早于 2000 年或晚于当前时间"),
    "bad_json": ("{value!r} is not valid JSON", "{value!r} 不是有效的 JSON"),
    "unknown_label": (
        "{value!r} is not a valid {field}{closest_en} (valid: {valid})",
        "{value!r} 不是有效的{field_zh}{closest_zh}（可选：{valid}）",
    ),
    "broken_row": ("broken row: {detail}", "无法拆分的行：{detail}"),
    "bad_bytes": (
        "broken row: bytes not valid in {encoding}: {line}",
        "无法拆分的行：含有不符合 {encoding} 编码的字节：{line}",
    ),
    "bad_json_line": ("broken row: not valid JSON: {detail}", "无法拆分的行：不是有效的 JSON：{detail}"),
    "not_an_object": ("broken row: a line must hold a JSON object", "无法拆分的行：每行必须是一个 JSON 对象"),
    "column_count": (
        "broken row: expected {expected} columns, found {found}",
        "无法拆分的行：应有 {expected} 列，实际 {found} 列",
    ),
    "collector_rejected": (
        "the collector refused a body sent to {path}: {message}",
        "采集服务拒绝了发往 {path} 的请求体：{message_zh}",
    ),
    "uncached_formula": (
        "cell {cell} holds a formula without a saved value; open the file in Excel, save it, and import again",
        "单元格 {cell} 是没有保存计算结果的公式；请在 Excel 中打开并保存后重新导入",
    ),
}


def render_reason(key: str, args: dict[str, Any], locale: str = "en") -> str:
    """The sentence of reason ``key`` with ``args``, in ``locale`` (``zh-CN`` or ``en``).

    Examples
    --------
    >>> render_reason("unknown_label", {"value": "liek", "field": "action", "closest": "like", "valid": "like"}, "zh-CN")
    "'liek' 不是有效的行为；最接近的有效值：'like'（可选：like）"
    """
    en, zh = REASONS.get(key, ("{detail}", "{detail}"))
    a = dict(args)
    a.setdefault("detail", key)
    if key == "unknown_label":
        closest = a.get("closest")
        a["closest_en"] = f"; closest valid: {closest!r}" if closest else ""
        a["closest_zh"] = f"；最接近的有效值：{closest!r}" if closest else ""
        a["field_zh"] = _FIELD_ZH.get(str(a.get("field")), str(a.get("field")))
    template = zh if locale.lower().startswith("zh") else en
    try:
        return template.format(**a)
    except (KeyError, IndexError, ValueError):
        return f"{key}: {args}"


def quarantine_reason(row: dict[str, Any], locale: str = "en") -> str:
    """The reason of one ``quarantine`` row in ``locale``; rows stored before reasons had keys keep their text."""
    code = row.get("reason_code")
    if code:
        try:
            parsed = json.loads(code) if isinstance(code, str) else code
            return render_reason(str(parsed["key"]), dict(parsed.get("args") or {}), locale)
        except (ValueError, KeyError, TypeError):
            pass
    return str(row.get("reason") or "")


_TIME_TAIL = re.compile(r"^(.*\d:\d\d(?::\d\d)?(?:[.,]\d+)?)\s*([^\d\s:.,].*)$")


def _number_text(value: str) -> float | None:
    text = re.sub(r"[,，¥￥元\s]", "", value)
    scale = 1.0
    for suffix, factor in (("万", 1e4), ("亿", 1e8)):
        if text.endswith(suffix):
            text, scale = text[: -len(suffix)], factor
    try:
        return float(text) * scale
    except ValueError:
        return None


def failure_reason(
    table: str,
    mapping: Mapping | None,
    fld: str,
    code: str,
    value: str | None,
    cache: dict[tuple[str, str], Any],
) -> tuple[str, dict[str, Any]]:
    """The reason key and parameters of a row that failed ``code`` on field ``fld`` (only failing rows pay this)."""
    v = value
    if code in ("not_a_number", "not_an_integer"):
        num = _number_text(v or "")
        if num is not None and not math.isfinite(num):
            return "not_finite", {"field": fld, "value": v}
        if num is not None and code == "not_an_integer" and num == round(num):
            return "too_large", {"field": fld, "value": v}
        return code, {"field": fld, "value": v}
    if code == "not_a_time":
        m = _TIME_TAIL.match(v or "")
        if m:
            tail = m.group(2).strip()
            if re.fullmatch(r"[A-Z]{2,5}", tail) and tail.upper() not in ("UTC", "GMT", "AM", "PM"):
                return "time_zone_ambiguous", {"field": fld, "value": v, "text": tail}
            return "time_trailing_text", {"field": fld, "value": v, "text": tail}
        return code, {"field": fld, "value": v}
    if code != "unknown_label":
        return code, {"field": fld, "value": v}
    cache_key = (fld, v or "")
    if cache_key not in cache:
        labels = enum_labels(table, fld, mapping)
        codes = sorted(set(labels.values()))
        norm = "".join((v or "").split()).lower()
        close = difflib.get_close_matches(norm, list(labels), n=1, cutoff=0.4)
        cache[cache_key] = {
            "field": fld,
            "value": v,
            "closest": labels[close[0]] if close else None,
            "valid": ", ".join(codes),
        }
    return "unknown_label", dict(cache[cache_key])


_norm_header = norm_header


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
    dropped: list[str] = field(default_factory=list)  # receiver names/addresses, never read
    # Columns the file gives nothing for (no source, fallback or constant): NULL in every row, so
    # not written into the stage; the loader writes NULL for them (a narrower stage spills less).
    absent: tuple[str, ...] = ()
    row_column: bool = True  # whether the stage has _row (a CSV's row numbers come from rowid)
    # The loader's SQL for events.props over the stage (alias s) when it is built from unmapped cells.
    props: str | None = None


def _number(v: str, *, scale: float) -> str:
    num = f"regexp_replace({v}, '[,，¥￥元\\s]', '', 'g')"
    # A plain number is cast at once; only the others pay for the regular expression (which
    # removes characters a plain number does not have, so the two agree where both apply).
    body = (
        f"COALESCE(TRY_CAST({v} AS DOUBLE), CASE WHEN ends_with({num}, '万') THEN TRY_CAST(rtrim({num}, '万') AS DOUBLE) * 10000"
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


def _fmt_list(formats: tuple[str, ...]) -> str:
    return "[" + ", ".join(_lit(f) for f in formats) + "]"


def _zoned(v: str) -> str:
    """A value whose text after the time names its zone: an offset, Z/UTC/GMT, or an IANA name."""
    tail = f"regexp_extract({v}, '\\d:\\d\\d(?::\\d\\d)?(?:[.,]\\d+)?\\s*([^\\d\\s:.,].*)$', 1)"
    zone_ok = (
        f"regexp_full_match({tail}, '(?:Z|UTC|GMT)?(?:[+-]\\d{{1,2}}(?::?\\d\\d)?)?"
        f"|[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?')"
    )
    # "09:00:00 +08:00" (a space before the offset) is not read by the cast: drop the space.
    text = f"regexp_replace({v}, '\\s+([+-]\\d)', '\\1')"
    return (
        f"(CASE WHEN {tail} <> '' AND {zone_ok} THEN TRY_CAST({text} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' END)"
    )


def _timestamp(v: str, formats: tuple[str, ...], tz: str) -> str:
    """Parse ``v`` to a naive UTC timestamp.

    A zone in the value wins (an offset, ``Z``/``UTC``/``GMT``, or an IANA zone name after the
    time, or Weibo's ``Tue Oct 01 09:00:00 +0800 2026``); a value without one is read in ``tz``.
    Text after the time that is not a zone makes the value unreadable (quarantined with that text).
    """
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
        fmts = _fmt_list(formats)
        if all("%z" in f for f in formats):
            return f"(try_strptime({v}, {fmts}) AT TIME ZONE 'UTC')"
        return "COALESCE(" + local % f"try_strptime({v}, {fmts})" + f", {_zoned(v)})"
    fmts = _fmt_list(DATETIME_FORMATS)
    # The cast is lenient (it drops any zone text): it is used only where the value ends in a
    # time's seconds or minutes, with no offset before them.
    naive = local % f"COALESCE(TRY_CAST({v} AS TIMESTAMP), try_strptime({v}, {fmts}))"
    strict = local % f"try_strptime({v}, {fmts})"
    return (
        # the commonest shape first, tested by a LIKE that costs a fraction of the tests below
        f"(CASE WHEN {v} LIKE '____-__-__ __:__:__' OR {v} LIKE '____-__-__T__:__:__' THEN {naive}"
        f" WHEN length({v}) IN (10, 13) AND TRY_CAST({v} AS BIGINT) IS NOT NULL"
        f" THEN to_timestamp(TRY_CAST({v} AS DOUBLE) / CASE WHEN length({v}) = 13 THEN 1000.0 ELSE 1 END) AT TIME ZONE 'UTC'"
        f" WHEN {v}[-3] = ':' AND {v}[-6] NOT IN ('+', '-') AND {v}[-1] BETWEEN '0' AND '9' THEN {naive}"
        f" WHEN {v}[1] BETWEEN 'A' AND 'Z' AND {v} SIMILAR TO '[A-Z][a-z]{{2}} [A-Z][a-z]{{2}} .*'"
        f" THEN try_strptime({v}, {_lit(WEIBO_FORMAT)}) AT TIME ZONE 'UTC'"
        f" WHEN upper({v}[-2:]) IN ('AM', 'PM') THEN "
        + local
        % f"try_strptime({v}, {_fmt_list(AMPM_FORMATS)})"
        + f" WHEN regexp_matches({v}, '\\d:\\d\\d(?::\\d\\d)?(?:[.,]\\d+)?\\s*[^\\d\\s:.,]') THEN {_zoned(v)}"
        f" WHEN regexp_matches({v}, '\\d:\\d\\d') THEN {naive}"
        f" ELSE {strict} END)"
    )


def _date(v: str, formats: tuple[str, ...]) -> str:
    fmts = formats if formats and formats != ("auto",) else DATE_FORMATS
    lst = _fmt_list(fmts)
    # Weibo's created_at: the date as written in its own offset (the platform's local day).
    weibo = f"CAST(try_strptime(regexp_replace({v}, ' [+-]\\d{{4}} ', ' '), '%a %b %d %H:%M:%S %Y') AS DATE)"
    return (
        f"COALESCE(TRY_CAST({v} AS DATE), CAST(try_strptime({v}, {lst}) AS DATE),"
        f" CASE WHEN {v}[1] BETWEEN 'A' AND 'Z' THEN {weibo} END)"
    )


def enum_type(col: Column, mapping: Mapping) -> str:
    """The ENUM type a coded column is staged as: its codes (and any a mapping's labels name)."""
    codes = dict.fromkeys([*col.enum, *enum_labels(mapping.table, col.name, mapping).values()])
    return "ENUM(" + ", ".join(_lit(c) for c in codes) + ")"


def _typed(col: Column, v: str, mapping: Mapping, tz: str) -> tuple[str, str]:
    """(typed expression, reason code when a present value fails to type)."""
    if col.enum:
        labels = enum_labels(mapping.table, col.name, mapping)
        # Every accepted spelling (normalized) is a value of an inline ENUM type: the cast looks the
        # value up in a hash table, and its index picks the code from a list. A CASE over a hundred
        # labels compared each row with each label in turn (three times slower on the bench).
        keys = [k for k in labels if k]
        spellings = "ENUM(" + ", ".join(_lit(k) for k in keys) + ")"
        # The codes as values of the column's stage ENUM (see enum_type): the stage holds one byte
        # per cell instead of a 16-byte string.
        codes = f"CAST([{', '.join(_lit(labels[k]) for k in keys)}] AS {enum_type(col, mapping)}[])"
        # A value spelled as listed (a code, or a label as written) skips lower() and replace().
        return (
            f"{codes}[enum_code(COALESCE(TRY_CAST({v} AS {spellings}),"
            f" TRY_CAST(lower(replace({v}, ' ', '')) AS {spellings}))) + 1]",
            "unknown_label",
        )
    scale = mapping.units.get(col.name, 1.0)
    if col.type == "DOUBLE":
        d = _number(v, scale=scale)
        # NaN and infinities are numbers to the cast, not to a report: they fail the row.
        return f"(CASE WHEN isfinite({d}) THEN {d} END)", "not_a_number"
    if col.type == "BIGINT":
        d = _number(v, scale=scale)
        return (
            f"(CASE WHEN isfinite({d}) AND abs({d}) < 9.2e18 AND {d} = round({d}) THEN TRY_CAST({d} AS BIGINT) END)",
            "not_an_integer",
        )
    if col.type == "TIMESTAMP":
        return _timestamp(v, mapping.time.get(col.name, ("auto",)), tz), "not_a_time"
    if col.type == "DATE":
        return _date(v, mapping.time.get(col.name, ("auto",))), "not_a_date"
    if col.type == "JSON":
        return f"(CASE WHEN json_valid({v}) THEN {v} END)", "bad_json"
    return v, ""


def _trimmed(expr: str, name: str) -> str:
    """``expr`` trimmed, named for :func:`_cell` (computed once a level below the cell's tests).

    ``trim`` removes spaces only; a cell that neither starts nor ends with one is kept as it is
    (testing its ends costs half what ``trim`` does, and most cells have nothing to trim).
    """
    return (
        f"(CASE WHEN prefix({expr}, ' ') OR suffix({expr}, ' ') THEN trim({expr}) ELSE {expr} END)"
        f" AS {_ident('__canyu_t_' + name)}"
    )


def _cell(name: str, alias: str = "c") -> str:
    """A source cell as text: trimmed; no-value tokens ("-", "N/A" ...) as NULL; Excel's ="…" wrapper removed.

    The trimmed text comes from :func:`_trimmed` a level below: written inline, ``trim`` ran once
    for each of the tests, and the planner turned the IN list into a join over every row (the
    importer's dearest step, three times what it costs now). A cell longer than any no-value token
    and not starting with '=' skips the tests.
    """
    t = f"{alias}.{_ident('__canyu_t_' + name)}"
    tokens = ", ".join(_lit(x) for x in NULL_TOKENS)
    longest = max(len(x.encode()) for x in NULL_TOKENS)
    return (
        f"(CASE WHEN strlen({t}) > {longest} AND NOT starts_with({t}, '=') THEN {t}"
        f" WHEN {t} IN ({tokens}) THEN NULL"
        f" WHEN starts_with({t}, '=\"') AND ends_with({t}, '\"') THEN substr({t}, 3, length({t}) - 3)"
        f" ELSE {t} END)"
    )


def key_sql(table: str, alias: str = "") -> str:
    """The SQL expression of a row's duplicate key in ``table``."""
    pre = f"{alias}." if alias else ""
    key = TABLES[table].key
    if len(key) == 1:
        return f"{pre}{_ident(key[0])}"
    parts = ", ".join(f"COALESCE(CAST({pre}{_ident(k)} AS VARCHAR), chr(0))" for k in key)
    return f"concat_ws({SEP}, {parts})"


UNPIVOT_NAME, UNPIVOT_VALUE = "__canyu_name", "__canyu_value"


def _unpivoted(source: Source, mapping: Mapping, find: Any) -> tuple[str, list[str]]:
    """The source relation of a wide sheet turned long, and its columns."""
    u = mapping.unpivot or {}
    schema = TABLES[mapping.table]
    others = {find(t) for t in schema.names if t not in (u["name"], u["value"])} - {None}
    by_norm = {_norm_header(c): c for c in source.columns}
    if u["columns"] == "*":
        wide = [c for c in source.columns if c not in others]
    else:
        wide = [by_norm[_norm_header(c)] for c in u["columns"] if _norm_header(c) in by_norm]
    if not wide:
        raise IngestError(
            "the mapping unpivots a wide sheet, but none of its wide columns is in the file",
            message_zh="映射要求把宽表转为长表，但文件中没有它列出的任何一列",
            file=source.file,
        )
    keep = [c for c in source.columns if c not in wide]
    tokens = ", ".join(_lit(x) for x in NULL_TOKENS)
    on = ", ".join(_ident(c) for c in wide)
    sel = ", ".join([*(_ident(c) for c in keep), "_row", _ident(UNPIVOT_NAME), _ident(UNPIVOT_VALUE)])
    relation = (
        f"(SELECT {sel} FROM (UNPIVOT (SELECT * FROM {source.relation}) ON {on}"
        f" INTO NAME {_ident(UNPIVOT_NAME)} VALUE {_ident(UNPIVOT_VALUE)})"
        f" WHERE trim({_ident(UNPIVOT_VALUE)}) NOT IN ({tokens}))"
    )
    return relation, [*keep, UNPIVOT_NAME, UNPIVOT_VALUE]


def _mismatch(
    source: Source, mapping: Mapping, message: str, message_zh: str, fld: str | None
) -> IngestError:
    ranking = rank_mappings(source.columns)[:3]
    lines = "; ".join(
        f"{r.name} ({len(r.matched)} of {r.targets} columns{', missing required ' + ', '.join(r.missing) if r.missing else ''})"
        for r in ranking
        if r.matched
    )
    hint = f"; shipped mappings that fit this file best: {lines}" if lines else ""
    hint_zh = f"；与此文件最匹配的内置映射：{lines}" if lines else ""
    return IngestError(message + hint, message_zh=message_zh + hint_zh, file=source.file, field=fld)


def plan_stage(
    source: Source, mapping: Mapping, *, timezone: str, key: bytes | None, stage_table: str
) -> StagePlan:
    """Build the CREATE TABLE statement that stages ``source`` for ``mapping.table``.

    An import stops (with the shipped mappings ranked against the file's headers) when a
    required column is missing or the file has fewer than ``mapping.min_match`` of the
    mapping's columns: a file for another platform is not loaded under the wrong names.
    """
    schema = TABLES[mapping.table]
    tz = mapping.timezone or timezone
    columns = list(source.columns)
    relation = source.relation

    def find(target: str, cols: list[str] = columns) -> str | None:
        by_norm = {_norm_header(c): c for c in cols}
        return next(
            (by_norm[_norm_header(c)] for c in mapping.candidates(target) if _norm_header(c) in by_norm), None
        )

    unpivot_targets: dict[str, str] = {}
    if mapping.unpivot:
        relation, columns = _unpivoted(source, mapping, find)
        unpivot_targets = {mapping.unpivot["name"]: UNPIVOT_NAME, mapping.unpivot["value"]: UNPIVOT_VALUE}
    by_norm = {_norm_header(c): c for c in columns}

    # Personal data first: declared columns and columns whose header says phone/e-mail. Receiver
    # names and addresses are dropped unless the mapping declares them (then hashed).
    pii: dict[str, str] = {}
    for kind, names in mapping.pii.items():
        for name in names:
            if _norm_header(name) in by_norm:
                pii[by_norm[_norm_header(name)]] = kind
    for c in columns:
        for kind, pattern in PII_HEADER_PATTERNS.items():
            if c not in pii and pattern.search(c):
                pii[c] = kind
    dropped = [c for c in columns if c not in pii and RECEIVER_HEADER.search(c)]
    columns = [c for c in columns if c not in dropped]
    by_norm = {_norm_header(c): c for c in columns}
    if pii and key is None:
        raise MappingError("the file has personal-data columns but no hashing key is set", path=mapping.path)
    # Cells that name a person or carry free text are scrubbed: a cell that is a phone number (a
    # phone used as a user id) is hashed like a declared phone column; a phone number inside text
    # (comments, titles, the unmapped columns kept in props) is masked. Ids of things (events,
    # contents, campaigns, accounts, products) that hold a phone number are hashed whole (see
    # scrub_id_sql). Numbers, times and codes are not scrubbed: a view count is not a phone number.
    # Short cells skip the pattern (a byte-length test). A quarantined row's raw text is masked
    # whole, below.
    mapped: dict[str, str] = {}
    for col in schema.columns:
        srcs: list[str | None] = [unpivot_targets.get(col.name) or find(col.name, columns)]
        srcs += [by_norm.get(_norm_header(f)) for f in mapping.fallback.get(col.name, ())]
        for n in srcs:
            if n:
                mapped.setdefault(n, col.name)
    keeps_props = mapping.table == "events" and mapping.keep_props and "props" not in mapped.values()
    scrubbed = {
        c
        for c in columns
        if (c not in mapped and keeps_props) or mapped.get(c) in SCRUBBED_TARGETS or mapped.get(c) == "props"
    }
    clean_cols = []
    for c in columns:
        q = f"src.{_ident(c)}"
        if c in pii and key:
            expr = hmac_sql(key, pii[c], q)
        elif c in scrubbed:
            expr = scrub_sql(q, key)
        elif mapped.get(c) in ID_TARGETS:
            expr = scrub_id_sql(q, key)
        else:
            expr = q
        clean_cols.append(f"{expr} AS {_ident(c)}")
    row_col = "_row" if source.row_kind == "exact" or mapping.unpivot else "NULL::BIGINT"
    # No row_number() here: a window over the whole file would serialize DuckDB's parallel scan.
    # The stage is written in file order (insertion order is preserved), so its rowid is the
    # record's ordinal; the importer reads it as _rn.
    clean = f"SELECT {', '.join(clean_cols)}, {row_col} AS _row FROM {relation} AS src"

    sources = {t: unpivot_targets.get(t) or find(t, columns) for t in schema.names}
    targets = [t for t in mapping.columns if t not in unpivot_targets]
    matched = [t for t in targets if sources.get(t)]
    if mapping.min_match and targets and len(matched) < mapping.min_match * len(targets):
        raise _mismatch(
            source,
            mapping,
            f"the file has {len(matched)} of the {len(targets)} columns mapping {mapping.name} reads"
            f" (found: {', '.join(matched) or 'none'}; the file has: {', '.join(source.columns)})",
            f"文件只有映射 {mapping.name} 所读 {len(targets)} 列中的 {len(matched)} 列"
            f"（找到：{', '.join(matched) or '无'}；文件中的列：{', '.join(source.columns)}）",
            None,
        )

    used: dict[str, str] = {}
    cell_cols: set[str] = set()  # source columns read as cells (each trimmed once)
    raws: list[str] = []  # level r: raw text per target, named r__<col>
    typed: list[str] = []  # level x: typed value per target, named t__<col>
    checks: list[tuple[str, str, str]] = []  # (field, condition, code) over r__/t__ names
    out: list[str] = []  # final projection, schema order
    absent: list[str] = []  # NULL in every row: left out of the stage
    for col in schema.columns:
        if col.name in schema.derived:
            continue
        if col.name == "props" and not sources.get("props"):
            continue  # built from unmapped columns below
        src_name = sources.get(col.name)
        fallbacks = [
            by_norm[_norm_header(f)] for f in mapping.fallback.get(col.name, ()) if _norm_header(f) in by_norm
        ]
        if src_name is not None or fallbacks:
            if src_name is not None:
                used[col.name] = src_name
            cell_names = ([src_name] if src_name else []) + fallbacks
            cell_cols.update(cell_names)
            cells = [_cell(n) for n in cell_names]
            raw = cells[0] if len(cells) == 1 else f"COALESCE({', '.join(cells)})"
            if col.name in mapping.constants:
                raw = f"COALESCE({raw}, {_lit(str(mapping.constants[col.name]))})"
        elif col.name in mapping.constants:
            raw = _lit(str(mapping.constants[col.name]))
        elif col.required and not (mapping.table == "events" and col.name == "event_id"):
            looked = ", ".join(dict.fromkeys(mapping.candidates(col.name)))
            raise _mismatch(
                source,
                mapping,
                f"no column for required field {col.name!r} of {mapping.table} (mapping {mapping.name} looked for:"
                f" {looked}; the file has: {', '.join(source.columns)})",
                f"缺少 {mapping.table} 的必填字段 {col.name!r}（映射 {mapping.name} 查找：{looked}；"
                f"文件中的列：{', '.join(source.columns)}）",
                col.name,
            )
        else:
            raw = "NULL::VARCHAR"
            if (
                mapping.table not in AGGREGATE
                and col.name not in schema.key
                and not (mapping.table == "events" and col.name == "event_id")
            ):
                absent.append(col.name)
        r, t = _ident("r__" + col.name), _ident("t__" + col.name)
        raws.append(f"CAST({raw} AS VARCHAR) AS {r}")
        expr, code = _typed(col, r, mapping, tz)
        typed.append(f"{expr} AS {t}" if col.enum else f"CAST({expr} AS {_storage(col)}) AS {t}")
        if col.required and not (mapping.table == "events" and col.name == "event_id"):
            checks.append((col.name, f"{r} IS NULL", "missing"))
        if code:
            checks.append((col.name, f"{r} IS NOT NULL AND {t} IS NULL", code))
        if (mapping.table, col.name) in NON_NEGATIVE:
            checks.append((col.name, f"{t} < 0", "negative"))
        if col.type == "TIMESTAMP":
            checks.append(
                (
                    col.name,
                    f"{t} < TIMESTAMP {_lit(EARLIEST)} OR {t} > now()::TIMESTAMP + INTERVAL 2 DAY",
                    "out_of_range",
                )
            )
        out.append(col.name)

    unmapped = [c for c in columns if c not in used.values() and c not in unpivot_targets.values()]
    props = ""
    load_props = None
    kept = {c: _ident(f"_p{i}") for i, c in enumerate(unmapped)}  # an unmapped column's stage name

    def props_json(alias: str, names: dict[str, str]) -> str:
        pairs = ", ".join(f"{_lit(c)}, {alias}.{names[c]}" for c in unmapped)
        present = ", ".join(f"{alias}.{names[c]}" for c in unmapped)
        return f"CASE WHEN COALESCE({present}) IS NOT NULL THEN json_object({pairs}) END"

    if mapping.table == "events" and "props" not in used:
        if mapping.keep_props and unmapped:
            props = props_json("x", {c: _ident(c) for c in unmapped})
            # The stage keeps the (scrubbed) cells; the loader builds the JSON: a JSON text per
            # row is wider than the cells, and at 10M rows the wider stage spilled to disk.
            load_props = props_json("s", kept)
        else:
            props = "NULL::VARCHAR"
            absent.append("props")

    user_key = (
        # the channel's code when its label was valid (微博 -> weibo), so forget finds the row
        "CASE WHEN x._err IS NOT NULL THEN COALESCE(x.t__channel, x.r__channel) || ':' || x.r__user_id END"
        if {"channel", "user_id"} <= used.keys()
        else "NULL::VARCHAR"
    )
    # The failing field and code as a value of an ENUM of the checks' (one byte, not a string, per
    # row of the stage; the constant's cast is folded once).
    err_type = "ENUM(" + ", ".join(dict.fromkeys(_lit(f + "|" + code) for f, _, code in checks)) + ")"
    err = (
        "COALESCE("
        + ", ".join(
            f"CASE WHEN {cond} THEN CAST({_lit(f + '|' + code)} AS {err_type}) END"
            for f, cond, code in checks
        )
        + ")"
        if checks
        else "NULL::VARCHAR"
    )
    errv = (
        "CASE WHEN _err IS NOT NULL THEN "
        + mask_phones_sql(
            "COALESCE(" + ", ".join(f"CASE WHEN {cond} THEN r__{f} END" for f, cond, _ in checks) + ")"
        )
        + " END"
        if checks
        else "NULL::VARCHAR"
    )
    cumulative = mapping.cumulative if mapping.table in AGGREGATE else ()
    final: list[str] = []
    for name in schema.names:
        if name in schema.derived or name in absent:
            continue
        if name == "props" and load_props:
            final.extend(f"x.{_ident(c)} AS {kept[c]}" for c in unmapped)
        elif name == "event_id" and mapping.table == "events":
            # Without an id, the row is its content: every mapped column and the props (order
            # numbers and the like), so two different orders are never one "duplicate".
            content = [f"COALESCE(CAST(x.t__{c} AS VARCHAR), '')" for c in out if c != "event_id"]
            if props:
                # concat_ws skips a NULL: rows without props keep the id older imports gave them
                content.append(f"({props})")
            final.append(
                f"COALESCE(x.t__event_id, 'h:' || md5(concat_ws(chr(31), {', '.join(content)}))) AS event_id"
            )
        elif cumulative and name in AGGREGATE[mapping.table] and name in out:
            part = ", ".join([f"x.t__{k}" for k in cumulative] + ["(x._err IS NULL)"])
            order = "x.t__date" if "date" in out else "x.__ord"
            final.append(
                f"x.t__{name} - COALESCE(lag(x.t__{name}) OVER (PARTITION BY {part} ORDER BY {order}), 0) AS {_ident(name)}"
            )
        else:
            final.append(f"x.t__{name} AS {_ident(name)}")
    raw_keys = {
        UNPIVOT_NAME: (mapping.unpivot or {}).get("name"),
        UNPIVOT_VALUE: (mapping.unpivot or {}).get("value"),
    }
    raw_json = ", ".join(f"{_lit(raw_keys.get(c) or c)}, x.{_ident(c)}" for c in columns) or "'_', NULL"
    trims = [_trimmed(f"c0.{_ident(c)}", c) for c in columns if c in cell_cols]
    marked = f"SELECT c0.*{''.join(', ' + e for e in trims)} FROM ({clean}) AS c0"
    level_r = f"SELECT c.*, {', '.join(raws)} FROM ({marked}) AS c"
    level_x = f"SELECT r.*, {', '.join(typed)} FROM ({level_r}) AS r"
    ordinal = ", row_number() OVER () AS __ord" if cumulative else ""
    level_e = (
        f"SELECT y.*, {errv} AS _errv{ordinal} FROM (SELECT x.*, {err} AS _err FROM ({level_x}) AS x) AS y"
    )
    # A failing row's raw text, failing value and person key are packed into one JSON column
    # (_bad, read back by unpack_bad_sql): three columns NULL in every good row cost the stage a
    # fifth of its memory, which at 10M rows spilled it to disk.
    bad = (
        f"CASE WHEN x._err IS NOT NULL THEN json_object("
        f"'raw', CAST({mask_phones_sql(f'json_object({raw_json})')} AS VARCHAR),"
        f" 'errv', CAST(x._errv AS VARCHAR), 'uk', CAST({user_key} AS VARCHAR)) END"
    )
    row_column = row_col == "_row"
    sql = (
        f"CREATE TEMP TABLE {stage_table} AS SELECT {'x._row, ' if row_column else ''}{', '.join(final)}, "
        f"x._err, {bad} AS _bad FROM ({level_e}) AS x" + (" ORDER BY x.__ord" if cumulative else "")
    )
    return StagePlan(
        sql=sql,
        columns_used=used,
        pii_columns=pii,
        unmapped=unmapped,
        dropped=dropped,
        absent=tuple(absent),
        row_column=row_column,
        props=load_props,
    )


def unpack_bad_sql(part: str) -> str:
    """SQL for one part of a staged failing row (``raw``, ``errv`` or ``uk``) from its _bad column."""
    return f"json_extract_string(_bad, {_lit('$.' + part)})"


def _storage(col: Column) -> str:
    return "VARCHAR" if col.type == "JSON" else col.type


def neutralize_cell(value: object) -> object:
    """A cell safe to open in a spreadsheet: text starting with = + - @ (or a tab/CR) gets a leading '
    so Excel or WPS shows it instead of running it as a formula (OWASP "CSV injection")."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
