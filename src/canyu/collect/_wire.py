"""Request bodies as the real SDKs send them, decoded to a key and a list of raw records.

Sources (read from the senders' own code, the versions canyu's tests run):

- PostHog v0 — ``posthog`` (PyPI) ``request.post``: ``POST /batch/`` with JSON
  ``{"batch": [...], "historical_migration": bool, "sent_at": ISO, "api_key": KEY}``,
  ``Content-Encoding: gzip`` when ``gzip=True``, no auth header; only a 200 is
  success, 408/429/5xx are retried, other 4xx are final (``consumer._send``).
  The single-event endpoints (``/capture/``, ``/e/``, ``/i/v0/e/``, PostHog's
  capture API docs) take one event or a list, the key as ``api_key`` or
  ``token`` (also inside ``properties.token``, as posthog-js sends it), and
  posthog-js's ``?compression=gzip-js`` (gzip body) or ``base64`` (form ``data=``).
- PostHog v1 — ``posthog.capture_v1``: ``POST /i/v1/analytics/events`` with
  ``Authorization: Bearer KEY`` and ``{"created_at", "batch": [{"event", "uuid",
  "distinct_id", "timestamp", "options", "properties"}]}``, optionally gzip or
  zlib-deflate; a 2xx must carry ``{"results": {uuid: {"result": "ok"}}}`` or the
  client raises (``_parse_v1_response``).
- Sensors Data — ``sensorsanalytics.sdk`` ``DefaultConsumer``/``BatchConsumer``:
  ``POST URL`` (``/sa?project=P``), form-urlencoded ``data=<base64(gzip(json))>&gzip=1``
  or ``data_list=<base64(gzip(json array))>&gzip=1``; records carry ``type``,
  ``time`` (epoch ms), ``distinct_id``, ``event``, ``properties``, ``project`` and
  ``token`` when set. The JS SDK sends ``data=<base64(json)>`` without gzip, also as
  ``GET /sa.gif?data=...``. Any 2xx is success (``urllib`` raises on >= 400).
- native — canyu's own: ``{"events": [{event_id, ts, action, user_id, channel, ...}]}``
  with ``Authorization: Bearer KEY`` (or ``"api_key"`` in the body).
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from canyu.errors import CollectError

try:  # orjson parses 2-4x faster than the standard library; it is a dependency, the fallback is for safety
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None  # type: ignore[assignment]


def loads(data: bytes | str) -> Any:
    """JSON text -> Python values; orjson when it can, the standard library for what orjson refuses
    (integers wider than 64 bits, NaN), so both accept the same bodies."""
    if _orjson is not None:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass
    return json.loads(data)


__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DECODED_BYTES",
    "MAX_RECORDS",
    "Decoded",
    "decode_native",
    "decode_posthog_v0",
    "decode_posthog_v1",
    "decode_sensors",
    "loads",
    "records_of",
]

MAX_BODY_BYTES = 8 * 1024 * 1024  # on the wire (compressed or not)
MAX_DECODED_BYTES = 64 * 1024 * 1024  # once decompressed: bounds a gzip bomb
MAX_RECORDS = 20_000  # records in one request


@dataclass
class Decoded:
    """A decoded request: its ingest key (or Sensors project), the raw records, extras."""

    key: str | None
    records: list[dict[str, Any]]
    project: str | None = None  # Sensors: a project name that may be a key or an alias
    extras: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""  # the JSON text the records came from (spooled as is; see records_of)


def bad_request(
    message: str, message_zh: str, *, type: str = "malformed_body", key: str | None = None
) -> CollectError:
    return CollectError(message, message_zh=message_zh, status=400, type=type, ingest_key=key)


def _inflate(data: bytes, wbits: int) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(data, MAX_DECODED_BYTES + 1)
    except zlib.error as exc:
        raise bad_request(
            f"the body is not valid compressed data ({exc})", f"请求体不是有效的压缩数据（{exc}）"
        ) from exc
    if len(out) > MAX_DECODED_BYTES or d.unconsumed_tail:
        raise CollectError(
            f"the decompressed body is larger than {MAX_DECODED_BYTES} bytes",
            message_zh=f"解压后的请求体超过 {MAX_DECODED_BYTES} 字节",
            status=413,
            type="body_too_large",
        )
    return out


def decompress(body: bytes, encoding: str | None) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate — zlib-wrapped or raw — or none)."""
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity", "none"):
        return body
    if enc in ("gzip", "x-gzip", "gzip-js"):
        return _inflate(body, 31)
    if enc == "deflate":
        return _inflate(body, 15 if body[:1] == b"\x78" else -15)
    raise CollectError(
        f"unsupported Content-Encoding {encoding!r} (valid: gzip, deflate)",
        message_zh=f"不支持的 Content-Encoding {encoding!r}（可用：gzip、deflate）",
        status=415,
        type="unsupported_encoding",
    )


_ZH = {"the body": "请求体", "the data": "data 字段", "batch": "batch", "data": "data", "events": "events"}


def _json(data: bytes | str, what: str, key: str | None = None) -> Any:
    try:
        return loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(
            f"{what} is not valid JSON ({exc})", f"{_ZH.get(what, what)}不是有效的 JSON（{exc}）", key=key
        ) from exc


def _records(value: Any, what: str, key: str | None) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise bad_request(
            f"{what} must be a JSON object or a list of objects, got {type(value).__name__}",
            f"{_ZH.get(what, what)}必须是 JSON 对象或对象列表，实际为 {type(value).__name__}",
            key=key,
        )
    if len(value) > MAX_RECORDS:
        raise CollectError(
            f"{len(value)} records in one request; the limit is {MAX_RECORDS}",
            message_zh=f"单个请求 {len(value)} 条记录，上限为 {MAX_RECORDS}",
            status=413,
            type="too_many_records",
        )
    for i, r in enumerate(value):
        if not isinstance(r, dict):
            raise bad_request(
                f"{what}[{i}] is a {type(r).__name__}, not an object",
                f"{what}[{i}] 是 {type(r).__name__}，不是对象",
                key=key,
            )
    return value


