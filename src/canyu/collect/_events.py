"""Raw SDK records -> canyu's events contract and identity links.

Each wire format has one step function (``posthog_rows``, ``sensors_rows``,
``native_rows``) that turns its decoded records into :class:`Rows`: event rows
in :data:`EVENT_COLUMNS` order (every value text, typed later by the
importer, so a bad value is quarantined with its reason, not refused here),
identity links in :data:`LINK_COLUMNS` order, and the count of records that
are not person actions (profile updates, SDK housekeeping).

The mapping, per record:

- ``distinct_id`` -> ``user_id``; the client's ``uuid`` -> ``event_id`` (the dedupe
  key, so a retried batch changes nothing). Sensors records carry no id: theirs
  is ``sa:`` + a hash of the record's content (and ``_track_id`` when the JS SDK
  sends one), equally stable across retries.
- Event name -> action: the workspace's ``[events]`` map (``collect.toml``),
  then the built-ins (``$pageview``/``$screen``/``$AppViewScreen``/``$MPViewScreen``
  -> view, ``$autocapture``/``$WebClick``/``$AppClick``/``$MPClick`` -> click,
  ``$MPShare`` -> share), then the name itself (an action code or label such as
  ``purchase`` or ``下单``). Other ``$``-names are SDK housekeeping and are
  counted as ignored; any other name goes on and is quarantined by the
  importer with the closest valid action.
- Identity: PostHog ``$identify`` (``$anon_distinct_id``), ``$create_alias``
  (``alias``) and ``$merge_dangerously``; Sensors ``track_signup`` (``original_id``)
  and ``track_id_bind`` (``identities``; ``$identity_mobile`` becomes a phone-hash
  link) -> identity_links of kind ``bind`` / ``phone_hash``.
- Channel: a ``channel`` property that names a channel; else ``utm_source``
  (a channel code or label: ``weibo``, ``微博``, ``xhs`` ...); else the external
  ``$referring_domain`` / ``$referrer`` host (``weibo.com`` -> weibo ...); else
  the key's channel (``web`` by default). When the channel differs from the key's,
  a ``bind`` link joins ``<key channel>:<id>`` and ``<channel>:<id>``, so one
  visitor stays one person.
- Campaign: ``campaign_id``, else ``utm_campaign``; content: ``content_id``, else
  ``utm_content``. ``value``/``amount``/``revenue``/``$revenue`` -> value.
- Times: ISO 8601 with any offset (PostHog) or epoch milliseconds (Sensors) ->
  UTC; a naive ISO time is UTC (PostHog's rule).
- The remaining properties -> ``props`` (JSON); properties named like a phone
  or e-mail (``canyu.privacy.PII_HEADER_PATTERNS``) are HMAC-hashed first.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import tomllib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from canyu import vocab
from canyu.errors import ConfigError
from canyu.privacy import PII_HEADER_PATTERNS, hash_identifier

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None  # type: ignore[assignment]

__all__ = [
    "EVENT_COLUMNS",
    "LINK_COLUMNS",
    "CollectSettings",
    "Rows",
    "load_collect_settings",
    "native_rows",
    "posthog_rows",
    "sensors_rows",
]

EVENT_COLUMNS: Final = (
    "event_id",
    "ts",
    "channel",
    "action",
    "user_id",
    "account_id",
    "content_id",
    "campaign_id",
    "parent_user_id",
    "parent_event_id",
    "product_id",
    "value",
    "props",
)
LINK_COLUMNS: Final = ("channel_a", "user_a", "channel_b", "user_b", "kind")

BUILTIN_EVENTS: Final = {
    "$pageview": "view",
    "$screen": "view",
    "$AppViewScreen": "view",
    "$MPViewScreen": "view",
    "$autocapture": "click",
    "$WebClick": "click",
    "$AppClick": "click",
    "$MPClick": "click",
    "$MPShare": "share",
}

# Where a visitor came from, by referring domain (suffix match).
BUILTIN_REFERRERS: Final = {
    "weibo.com": "weibo",
    "weibo.cn": "weibo",
    "t.cn": "weibo",
    "xiaohongshu.com": "xiaohongshu",
    "xhslink.com": "xiaohongshu",
    "douyin.com": "douyin",
    "iesdouyin.com": "douyin",
    "mp.weixin.qq.com": "wechat_oa",
    "weixin.qq.com": "wechat_oa",
    "channels.weixin.qq.com": "wechat_channels",
    "work.weixin.qq.com": "wecom",
    "qzone.qq.com": "qzone",
    "bilibili.com": "bilibili",
    "b23.tv": "bilibili",
    "tmall.com": "ecommerce",
    "taobao.com": "ecommerce",
    "jd.com": "ecommerce",
    "youzan.com": "ecommerce",
}

_SOURCE_ALIASES: Final = {
    "weixin": "wechat_oa",
    "wx": "wechat_oa",
    "mp": "wechat_oa",
    "wb": "weibo",
    "sina": "weibo",
    "dy": "douyin",
    "redbook": "xiaohongshu",
    "xiaohongshu": "xiaohongshu",
    "qq": "qzone",
    "bili": "bilibili",
}

_VALUE_PROPS: Final = ("value", "amount", "revenue", "$revenue")
_COLUMN_PROPS: Final = (
    "account_id",
    "content_id",
    "campaign_id",
    "parent_user_id",
    "parent_event_id",
    "product_id",
)
_PROFILE_EVENTS: Final = frozenset({"$set", "$set_once", "$groupidentify", "$delete_person"})
_IDENTITY_EVENTS: Final = frozenset({"$identify", "$create_alias", "$merge_dangerously"})


@dataclass(frozen=True)
class CollectSettings:
    """A workspace's collector settings, from ``<workspace>/collect.toml`` (all optional)::

    [events]                 # event name -> action (code or label)
    order_paid = "purchase"
    coupon_claimed = "lead"

    [sources]                # utm_source value -> channel
    wb_ad = "weibo"

    [referrers]              # referring domain (suffix) -> channel
    "m.example-forum.cn" = "forum"

    [collect]
    utm_channel = true       # false: keep every event on the key's channel
    """

    events: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    referrers: dict[str, str] = field(default_factory=dict)
    utm_channel: bool = True


def load_collect_settings(workspace: Path) -> CollectSettings:
    """Read ``collect.toml`` (defaults when absent); channels must be valid codes."""
    path = Path(workspace) / "collect.toml"
    if not path.exists():
        return CollectSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}", message_zh=f"{path}：{exc}", path=str(path), key="") from exc
    for section in ("sources", "referrers"):
        for k, v in data.get(section, {}).items():
            if v not in vocab.CHANNELS:
                raise ConfigError(
                    f"{path}: [{section}] {k} = {v!r} is not a channel (valid: {', '.join(vocab.CHANNELS)})",
                    message_zh=f"{path}：[{section}] {k} = {v!r} 不是有效渠道",
                    path=str(path),
                    key=f"{section}.{k}",
                )
    return CollectSettings(
        events={str(k): str(v) for k, v in data.get("events", {}).items()},
        sources={vocab.normalize_label(str(k)): str(v) for k, v in data.get("sources", {}).items()},
        referrers={str(k).lower(): str(v) for k, v in data.get("referrers", {}).items()},
        utm_channel=bool(data.get("collect", {}).get("utm_channel", True)),
    )


@dataclass
class Rows:
    """What a request's records became."""

    events: list[list[str | None]] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)
    ignored: int = 0

    @property
    def records(self) -> int:
        return len(self.events) + self.ignored


