"""Records -> rows: actions, channels from utm and referrers, identity links, times, personal data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canyu.collect._events import (
    EVENT_COLUMNS,
    CollectSettings,
    Context,
    load_collect_settings,
    native_rows,
    posthog_rows,
    sensors_rows,
)
from canyu.errors import ConfigError

CTX = Context("web", CollectSettings(), b"k" * 32)


def _row(rows: list[list[object]], i: int = 0) -> dict[str, object]:
    return dict(zip(EVENT_COLUMNS, rows[i], strict=True))


@pytest.mark.parametrize(
    ("props", "channel"),
    [
        ({"utm_source": "weibo"}, "weibo"),
        ({"utm_source": "小红书"}, "xiaohongshu"),
        ({"utm_source": "XHS"}, "xiaohongshu"),
        ({"$referring_domain": "m.weibo.cn"}, "weibo"),
        ({"$referrer": "https://www.xiaohongshu.com/explore/1"}, "xiaohongshu"),
        ({"$referrer": "https://h5.brand.cn/a", "$host": "h5.brand.cn"}, "web"),  # an internal link
        ({"$referring_domain": "$direct"}, "web"),
        ({"channel": "企业微信", "utm_source": "weibo"}, "wecom"),  # an explicit channel wins
        ({"utm_source": "newsletter"}, "web"),
    ],
)
def test_channel_from_utm_and_referrer(props: dict[str, str], channel: str) -> None:
    rows = posthog_rows([{"event": "$pageview", "distinct_id": "u", "uuid": "A", "properties": props}], CTX)
    assert _row(rows.events)["channel"] == channel
    assert rows.links == ([] if channel == "web" else [["web", "u", channel, "u", "bind"]])


def test_actions_events_map_and_housekeeping(tmp_path: Path) -> None:
    (tmp_path / "collect.toml").write_text('[events]\norder_paid = "purchase"\n', encoding="utf-8")
    ctx = Context("web", load_collect_settings(tmp_path), None)
    recs = [
        {"event": "order_paid", "distinct_id": "u", "uuid": "1", "properties": {"amount": 12.5}},
        {"event": "$pageleave", "distinct_id": "u", "uuid": "2"},
        {"event": "$set", "distinct_id": "u", "uuid": "3", "$set": {"name": "x"}},
        {"event": "signup_clicked", "distinct_id": "u", "uuid": "4"},
    ]
    rows = posthog_rows(recs, ctx)
    assert [(_row(rows.events, i)["action"], _row(rows.events, i)["value"]) for i in range(2)] == [
        ("purchase", "12.5"),
        ("signup_clicked", None),  # the importer quarantines it with the closest action
    ]
    assert rows.ignored == 2
    (tmp_path / "collect.toml").write_text('[sources]\nwb = "weiboo"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="weiboo"):
        load_collect_settings(tmp_path)


def test_times_become_utc_or_stay_for_the_importer() -> None:
    recs = [
        {"event": "$pageview", "distinct_id": "u", "uuid": "1", "timestamp": "2026-11-30T20:15:00+08:00"},
        {"event": "$pageview", "distinct_id": "u", "uuid": "2", "timestamp": "2026-11-30 12:15:00"},
        {"event": "$pageview", "distinct_id": "u", "uuid": "3", "timestamp": "yesterday"},
    ]
    ts = [_row(posthog_rows(recs, CTX).events, i)["ts"] for i in range(3)]
    assert ts == ["2026-11-30T20:15:00+08:00", "2026-11-30 12:15:00+00:00", "yesterday"]
    sa = sensors_rows(
        [{"type": "track", "event": "$pageview", "distinct_id": "u", "time": 1764590400000}], CTX
    )
    assert _row(sa.events)["ts"] == "2025-12-01 12:00:00+00:00"


def test_sensors_ids_are_stable_and_identities_link() -> None:
    rec = {
        "type": "track",
        "event": "$pageview",
        "distinct_id": "u",
        "time": 1764590400000,
        "properties": {"a": 1},
    }
    assert sensors_rows([rec], CTX).events[0][0] == sensors_rows([dict(rec)], CTX).events[0][0]
    other = sensors_rows([dict(rec, time=1764590400001)], CTX).events[0][0]
    assert other != sensors_rows([rec], CTX).events[0][0]
    bind = {
        "type": "track_id_bind",
        "event": "$BindID",
        "distinct_id": "m1",
        "time": 1764590400000,
        "identities": {
            "$identity_login_id": "m1",
            "$identity_anonymous_id": "d1",
            "$identity_mobile": "138-0013-8000",
        },
    }
    links = sensors_rows([bind], CTX).links
    assert links[0] == ["web", "m1", "web", "d1", "bind"]
    assert links[1][2:] == ["other", links[1][3], "phone_hash"] and "13800138000" not in links[1][3]


def test_personal_data_in_properties_is_hashed() -> None:
    props = {"phone": "13800138000", "$set": {"email": "A@b.cn"}, "city": "杭州"}
    rows = posthog_rows([{"event": "lead", "distinct_id": "u", "uuid": "1", "properties": props}], CTX)
    out = json.loads(str(_row(rows.events)["props"]))
    assert out["city"] == "杭州" and len(out["phone"]) == 64 and len(out["$set"]["email"]) == 64
    no_key = posthog_rows(
        [{"event": "lead", "distinct_id": "u", "uuid": "1", "properties": {"mobile": "13800138000"}}],
        Context("web", CollectSettings(), None),
    )
    assert json.loads(str(_row(no_key.events)["props"]))["mobile"] == "<phone>"


def test_native_records_keep_their_channel_for_the_importer() -> None:
    rows = native_rows(
        [{"ts": "2026-11-30T10:00:00+08:00", "action": "view", "user_id": "u", "channel": "weiboo"}], CTX
    )
    row = _row(rows.events)
    assert row["channel"] == "weiboo"  # quarantined by the importer, not moved to another channel
    assert str(row["event_id"]).startswith("cy:")