def _one_key(candidates: list[str | None], what: str) -> str | None:
    found = {c for c in candidates if c}
    if len(found) > 1:
        raise bad_request(
            f"the request names {len(found)} different {what}s; send one per request",
            f"请求中包含 {len(found)} 个不同的{what}；每个请求只能用一个",
            type="mixed_keys",
        )
    return next(iter(found), None)


def _bearer(headers: Mapping[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _decompress_for(body: bytes, headers: Mapping[str, str], key: str | None) -> bytes:
    try:
        return decompress(body, headers.get("content-encoding"))
    except CollectError as exc:
        exc.ingest_key = key
        raise


def decode_posthog_v0(body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> Decoded:
    """PostHog ``/batch/``, ``/capture/``, ``/e/``, ``/i/v0/e/`` bodies (see the module docstring)."""
    compression = query.get("compression", "")
    data = decompress(
        body, headers.get("content-encoding") or (compression if compression.startswith("gzip") else None)
    )
    ctype = headers.get("content-type", "")
    if compression == "base64" or ctype.startswith("application/x-www-form-urlencoded"):
        form = urllib.parse.parse_qs(data.decode("latin-1"), keep_blank_values=True)
        raw = (form.get("data") or [""])[0]
        try:
            data = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise bad_request(
                f"the form field 'data' is not base64 ({exc})", f"表单字段 data 不是 base64（{exc}）"
            ) from exc
    doc = _json(data, "the body")
    top_key = doc.get("api_key") or doc.get("token") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and "batch" in doc:
        records = _records(doc["batch"], "batch", top_key)
        extras = {
            "sent_at": doc.get("sent_at"),
            "historical_migration": bool(doc.get("historical_migration")),
        }
    else:
        records = _records(doc, "the body", top_key)
        extras = {"sent_at": doc.get("sent_at") if isinstance(doc, dict) else None}
    if top_key is None:
        props = [r.get("properties") for r in records]
        top_key = _one_key(
            [r.get("api_key") or r.get("token") for r in records]
            + [p.get("token") if isinstance(p, dict) else None for p in props],
            "api key",
        )
    return Decoded(
        key=top_key or query.get("token") or query.get("api_key"), records=records, extras=extras, raw=data
    )


def decode_posthog_v1(body: bytes, headers: Mapping[str, str]) -> Decoded:
    """PostHog ``/i/v1/analytics/events``: Bearer key, ``{"created_at", "batch": [...]}``."""
    key = _bearer(headers)
    data = _decompress_for(body, headers, key)
    doc = _json(data, "the body", key)
    if not isinstance(doc, dict) or "batch" not in doc:
        raise bad_request(
            "a capture v1 body is an object with a 'batch' list",
            "capture v1 请求体应为含 batch 列表的对象",
            key=key,
        )
    return Decoded(
        key=key,
        records=_records(doc["batch"], "batch", key),
        extras={"created_at": doc.get("created_at")},
        raw=data,
    )


def decode_sensors(body: bytes, headers: Mapping[str, str], query: Mapping[str, str]) -> Decoded:
    """Sensors ``/sa`` form bodies (POST) or query strings (GET ``/sa.gif``)."""
    project = query.get("project") or None
    token = query.get("token") or None
    if body:
        text = decompress(body, headers.get("content-encoding")).decode("latin-1")
        form = {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}
    else:
        form = dict(query)
    raw = form.get("data_list") or form.get("data")
    if not raw:
        raise bad_request(
            "a Sensors body is a form with 'data' or 'data_list'",
            "神策请求体应为含 data 或 data_list 的表单",
            key=token or project,
        )
    try:
        decoded = base64.b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError) as exc:
        raise bad_request(
            f"the form field is not base64 ({exc})", f"表单字段不是 base64（{exc}）", key=token or project
        ) from exc
    if str(form.get("gzip", "0")) == "1" or decoded[:2] == b"\x1f\x8b":
        try:
            decoded = _inflate(decoded, 31)
        except CollectError as exc:
            exc.ingest_key = token or project
            raise
    doc = _json(decoded, "the data", token or project)
    records = _records(doc, "data", token or project)
    token = token or _one_key(
        [r.get("token") or (r.get("properties") or {}).get("$token") for r in records], "token"
    )
    project = project or _one_key([r.get("project") for r in records], "project")
    return Decoded(key=token, records=records, project=project, raw=decoded)


def decode_native(body: bytes, headers: Mapping[str, str]) -> Decoded:
    """canyu's own JSON: ``{"events": [...]}`` (or a list), Bearer key or ``api_key``."""
    bearer = _bearer(headers)
    data = _decompress_for(body, headers, bearer)
    doc = _json(data, "the body", bearer)
    key = bearer or (doc.get("api_key") if isinstance(doc, dict) else None)
    if isinstance(doc, dict):
        if "events" not in doc:
            raise bad_request(
                "a native body is an object with an 'events' list",
                "原生请求体应为含 events 列表的对象",
                key=key,
            )
        doc = doc["events"]
    return Decoded(key=key, records=_records(doc, "events", key), raw=data)


def records_of(doc: Any) -> list[dict[str, Any]]:
    """The records of a decoded JSON document of any of the formats (what the loader reads back)."""
    if isinstance(doc, dict):
        for name in ("batch", "events"):
            if name in doc:
                inner = doc[name]
                return [inner] if isinstance(inner, dict) else list(inner)
        return [doc]
    return list(doc)
