"""The real PostHog and Sensors Data SDKs send to a real uvicorn; their events land in the workspace."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import uuid
from pathlib import Path

import httpx
import posthog
import pytest
import sensorsanalytics
from collect_helpers import Root, Server, events_of, table_of

import canyu
from canyu.collect import collector_counts, collector_status, create_ingest_key, load_spool, revoke_ingest_key


def _posthog(key: str, url: str, errors: list[Exception], **kw: object) -> posthog.Posthog:
    return posthog.Posthog(key, host=url, on_error=lambda e, batch: errors.append(e), max_retries=0, **kw)


@pytest.mark.parametrize("gzip_body", [False, True], ids=["json", "gzip"])
def test_posthog_v0_batch_lands(root: Root, server: Server, gzip_body: bool) -> None:
    errors: list[Exception] = []
    client = _posthog(root.key_a, server.url, errors, flush_at=25, gzip=gzip_body)
    sent = []
    for i in range(60):
        sent.append(
            client.capture(
                "$pageview",
                distinct_id=f"visitor-{i % 7}",
                properties={"utm_source": "weibo", "utm_medium": "social", "utm_campaign": "618-launch"},
            )
        )
    client.capture("order_paid", distinct_id="visitor-1", properties={"value": 199.0, "product_id": "sku-1"})
    client.capture("purchase", distinct_id="visitor-1", properties={"value": 99.5, "mobile": "13800138000"})
    client.flush()
    client.shutdown()
    assert errors == []
    server.stop()
    ev = events_of(root.a)
    by_id = {e["event_id"]: e for e in ev}
    assert set(sent) <= set(by_id)  # the client's uuids are the event ids
    views = [e for e in ev if e["action"] == "view"]
    assert len(views) == 60
    assert {e["channel"] for e in views} == {"weibo"}
    assert {e["campaign_id"] for e in views} == {"618-launch"}
    assert {e["user_id"] for e in views} == {f"visitor-{i}" for i in range(7)}
    purchase = next(e for e in ev if e["action"] == "purchase")
    assert purchase["channel"] == "web" and purchase["value"] == 99.5
    assert "13800138000" not in purchase["props"]  # hashed before it reached the spool
    # the web visitor who came from Weibo is one person on both channels
    v1 = {e["person_id"] for e in ev if e["user_id"] == "visitor-1" and e["action"] in ("view", "purchase")}
    assert len(v1) == 1
    # 'order_paid' is not an action: quarantined with the closest valid one, not dropped
    counts = collector_counts(root.a)
    assert counts.accepted == 62 and counts.loaded == 61 and counts.quarantined == 1 and counts.pending == 0
    q = table_of(root.a, "quarantine")
    assert len(q) == 1 and "order_paid" in q[0]["reason"]
    assert events_of(root.b) == []


def test_posthog_v1_capture(root: Root, server: Server) -> None:
    errors: list[Exception] = []
    client = _posthog(
        root.key_a, server.url, errors, capture_mode="v1", capture_compression="gzip", flush_at=10
    )
    ts = dt.datetime(2026, 11, 30, 20, 15, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ids = [client.capture("$pageview", distinct_id=f"u{i}", timestamp=ts) for i in range(15)]
    client.flush()
    client.shutdown()
    assert errors == []  # the client raises unless every uuid came back "ok"
    server.stop()
    ev = events_of(root.a)
    assert sorted(e["event_id"] for e in ev) == sorted(ids)
    assert {e["ts"] for e in ev} == {dt.datetime(2026, 11, 30, 12, 15)}  # +08:00 -> UTC


def test_posthog_identity_links(root: Root, server: Server) -> None:
    errors: list[Exception] = []
    client = _posthog(root.key_a, server.url, errors, sync_mode=True)
    client.capture("$pageview", distinct_id="anon-1")
    client.alias(previous_id="anon-1", distinct_id="member-9")
    client.capture("purchase", distinct_id="member-9", properties={"value": 10})
    client.capture("$identify", distinct_id="member-9", properties={"$anon_distinct_id": "anon-2"})
    client.shutdown()
    assert errors == []
    server.stop()
    ev = events_of(root.a)
    assert {e["action"] for e in ev} == {"view", "purchase"}
    links = table_of(root.a, "identity_links")
    pairs = {(r["user_a"], r["user_b"]) for r in links}
    assert pairs == {("anon-1", "member-9"), ("anon-2", "member-9")}
    assert len({e["person_id"] for e in ev}) == 1  # the anonymous visit and the purchase are one person


def test_sensors_default_and_batch_consumers(root: Root, server: Server) -> None:
    sa = sensorsanalytics.SensorsAnalytics(
        sensorsanalytics.DefaultConsumer(f"{server.url}/sa?project={root.key_a}")
    )
    sa.track("user-1", "$pageview", {"$referrer": "https://m.weibo.cn/status/1", "$time": 1764590400000})
    sa.track_signup("user-1", "device-abc")
    sa.profile_set("user-1", {"city": "杭州"})
    batch = sensorsanalytics.BatchConsumer(f"{server.url}/sa?project={root.key_a}", max_size=20)
    sb = sensorsanalytics.SensorsAnalytics(batch)
    for i in range(45):
        sb.track(f"user-{i % 5}", "like", {"content_id": f"note-{i}", "utm_source": "小红书"})
    sb.bind(
        sensorsanalytics.SensorsAnalyticsIdentity(
            sensorsanalytics.SensorsAnalyticsIdentity.LOGIN_ID, "user-2"
        ),
        sensorsanalytics.SensorsAnalyticsIdentity(
            sensorsanalytics.SensorsAnalyticsIdentity.MOBILE, "13900139000"
        ),
    )
    sb.close()
    sb.flush()
    server.stop()
    ev = events_of(root.a)
    assert len(ev) == 46
    view = next(e for e in ev if e["action"] == "view")
    assert view["channel"] == "weibo" and view["ts"] == dt.datetime(2025, 12, 1, 12, 0)  # epoch ms -> UTC
    likes = [e for e in ev if e["action"] == "like"]
    assert len(likes) == 45 and {e["channel"] for e in likes} == {"xiaohongshu"}
    assert len({e["event_id"] for e in likes}) == 45
    links = {(r["channel_b"], r["kind"]) for r in table_of(root.a, "identity_links")}
    assert ("web", "bind") in links and ("other", "phone_hash") in links
    assert not any("13900139000" in json.dumps(r) for r in table_of(root.a, "identity_links"))
    counts = collector_counts(root.a)
    assert counts.ignored == 3  # signup, profile_set, bind: identity and profile records, not actions


def test_sensors_token_and_gif_forms(root: Root, server: Server) -> None:
    rec = {
        "type": "track",
        "event": "$pageview",
        "distinct_id": "u1",
        "time": 1764590400123,
        "properties": {},
    }
    data = base64.b64encode(json.dumps([rec]).encode()).decode()
    r = httpx.get(f"{server.url}/sa.gif", params={"data": data, "token": root.key_b})
    assert r.status_code == 200
    rec2 = dict(rec, token=root.key_b, distinct_id="u2")
    body = {"data_list": base64.b64encode(gzip.compress(json.dumps([rec2]).encode())).decode(), "gzip": "1"}
    assert httpx.post(f"{server.url}/sa", data=body).status_code == 200
    server.stop()
    assert sorted(e["user_id"] for e in events_of(root.b)) == ["u1", "u2"]
    assert events_of(root.a) == []


def test_native_endpoint(root: Root, server: Server) -> None:
    events = [
        {
            "event_id": "n1",
            "ts": "2026-11-30T10:00:00+08:00",
            "action": "下单",
            "user_id": "o1",
            "channel": "mini_program",
            "value": "88",
        },
        {"event_id": "n2", "ts": 1764468000000, "action": "join", "user_id": "o1", "channel": "wecom"},
        {
            "event_id": "n3",
            "ts": "2026-11-30 02:00:00",
            "action": "liek",
            "user_id": "o1",
            "channel": "wecom",
        },
    ]
    r = httpx.post(
        f"{server.url}/collect/v1/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {root.key_a}"},
    )
    assert r.status_code == 200 and r.json() == {"accepted": 3}
    server.stop()
    ev = {e["event_id"]: e for e in events_of(root.a)}
    assert (
        ev["n1"]["action"] == "purchase"
        and ev["n1"]["ts"] == dt.datetime(2026, 11, 30, 2, 0)
        and ev["n1"]["value"] == 88
    )
    assert ev["n2"]["channel"] == "wecom"
    q = table_of(root.a, "quarantine")
    assert len(q) == 1 and "closest valid: 'like'" in q[0]["reason"]


def test_unknown_and_revoked_keys_get_401_and_write_nothing(root: Root, server: Server) -> None:
    errors: list[Exception] = []
    client = _posthog("cyik_" + "0" * 32, server.url, errors, flush_at=1)
    client.capture("$pageview", distinct_id="x")
    client.shutdown()
    assert [getattr(e, "status", None) for e in errors] == [401]  # final for the client: not retried
    r = httpx.post(
        f"{server.url}/batch/",
        json={"api_key": "phc_wrong", "batch": [{"event": "$pageview", "distinct_id": "x"}]},
    )
    assert r.status_code == 401
    assert r.json()["error"]["type"] == "unknown_key" and set(r.json()["error"]) == {
        "type",
        "message",
        "message_zh",
    }
    with pytest.raises(sensorsanalytics.SensorsAnalyticsNetworkException):
        sensorsanalytics.SensorsAnalytics(
            sensorsanalytics.DefaultConsumer(f"{server.url}/sa?project=production")
        ).track("x", "$pageview")
    revoke_ingest_key(root.a, root.key_a)
    import time

    time.sleep(1.2)  # the key index re-reads keys.json at most once a second
    r = httpx.post(
        f"{server.url}/batch/",
        json={"api_key": root.key_a, "batch": [{"event": "$pageview", "distinct_id": "x"}]},
    )
    assert r.status_code == 401
    server.stop()
    for ws in (root.a, root.b):
        assert collector_counts(ws).accepted == 0
        assert not list((ws / ".collect" / "spool").glob("seg-*"))


def test_malformed_bodies_get_400_and_are_kept(root: Root, server: Server) -> None:
    url = server.url
    r = httpx.post(f"{url}/batch/", json={"api_key": root.key_a, "batch": "not a list"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "malformed_body"
    assert "must be a JSON object or a list" in r.json()["error"]["message"]
    r = httpx.post(
        f"{url}/i/v1/analytics/events",
        content=b"{not json",
        headers={"Authorization": f"Bearer {root.key_a}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/sa?project={root.key_a}", data={"data_list": "%%%", "gzip": "1"})
    assert r.status_code == 400
    r = httpx.post(f"{url}/batch/", content=b"\x00garbage", headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400  # no key can be read: refused, kept nowhere
    r = httpx.post(f"{url}/batch/", content=b"x" * (9 * 1024 * 1024))
    assert r.status_code == 413 and r.json()["error"]["type"] == "body_too_large"
    assert httpx.get(f"{url}/nope").json()["error"]["type"] == "not_found"
    server.stop()
    counts = collector_counts(root.a)
    assert counts.rejected == 3 and counts.accepted == 0
    kept = [json.loads(p.read_text()) for p in sorted((root.a / ".collect" / "rejected").glob("*.json"))]
    assert {k["path"] for k in kept} == {"/batch/", "/i/v1/analytics/events", "/sa"}
    assert collector_counts(root.b).rejected == 0
    # the loader copied each kept body into the store's quarantine, its reason in both languages
    from canyu.ingest import quarantine_reason

    def stored() -> list[dict[str, object]]:
        with canyu.open(root.a) as ws:
            q = ws.table("quarantine")
            return ws.to_arrow(q.filter(q.source == "collector:rejected").order_by("batch_id")).to_pylist()

    rows = stored()
    assert len(rows) == 3 and {r["table_name"] for r in rows} == {"events"}
    by_path = {json.loads(str(r["raw"]))["path"]: r for r in rows}
    assert set(by_path) == {"/batch/", "/i/v1/analytics/events", "/sa"}
    v1 = by_path["/i/v1/analytics/events"]
    assert "not valid JSON" in quarantine_reason(v1, "en") and "/i/v1/analytics/events" in str(v1["reason"])
    assert "不是有效的 JSON" in quarantine_reason(v1, "zh-CN")
    assert "采集服务拒绝了发往 /batch/ 的请求体" in quarantine_reason(by_path["/batch/"], "zh-CN")
    assert json.loads(str(by_path["/batch/"]["raw"]))["body"].startswith('{"api_key"')
    # a crash between the store's commit and the files' marking: the replay adds nothing
    files = sorted((root.a / ".collect" / "rejected").glob("*.stored.json"))
    assert len(files) == 3
    files[0].rename(files[0].with_name(files[0].name.replace(".stored.json", ".json")))
    assert load_spool(root.a).rejected_stored == 1
    assert load_spool(root.a).rejected_stored == 0
    assert len(stored()) == 3 and collector_counts(root.a).rejected == 3
    assert not any(r["source"] == "collector:rejected" for r in _quarantine_sources(root.b))


def _quarantine_sources(ws_path: Path) -> list[dict[str, object]]:
    with canyu.open(ws_path) as ws:
        return ws.to_arrow(ws.table("quarantine").select("source")).to_pylist()


def test_a_key_never_writes_to_another_workspace(root: Root, server: Server) -> None:
    # A's key in the body, B's in the query: the body's key decides; a batch naming two keys is refused.
    ev = {"event": "$pageview", "distinct_id": "x", "uuid": str(uuid.uuid4())}
    r = httpx.post(
        f"{server.url}/batch/", params={"token": root.key_b}, json={"api_key": root.key_a, "batch": [ev]}
    )
    assert r.status_code == 200
    mixed = [
        dict(ev, api_key=root.key_a, uuid=str(uuid.uuid4())),
        dict(ev, api_key=root.key_b, uuid=str(uuid.uuid4())),
    ]
    r = httpx.post(f"{server.url}/e/", json=mixed)
    assert r.status_code == 400 and r.json()["error"]["type"] == "mixed_keys"
    rec = {
        "type": "track",
        "event": "$pageview",
        "distinct_id": "u",
        "time": 1764590400000,
        "project": root.key_b,
    }
    form = {"data_list": base64.b64encode(gzip.compress(json.dumps([rec]).encode())).decode(), "gzip": "1"}
    r = httpx.post(f"{server.url}/sa?project={root.key_a}&token={root.key_a}", data=form)
    assert r.status_code == 200  # the request's token decides: the record lands in A, never in B
    server.stop()
    assert len(events_of(root.a)) == 2
    assert events_of(root.b) == []


def test_retries_with_the_same_uuids_change_nothing(root: Root, server: Server) -> None:
    batch = [
        {
            "event": "$pageview",
            "distinct_id": f"u{i}",
            "uuid": str(uuid.uuid4()),
            "timestamp": "2026-11-30T08:00:00+08:00",
        }
        for i in range(50)
    ]
    for _ in range(3):
        assert (
            httpx.post(f"{server.url}/batch/", json={"api_key": root.key_a, "batch": batch}).status_code
            == 200
        )
        load_spool(root.a)
    sa_rec = {
        "type": "track",
        "event": "$pageview",
        "distinct_id": "s1",
        "time": 1764590400000,
        "properties": {"a": 1},
    }
    form = {"data": base64.b64encode(json.dumps(sa_rec).encode()).decode()}
    for _ in range(2):
        assert httpx.post(f"{server.url}/sa?project={root.key_a}", data=form).status_code == 200
    server.stop()
    ev = events_of(root.a)
    assert len(ev) == 51 and len({e["event_id"] for e in ev}) == 51
    counts = collector_counts(root.a)
    assert counts.accepted == 152 and counts.loaded == 51 and counts.duplicate == 101


def test_key_with_a_sensors_project_alias_and_channel(root: Root, tmp_path: Path) -> None:
    create_ingest_key(root.b, "mini program", channel="mini_program", project="production")
    s = Server(root.path)
    try:
        sa = sensorsanalytics.SensorsAnalytics(
            sensorsanalytics.DefaultConsumer(f"{s.url}/sa?project=production")
        )
        sa.track("o_123", "$MPViewScreen", {"$url_path": "pages/index"})
    finally:
        s.stop()
    ev = events_of(root.b)
    assert [(e["channel"], e["action"], e["user_id"]) for e in ev] == [("mini_program", "view", "o_123")]


def test_live_counts_while_serving(root: Root) -> None:
    s = Server(root.path, load_interval=0.2)
    try:
        errors: list[Exception] = []
        client = _posthog(root.key_a, s.url, errors, flush_at=50)
        for i in range(100):
            client.capture("$pageview", distinct_id=f"u{i}")
        client.flush()
        client.shutdown()
        import time

        deadline = time.monotonic() + 90  # the loader process starts in seconds, more on a loaded machine
        while collector_counts(root.a).loaded < 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        counts = collector_counts(root.a)
        assert counts.accepted == 100 and counts.loaded == 100 and counts.pending == 0
        assert s.app.state.collector.live_counts()[str(root.a)]["accepted"] == 100
    finally:
        s.stop()
    with canyu.open(str(root.a)) as w:
        assert w.to_arrow(w.table("events")).num_rows == 100


def test_status_counts_the_flows_the_spool_and_the_lag(root: Root, server: Server) -> None:
    url = f"{server.url}/collect/v1/status"
    batch = [{"event": "$pageview", "distinct_id": f"u{i}", "uuid": str(uuid.uuid4())} for i in range(30)]
    r = httpx.post(f"{server.url}/batch/", json={"api_key": root.key_a, "batch": batch})
    assert r.status_code == 200
    r = httpx.post(f"{server.url}/batch/", json={"api_key": root.key_a, "batch": batch[:10]})  # a retry
    assert r.status_code == 200
    assert (
        httpx.post(
            f"{server.url}/batch/", content=b'{"api_key": "' + root.key_a.encode() + b'", "batch": 3}'
        ).status_code
        == 400
    )
    s = httpx.get(f"{url}/brand-a").json()
    assert s["collector_running"] is True
    assert {
        k: s["last_minute"][k] for k in ("requests", "received", "acknowledged", "rejected", "loaded")
    } == {
        "requests": 3,
        "received": 40,
        "acknowledged": 40,
        "rejected": 1,
        "loaded": 0,
    }
    assert s["spooled"] == 40 and s["loader_lag_s"] > 0 and s["totals"]["pending"] == 40
    [bad] = s["rejected_recent"]
    assert bad["type"] == "malformed_body" and "batch" in bad["reason"] and bad["path"] == "/batch/"
    collector = server.app.state.collector
    collector.loader_process = False
    collector.load_once()  # seal the open segment, load it here
    s = httpx.get(f"{url}/brand-a").json()
    assert (s["last_hour"]["loaded"], s["last_hour"]["duplicate"], s["spooled"], s["loader_lag_s"]) == (
        30,
        10,
        0,
        0.0,
    )
    assert s["last_load"]["records"] == 40 and s["last_load"]["lag_s"] >= 0
    other = httpx.get(f"{url}/brand-b").json()
    assert other["last_hour"]["acknowledged"] == 0 and other["totals"]["accepted"] == 0
    # relayed by a proxy, or an unknown workspace: refused in the one error shape
    r = httpx.get(f"{url}/brand-a", headers={"X-Forwarded-For": "203.0.113.9"})
    assert r.status_code == 403 and r.json()["error"]["type"] == "forbidden"
    assert httpx.get(f"{url}/..").status_code in (403, 404)
    assert httpx.get(f"{url}/brand-z").json()["error"]["type"] == "not_found"
    collector.status_auth = lambda request, ws: ws == "brand-b"
    assert httpx.get(f"{url}/brand-a").status_code == 403
    assert httpx.get(f"{url}/brand-b").status_code == 200
    # another process reads the same figures from the files (live.json is rewritten every second)
    server.stop()
    s = collector_status(root.a)
    assert s["last_hour"]["acknowledged"] == 40 and s["last_hour"]["rejected"] == 1
    assert s["last_hour"]["loaded"] == 30 and s["totals"]["loaded"] == 30