@dataclass(frozen=True)
class Context:
    """What normalization needs from the workspace and the key."""

    channel: str
    settings: CollectSettings
    hmac_key: bytes | None
    cache: dict[tuple[str, str], str | None] = field(default_factory=dict, compare=False, repr=False)


# -- small helpers ---------------------------------------------------------------


def _text(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return _dumps(v)
    return str(v)


def _utc_iso(value: Any, *, default_now: bool = True) -> str | None:
    """ISO 8601 with an offset: as sent (the importer converts it to UTC); naive: taken as UTC; unparseable: as sent."""
    if value is None or value == "":
        return dt.datetime.now(dt.UTC).isoformat(sep=" ") if default_now else None
    if not isinstance(value, str):
        return _text(value)
    if (
        len(value) > 19
        and value[10] == "T"
        and (value[-1] == "Z" or (value[-6] in "+-" and value[-3] == ":"))
    ):
        return value  # the SDKs' own form (posthog: datetime.isoformat()); no need to parse it here
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return value  # the importer quarantines it: "... is not a time this mapping can read"
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).isoformat(sep=" ")


def _epoch_ms_iso(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _text(value)
    ms = value * 1000 if value < 1e11 else value  # 10 digits: seconds (the SDK's own rule)
    return dt.datetime.fromtimestamp(ms / 1000.0, dt.UTC).isoformat(sep=" ")


def _channel_label(value: Any, ctx: Context) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    cache = ctx.cache
    key = ("label", value)
    if key not in cache:
        cache[key] = _channel_label_uncached(value, ctx)
    return cache[key]


def _channel_label_uncached(value: str, ctx: Context) -> str | None:
    norm = vocab.normalize_label(value)
    if norm in ctx.settings.sources:
        return ctx.settings.sources[norm]
    if norm in vocab.CHANNELS:
        return norm
    return vocab.CHANNEL_LABELS.get(norm) or _SOURCE_ALIASES.get(norm)


def _referrer_channel(props: dict[str, Any], ctx: Context) -> str | None:
    domain = props.get("$referring_domain")
    if not isinstance(domain, str) or domain in ("", "$direct"):
        ref = props.get("$referrer")
        domain = urllib.parse.urlsplit(ref).hostname if isinstance(ref, str) and "://" in ref else None
    if not domain:
        return None
    domain = domain.lower()
    host = props.get("$host")
    if isinstance(host, str) and domain == host.lower():
        return None  # an internal link
    key = ("referrer", domain)
    if key not in ctx.cache:
        ctx.cache[key] = _domain_channel(domain, ctx)
    return ctx.cache[key]


def _domain_channel(domain: str, ctx: Context) -> str | None:
    for table in (ctx.settings.referrers, BUILTIN_REFERRERS):
        for suffix, ch in table.items():
            if domain == suffix or domain.endswith("." + suffix):
                return ch
    return None


@functools.lru_cache(maxsize=4096)
def _pii_kind(name: str) -> str | None:
    """The kind of personal data a property's name announces (property names repeat: cached)."""
    return next((kind for kind, pat in PII_HEADER_PATTERNS.items() if pat.search(name)), None)


def _mask_pii(props: dict[str, Any], key: bytes | None) -> dict[str, Any]:
    hits = [k for k in props if _pii_kind(k) is not None or k in ("$set", "$set_once")]
    if not hits:
        return props
    out = dict(props)
    for k in hits:
        v = out[k]
        if isinstance(v, dict):
            out[k] = _mask_pii(v, key)
            continue
        kind = _pii_kind(k)
        if kind is not None and isinstance(v, (str, int)) and not isinstance(v, bool) and str(v):
            out[k] = hash_identifier(key, kind, str(v)) if key is not None else f"<{kind}>"
    return out


def _content_id(prefix: str, record: dict[str, Any]) -> str:
    blob = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return prefix + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _action(event: str, ctx: Context) -> str | None:
    """The action of an event name, or None for SDK housekeeping ($-names without a mapping)."""
    mapped = ctx.settings.events.get(event) or BUILTIN_EVENTS.get(event)
    if mapped:
        return mapped
    return None if event.startswith("$") else event


def _event_row(
    *,
    event_id: str,
    ts: str | None,
    action: str,
    user_id: str | None,
    props: dict[str, Any],
    ctx: Context,
    rows: Rows,
    channel: str | None = None,
) -> None:
    """Append one event row; ``props`` is consumed (``channel`` given: taken as sent, for the importer)."""
    # The loader's hot loop: one pass over a few keys, no copies of props unless a key must change.
    if channel is None:
        if "channel" in props:
            channel = _channel_label(props.pop("channel"), ctx)
        if channel is None and "$channel" in props:
            channel = _channel_label(props.pop("$channel"), ctx)
        if channel is None and ctx.settings.utm_channel:
            channel = _channel_label(props.get("utm_source"), ctx) or _referrer_channel(props, ctx)
    channel = channel or ctx.channel
    cols: dict[str, str | None] = {}
    for c in _COLUMN_PROPS:
        if c in props:
            v = props.pop(c)
            cols[c] = v if type(v) is str else _text(v)
    if not cols.get("campaign_id") and "utm_campaign" in props:
        cols["campaign_id"] = _text(props["utm_campaign"])
    if not cols.get("content_id") and "utm_content" in props:
        cols["content_id"] = _text(props["utm_content"])
    value = None
    for v in _VALUE_PROPS:
        if v in props and props[v] not in (None, ""):
            value = props.pop(v)
            break
    props = _mask_pii(props, ctx.hmac_key)
    get = cols.get
    rows.events.append(
        [
            event_id,
            ts,
            channel,
            action,
            user_id,
            get("account_id"),
            get("content_id"),
            get("campaign_id"),
            get("parent_user_id"),
            get("parent_event_id"),
            get("product_id"),
            None if value is None else _text(value),
            _dumps(props) if props else None,
        ]
    )
    if channel != ctx.channel and user_id:
        rows.links.append([ctx.channel, user_id, channel, user_id, "bind"])


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _dumps(value: Any) -> str:
    """Compact JSON text, UTF-8 as is (orjson: several times faster; the standard library for what it refuses)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value, default=str).decode("utf-8")
        except TypeError:  # an integer wider than 64 bits, a non-text key
            pass
    return _ENCODER.encode(value)


def _bind(rows: Rows, ctx: Context, a: Any, b: Any) -> None:
    ua, ub = _text(a), _text(b)
    if ua and ub and ua != ub:
        rows.links.append([ctx.channel, ua, ctx.channel, ub, "bind"])


# -- the three formats -------------------------------------------------------------


def posthog_rows(records: Iterable[dict[str, Any]], ctx: Context) -> Rows:
    """PostHog v0/v1 events -> rows (v1 ``options`` and top-level ``session_id`` kept in props)."""
    rows = Rows()
    for r in records:
        event = r.get("event")
        props = r.get("properties")
        props = dict(props) if isinstance(props, dict) else {}
        distinct = _text(
            r.get("distinct_id") if r.get("distinct_id") is not None else props.get("distinct_id")
        )
        if not isinstance(event, str) or not event:
            event = ""
        if event in _IDENTITY_EVENTS:
            if event == "$identify":
                _bind(rows, ctx, props.get("$anon_distinct_id"), distinct)
            else:  # $create_alias / $merge_dangerously: distinct_id and alias are the same person
                _bind(rows, ctx, props.get("distinct_id") or distinct, props.get("alias"))
            rows.ignored += 1
            continue
        if event in _PROFILE_EVENTS:
            rows.ignored += 1
            continue
        action = _action(event, ctx) if event else ""
        if action is None:
            rows.ignored += 1
            continue
        for k in ("token", "api_key", "distinct_id"):
            props.pop(k, None)
        for k in ("session_id", "window_id"):
            if r.get(k):
                props["$" + k] = r[k]
        if r.get("$set"):
            props.setdefault("$set", r["$set"])
        uid = _text(r.get("uuid")) or _content_id("ph:", r)
        if action != event:
            props["$event"] = event
        _event_row(
            event_id=uid.lower(),
            ts=_utc_iso(r.get("timestamp")),
            action=action,
            user_id=distinct,
            props=props,
            ctx=ctx,
            rows=rows,
        )
    return rows


_SENSORS_PROFILE_TYPES: Final = frozenset(
    {
        "profile_set",
        "profile_set_once",
        "profile_increment",
        "profile_append",
        "profile_unset",
        "profile_delete",
        "item_set",
        "item_delete",
        "track_id_unbind",
    }
)


def _sensors_node(key: str, value: str, ctx: Context) -> tuple[str, str, str]:
    """(channel, id, link kind) of a Sensors identity (``$identity_login_id``, ``$identity_mobile`` ...)."""
    if key == "$identity_mobile":
        return (
            "other",
            hash_identifier(ctx.hmac_key, "phone", value) if ctx.hmac_key else "<phone>",
            "phone_hash",
        )
    if key == "$identity_email":
        return (
            "other",
            "email:" + (hash_identifier(ctx.hmac_key, "email", value) if ctx.hmac_key else "<email>"),
            "bind",
        )
    return ctx.channel, value, "bind"


def sensors_rows(records: Iterable[dict[str, Any]], ctx: Context) -> Rows:
    """Sensors Data records -> rows."""
    rows = Rows()
    for r in records:
        kind = r.get("type")
        props = r.get("properties")
        props = dict(props) if isinstance(props, dict) else {}
        distinct = _text(r.get("distinct_id"))
        if kind == "track_signup":
            _bind(rows, ctx, r.get("original_id"), distinct)
            rows.ignored += 1
            continue
        if kind == "track_id_bind":
            ids = r.get("identities")
            if isinstance(ids, dict):
                nodes = [_sensors_node(str(k), str(v), ctx) for k, v in ids.items() if _text(v)]
                for ch, uid, link_kind in nodes[1:]:
                    a_ch, a_id, _ = nodes[0]
                    if (a_ch, a_id) != (ch, uid):
                        rows.links.append([a_ch, a_id, ch, uid, link_kind])
            rows.ignored += 1
            continue
        if kind in _SENSORS_PROFILE_TYPES:
            rows.ignored += 1
            continue
        event = r.get("event")
        event = event if isinstance(event, str) else ""
        action = _action(event, ctx) if kind == "track" and event else (event or str(kind or ""))
        if action is None:
            rows.ignored += 1
            continue
        props.pop("$token", None)
        props.pop("$project", None)
        if isinstance(r.get("identities"), dict):
            props["$identities"] = r["identities"]
        track_id = r.get("_track_id")
        eid = _content_id(
            "sa:",
            {k: r.get(k) for k in ("distinct_id", "event", "time", "properties", "type")}
            | ({"_track_id": track_id} if track_id is not None else {}),
        )
        _event_row(
            event_id=eid,
            ts=_epoch_ms_iso(r.get("time")),
            action=action,
            user_id=distinct,
            props={"$event": event, **props} if action != event else props,
            ctx=ctx,
            rows=rows,
        )
    return rows


def native_rows(records: Iterable[dict[str, Any]], ctx: Context) -> Rows:
    """canyu's own records: the contract's column names; ``ts`` ISO 8601 (naive = UTC) or epoch ms."""
    rows = Rows()
    for r in records:
        r = dict(r)
        extra = r.pop("props", None)
        props = dict(extra) if isinstance(extra, dict) else ({"props": extra} if extra is not None else {})
        ts = r.pop("ts", None)
        channel = _text(r.pop("channel", None))
        for c in (*_COLUMN_PROPS, "value"):
            if c in r:
                props[c] = r.pop(c)
        event_id = _text(r.pop("event_id", None)) or _content_id(
            "cy:", {**r, "ts": ts, "channel": channel, **props}
        )
        action = _text(r.pop("action", None)) or ""
        user = _text(r.pop("user_id", None))
        props.update(r)  # anything else the sender added
        _event_row(
            event_id=event_id,
            ts=_epoch_ms_iso(ts) if isinstance(ts, (int, float)) else _utc_iso(ts, default_now=False),
            action=action,
            user_id=user,
            props=props,
            ctx=ctx,
            rows=rows,
            channel=channel,
        )
    return rows


ROW_BUILDERS: Final[dict[str, Callable[[Iterable[dict[str, Any]], Context], Rows]]] = {
    "posthog": posthog_rows,
    "sensors": sensors_rows,
    "native": native_rows,
}
