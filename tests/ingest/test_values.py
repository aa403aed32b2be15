"""Values as careless files hold them: zones in times, stray bytes, NaN and overflow, '-' cells."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import canyu
from canyu.ingest import detect_encoding, quarantine_reason

HEADER = "event_id,ts,channel,action,user_id,value\n"


def _events(ws: canyu.Workspace) -> dict[str, dict[str, object]]:
    return {str(r["event_id"]): r for r in ws.to_arrow("events").to_pylist()}


def _quarantine(ws: canyu.Workspace) -> dict[int, dict[str, object]]:
    return {int(r["row_number"]): r for r in ws.quarantine().to_pylist()}


def test_a_zone_in_the_value_wins(workspace: canyu.Workspace, tmp_path: Path) -> None:
    rows = {
        "t1": ("2026-10-01 09:00:00 UTC", "2026-10-01 09:00:00"),
        "t2": ("2026-10-01 09:00:00Z", "2026-10-01 09:00:00"),
        "t3": ("2026-10-01 09:00:00-05", "2026-10-01 14:00:00"),
        "t4": ("2026-10-01 09:00:00+05", "2026-10-01 04:00:00"),
        "t5": ("2026-10-01 09:00:00+0530", "2026-10-01 03:30:00"),
        "t6": ("2026-10-01T09:00:00+08:00", "2026-10-01 01:00:00"),
        "t7": ("2026-10-01 09:00:00 +08:00", "2026-10-01 01:00:00"),
        "t8": ("2026-10-01 09:00:00 America/New_York", "2026-10-01 13:00:00"),  # EDT, -4
        "t9": ("2026-10-01 09:00:00 GMT", "2026-10-01 09:00:00"),
        "t10": ("2026-10-01 09:00:00 PM", "2026-10-01 13:00:00"),  # 21:00 in Shanghai
        "t11": ("2026-10-01 09:00 AM", "2026-10-01 01:00:00"),
        "t12": ("Thu Oct 01 09:00:00 +0800 2026", "2026-10-01 01:00:00"),  # Weibo created_at
        "t13": ("2026-10-01 09:00:00", "2026-10-01 01:00:00"),  # no zone: the workspace's
        "t14": ("2026/10/01 09:00", "2026-10-01 01:00:00"),
        "t15": ("2026-10-01 09:00:00.250", "2026-10-01 01:00:00.250000"),
    }
    bad = {
        "b1": "2026-10-01 09:00:00 foo",
        "b2": "2026-10-01 09:00:00 CST",
        "b3": "2026-10-01 09:00:00+08:00 junk",
        "b4": "2026-10-01 09:00:00 Mars/Olympus",
    }
    lines = [f"{k},{v},web,click,u{k},\n" for k, (v, _) in rows.items()]
    lines += [f"{k},{v},web,click,u{k},\n" for k, v in bad.items()]
    path = tmp_path / "zones.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    [res] = workspace.import_files([path], table="events")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (19, 15, 4)
    got = _events(workspace)
    for k, (_, want) in rows.items():
        assert str(got[k]["ts"]) == want, k
    q = _quarantine(workspace)
    assert sorted(q) == [17, 18, 19, 20]
    assert q[17]["field"] == "ts" and "'foo' after the time" in str(q[17]["reason"])
    assert "ambiguous" in str(q[18]["reason"]) and "'CST'" in str(q[18]["reason"])
    assert "'junk'" in str(q[19]["reason"])
    assert "'Mars/Olympus'" in str(q[20]["reason"])
    assert "时区缩写 'CST' 有歧义" in quarantine_reason(q[18], "zh-CN")


def test_a_mapping_zone_reads_naive_times(workspace: canyu.Workspace, tmp_path: Path) -> None:
    mapping = tmp_path / "ny.toml"
    mapping.write_text('[mapping]\ntable = "events"\ntimezone = "America/New_York"\n', encoding="utf-8")
    path = tmp_path / "ny.csv"
    path.write_text(
        HEADER + "n1,2026-10-01 09:00:00,web,click,u1,\nn2,2026-12-01 09:00:00+08:00,web,click,u1,\n"
    )
    [res] = workspace.import_files([path], mapping=mapping)
    assert res.rows_loaded == 2
    got = _events(workspace)
    assert str(got["n1"]["ts"]) == "2026-10-01 13:00:00"  # EDT
    assert str(got["n2"]["ts"]) == "2026-12-01 01:00:00"  # the offset wins over the mapping's zone


def test_zone_aware_parquet_timestamps_are_instants(workspace: canyu.Workspace, tmp_path: Path) -> None:
    utc = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
    path = tmp_path / "tz.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": ["p1", "p2", "p3"],
                "ts": pa.array([utc, utc, utc], pa.timestamp("us", tz="UTC")),
                "channel": ["web"] * 3,
                "action": ["click"] * 3,
                "user_id": ["a", "b", "c"],
            }
        ),
        path,
    )
    [res] = workspace.import_files([path], table="events")
    assert res.rows_loaded == 3
    assert {str(r["ts"]) for r in _events(workspace).values()} == {"2026-10-01 09:00:00"}
    shanghai = tmp_path / "sh.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": ["s1"],
                "ts": pa.array([utc], pa.timestamp("ms", tz="Asia/Shanghai")),
                "channel": ["web"],
                "action": ["click"],
                "user_id": ["d"],
            }
        ),
        shanghai,
    )
    workspace.import_files([shanghai], table="events")
    assert str(_events(workspace)["s1"]["ts"]) == "2026-10-01 09:00:00"
    naive = tmp_path / "naive.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": ["n1"],
                "ts": pa.array([dt.datetime(2026, 10, 1, 9, 0)], pa.timestamp("us")),
                "channel": ["web"],
                "action": ["click"],
                "user_id": ["d"],
            }
        ),
        naive,
    )
    workspace.import_files([naive], table="events")
    assert str(_events(workspace)["n1"]["ts"]) == "2026-10-01 01:00:00"  # naive: the workspace's zone


def test_one_bad_byte_does_not_change_the_encoding(workspace: canyu.Workspace, tmp_path: Path) -> None:
    body = "".join(f"e{i},2026-10-01 08:00:00,微信公众号,阅读,用户{i},\n" for i in range(60)).encode("utf-8")
    lines = body.split(b"\n")
    lines[10] = lines[10].replace("用户10".encode(), b"\xff\xfe\xe7bad")
    path = tmp_path / "one_bad_byte.csv"
    path.write_bytes(HEADER.encode() + b"\n".join(lines))
    assert detect_encoding(path) == "utf-8"
    [res] = workspace.import_files([path], table="events")
    assert (res.encoding, res.rows_in, res.rows_loaded, res.rows_quarantined) == ("utf-8", 60, 59, 1)
    got = _events(workspace)
    assert got["e0"]["user_id"] == "用户0" and got["e0"]["channel"] == "wechat_oa"
    [q] = workspace.quarantine().to_pylist()
    assert q["row_number"] == 12  # header is row 1, e10 is row 12
    assert "\\xff\\xfe\\xe7bad" in str(q["reason"]) and "e10" in str(q["reason"])
    assert "不符合 utf-8 编码的字节" in quarantine_reason(q, "zh-CN")


def test_bad_bytes_in_a_gb18030_file(workspace: canyu.Workspace, tmp_path: Path) -> None:
    text = "".join(f"g{i},2026-10-01 08:00:00,微博,点赞,用户{i},{i}\n" for i in range(30))
    data = (HEADER + text).encode("gb18030").split(b"\n")
    data[5] = data[5] + b"\x80\xff"  # row 6 (g4)
    path = tmp_path / "gbk_bad.csv"
    path.write_bytes(b"\n".join(data))
    assert detect_encoding(path) == "gb18030"
    [res] = workspace.import_files([path], table="events")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (30, 29, 1)
    got = _events(workspace)
    assert got["g3"]["user_id"] == "用户3" and sum(float(r["value"] or 0) for r in got.values()) == 435 - 4
    [q] = workspace.quarantine().to_pylist()
    assert q["row_number"] == 6 and "用户4" in str(q["reason"]) and "\\x80\\xff" in str(q["reason"])


def test_bad_bytes_in_json_lines(workspace: canyu.Workspace, tmp_path: Path) -> None:
    ok = [
        json.dumps(
            {
                "event_id": f"j{i}",
                "ts": "2026-10-01 08:00:00",
                "channel": "forum",
                "action": "post",
                "user_id": f"用户{i}",
            },
            ensure_ascii=False,
        ).encode()
        for i in range(5)
    ]
    ok[2] = ok[2].replace("用户2".encode(), b"\xffx")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(ok) + b"\n")
    [res] = workspace.import_files([path], table="events")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (5, 4, 1)
    [q] = workspace.quarantine().to_pylist()
    assert q["row_number"] == 3 and "\\xffx" in str(q["reason"])


def test_nan_inf_overflow_and_negatives_quarantine_the_row(
    workspace: canyu.Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "stats.csv"
    path.write_text(
        "日期,作品ID,播放量,点赞量,评论量,分享量,收藏量,粉丝增量\n"
        "2026-10-01,v1,100,5,1,0,2,3\n"
        "2026-10-01,v2,NaN,5,1,0,2,3\n"
        "2026-10-01,v3,inf,5,1,0,2,3\n"
        "2026-10-01,v4,1e30,5,1,0,2,3\n"
        "2026-10-01,v5,-7,5,1,0,2,3\n"
        "2026-10-01,v6,-,—,N/A,--,,-2\n"
        "2026-10-01,v7,1.5万,5,1,0,2,3\n",
        encoding="utf-8",
    )
    [res] = workspace.import_files([path], mapping="douyin_daily")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (7, 3, 4)
    stats = {r["content_id"]: r for r in workspace.to_arrow("content_stats").to_pylist()}
    assert sorted(stats) == ["v1", "v6", "v7"]
    assert (
        stats["v6"]["views"] is None and stats["v6"]["likes"] is None and stats["v6"]["follows_gained"] == -2
    )
    assert stats["v7"]["views"] == 15000
    q = _quarantine(workspace)
    assert "not a finite number" in str(q[3]["reason"]) and "not a finite number" in str(q[4]["reason"])
    assert "too large" in str(q[5]["reason"])
    assert "negative" in str(q[6]["reason"]) and "负数" in quarantine_reason(q[6], "zh-CN")
    events = tmp_path / "values.csv"
    events.write_text(
        HEADER + "v1,2026-10-01 08:00:00,web,purchase,u1,nan\nv2,2026-10-01 08:00:00,web,purchase,u1,-inf\n"
    )
    [res] = workspace.import_files([events], table="events")
    assert (res.rows_loaded, res.rows_quarantined) == (0, 2)


def test_dash_in_a_required_column_is_missing(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    path.write_text("date,channel,amount\n2026-10-01,weibo,-\n2026-10-01,douyin,100\n", encoding="utf-8")
    [res] = workspace.import_files([path], table="spend")
    assert (res.rows_loaded, res.rows_quarantined) == (1, 1)
    [q] = workspace.quarantine().to_pylist()
    assert q["field"] == "amount" and q["reason"] == "required field 'amount' is empty"


def test_reasons_in_both_languages(workspace: canyu.Workspace, data_dir: Path) -> None:
    workspace.import_files([data_dir / "events_broken.csv"], mapping="generic_events")
    q = _quarantine(workspace)
    assert "closest valid: 'like'" in quarantine_reason(q[4], "en")
    assert quarantine_reason(q[4], "zh-CN").startswith("'liek' 不是有效的行为；最接近的有效值：'like'")
    assert json.loads(str(q[4]["reason_code"]))["key"] == "unknown_label"
    assert quarantine_reason(q[5], "zh-CN") == "必填字段 'user_id' 为空"
    assert quarantine_reason(q[7], "zh-CN") == "无法拆分的行：应有 7 列，实际 3 列"
    for row in q.values():  # the stored English text is the English rendering
        assert quarantine_reason(row, "en") == row["reason"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_every_reason_renders(locale: str) -> None:
    from canyu.ingest import REASONS, render_reason

    args = {"field": "f", "value": "v", "text": "t", "detail": "d", "encoding": "utf-8", "line": "l"}
    args |= {"expected": 2, "found": 3, "cell": "B2", "closest": None, "valid": "a"}
    args |= {"path": "/batch/", "message": "m", "message_zh": "m"}
    for key in REASONS:
        text = render_reason(key, args, locale)
        assert "{" not in text and text, key
