"""Real-shaped platform exports (tests/data/exports, built by build.py from shared/EXPORTS.md's layouts)
load with the shipped mappings: exact row counts and sums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import canyu
from canyu.errors import IngestError
from canyu.privacy import hash_identifier, load_key

EXPORTS = Path(__file__).parents[1] / "data" / "exports"


def _import(ws: canyu.Workspace, name: str, mapping: str) -> canyu.ingest.ImportResult:
    [res] = ws.import_files([EXPORTS / name], mapping=mapping)
    assert res.rows_loaded + res.rows_duplicate + res.rows_quarantined == res.rows_in
    return res


def _stats(ws: canyu.Workspace) -> list[dict[str, object]]:
    return ws.to_arrow(ws.table("content_stats").order_by(["date", "content_id"])).to_pylist()


def _sum(rows: list[dict[str, object]], col: str) -> float:
    return sum(float(r[col]) for r in rows if r[col] is not None)  # type: ignore[arg-type]


def _events(ws: canyu.Workspace) -> dict[str, dict[str, object]]:
    return {str(r["event_id"]): r for r in ws.to_arrow("events").to_pylist()}


def test_wechat_tendency_xlsx_with_a_title_row(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "wechat_tendency.xlsx", "wechat_tendency")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (7, 7, 0)
    rows = _stats(workspace)
    assert (_sum(rows, "views"), _sum(rows, "shares"), _sum(rows, "collects")) == (8072, 543, 76)
    assert {r["channel"] for r in rows} == {"wechat_oa"} and str(rows[0]["date"]) == "2026-10-01"


def test_wechat_single_article_csv(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "wechat_single_articles.csv", "wechat_articles")
    assert (res.rows_in, res.rows_loaded) == (6, 6)
    rows = _stats(workspace)
    assert (_sum(rows, "views"), _sum(rows, "follows_gained"), _sum(rows, "exposes")) == (15811, 177, 91697)
    assert rows[0]["content_id"] == "国庆新品首发｜三款秋季限定上市" and str(rows[0]["date"]) == "2026-10-01"


def test_wechat_getarticletotal_running_totals_become_daily_values(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "wechat_getarticletotal.json", "wechat_article_total")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate) == (
        14,
        14,
        0,
    )  # 7 days per article, none collapsed
    rows = _stats(workspace)
    first = [r for r in rows if r["content_id"] == "2247483912_1"]
    assert [r["views"] for r in first] == [1754, 1136, 622, 468, 321, 169, 87]
    assert _sum(first, "views") == 4557  # the day-7 running total
    assert (_sum(rows, "views"), _sum(rows, "shares"), _sum(rows, "exposes")) == (6764, 359, 30474)
    [again] = workspace.import_files(
        [EXPORTS / "wechat_getarticletotal.json"], mapping="wechat_article_total"
    )
    assert (again.rows_loaded, again.rows_duplicate) == (0, 14)


def test_wechat_user_analysis_xls_that_is_html(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "user_analysis.xls", "wechat_user_analysis")
    assert (res.format, res.rows_in, res.rows_loaded) == ("html", 7, 7)
    assert _sum(_stats(workspace), "follows_gained") == 789
    # the account's daily reads (数据趋势) and follows (用户分析) fill the same day's row
    _import(workspace, "wechat_tendency.xlsx", "wechat_tendency")
    rows = _stats(workspace)
    assert len(rows) == 7 and (_sum(rows, "views"), _sum(rows, "follows_gained")) == (8072, 789)


def test_weibo_export_and_api_json(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "weibo_posts.csv", "weibo_posts")
    assert (res.rows_in, res.rows_loaded) == (5, 5)
    rows = _stats(workspace)
    assert (_sum(rows, "views"), _sum(rows, "shares")) == (94840, 2675)  # "2.3万", "-" as empty
    res = _import(workspace, "weibo_statuses.json", "weibo_statuses")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate) == (3, 3, 0)  # fills account_id: new figures
    by_id = {r["content_id"]: r for r in _stats(workspace)}
    # 'Fri Oct 02 07:10:00 +0800 2026' is 1 October in UTC, but the platform's day is the 2nd
    assert str(by_id["5082499023114492"]["date"]) == "2026-10-02"
    assert by_id["5082499023114492"]["account_id"] == "7820011223"
    assert _sum(list(by_id.values()), "likes") == 1208 + 3120 + 230 + 677 + 150


def test_douyin_works_and_daily_with_dashes(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "douyin_works.xlsx", "douyin_works")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (5, 5, 0)
    rows = _stats(workspace)
    assert (_sum(rows, "views"), _sum(rows, "follows_gained")) == (152700, 792)
    workspace.close()
    with canyu.create(workspace.path.parent / "ws2", locale="en") as ws:
        res = _import(ws, "douyin_daily.csv", "douyin_daily")
        assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (6, 6, 0)
        rows = _stats(ws)
        assert (_sum(rows, "views"), _sum(rows, "comments")) == (110400, 1788)


def test_a_file_for_another_platform_is_refused_with_a_ranking(workspace: canyu.Workspace) -> None:
    with pytest.raises(
        IngestError, match=r"1 of the 8 columns mapping weibo_daily.*fit this file best: douyin_daily"
    ):
        workspace.import_files([EXPORTS / "douyin_daily.csv"], mapping="weibo_daily")
    with pytest.raises(IngestError, match=r"no column for required field 'date'.*douyin_works"):
        workspace.import_files([EXPORTS / "douyin_works.xlsx"], mapping="douyin_daily")
    assert workspace.status().rows["content_stats"] == 0


def test_xiaohongshu_notes(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "xhs_notes.xlsx", "xiaohongshu_notes")
    assert (res.rows_in, res.rows_loaded) == (4, 4)
    rows = _stats(workspace)
    assert (_sum(rows, "exposes"), _sum(rows, "views"), _sum(rows, "collects")) == (56200, 11780, 1336)


def test_kuaishou_works(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "kuaishou_works.csv", "kuaishou_works")
    assert (res.rows_in, res.rows_loaded) == (3, 3)
    assert _sum(_stats(workspace), "views") == 62100


def test_tmall_orders_and_refunds(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "tmall_orders.csv", "tmall_orders")
    assert (res.encoding, res.rows_in, res.rows_loaded, res.rows_quarantined) == ("gb18030", 12, 12, 0)
    assert res.pii_columns == {"联系手机": "phone", "联系电话": "phone"}
    ev = _events(workspace)
    assert "3958123400011" in ev  # ="…" removed
    purchases = [e for e in ev.values() if e["action"] == "purchase"]
    leads = [e for e in ev.values() if e["action"] == "lead"]
    assert (len(purchases), round(_sum(purchases, "value"), 2), len(leads)) == (8, 1647.9, 4)
    assert str(ev["3958123400099"]["ts"]) == "2026-10-05 14:10:00"  # unpaid: a lead at 订单创建时间
    # two orders of one buyer in the same second with the same amount stay two
    assert ev["3958123400055"]["value"] == ev["3958123400066"]["value"] == 387.0
    props = json.loads(str(ev["3958123400011"]["props"]))
    assert "收货人姓名" not in props and "收货地址 " not in props and "收货地址" not in props
    assert props["联系手机"] == hash_identifier(load_key(workspace.config), "phone", "13800138000")
    assert props["退款金额"] == "0.00"
    res = _import(workspace, "tmall_refunds.csv", "tmall_refunds")
    assert (res.rows_in, res.rows_loaded) == (2, 2)
    refunds = [e for e in _events(workspace).values() if e["action"] == "refund"]
    assert sorted(str(r["parent_event_id"]) for r in refunds) == ["3958123400044", "3958123400077"]
    assert all(
        r["parent_event_id"] in ev and ev[str(r["parent_event_id"])]["action"] == "purchase" for r in refunds
    )
    assert _sum(refunds, "value") == 149.0
    raw = workspace.quarantine().to_pylist()
    assert raw == []
    workspace.close()
    db = (workspace.path / "canyu.duckdb").read_bytes()
    assert "张伟".encode() not in db and "文三路".encode() not in db and b"13800138000" not in db


def test_receiver_columns_kept_by_a_mapping_are_hashed(workspace: canyu.Workspace, tmp_path: Path) -> None:
    from canyu.ingest import shipped_mappings

    text = shipped_mappings()["tmall_orders"].read_text(encoding="utf-8")
    mapping = tmp_path / "tmall_keep_names.toml"
    mapping.write_text(
        text.replace("[pii]\n", '[pii]\nname = ["收货人姓名"]\naddress = ["收货地址"]\n'), encoding="utf-8"
    )
    [res] = workspace.import_files([EXPORTS / "tmall_orders.csv"], mapping=mapping)
    assert res.pii_columns["收货人姓名"] == "name" and res.pii_columns["收货地址"] == "address"
    props = json.loads(str(_events(workspace)["3958123400011"]["props"]))
    assert props["收货人姓名"] == hash_identifier(load_key(workspace.config), "name", "张伟")
    assert "文三路" not in props["收货地址"]


def test_youzan_orders_nested_json(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "youzan_orders.json", "youzan_orders")
    assert (res.format, res.rows_in, res.rows_loaded) == ("json", 4, 4)
    ev = _events(workspace)
    purchases = [e for e in ev.values() if e["action"] == "purchase"]
    assert (len(purchases), round(_sum(purchases, "value"), 2)) == (2, 258.14)
    assert ev["E20261003090000000303"]["action"] == "lead"
    assert str(ev["E20261003090000000303"]["ts"]) == "2026-10-03 01:00:00"
    props = json.loads(str(ev["E20261001203011000101"]["props"]))
    assert props["buyer_info.outer_user_id"] == "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    assert not any(k.startswith("address_info.receiver_name") or "delivery_address" in k for k in props)


def test_jd_orders_nested_json(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "jd_orders.json", "jd_orders")
    assert (res.rows_in, res.rows_loaded) == (3, 3)
    ev = _events(workspace)
    purchases = [e for e in ev.values() if e["action"] == "purchase"]
    assert (len(purchases), _sum(purchases, "value"), ev["289011223366"]["action"]) == (2, 407.0, "lead")
    props = json.loads(str(ev["289011223344"]["props"]))
    assert "consigneeInfo.fullname" not in props and "consigneeInfo.fullAddress" not in props
    assert props["consigneeInfo.mobile"] == hash_identifier(
        load_key(workspace.config), "phone", "13900139000"
    )


def test_wecom_contacts(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "wecom_contacts.json", "wecom_contacts")
    assert (res.rows_in, res.rows_loaded) == (4, 4)
    ev = sorted(_events(workspace).values(), key=lambda e: str(e["ts"]))
    assert [e["action"] for e in ev] == ["follow"] * 4 and {e["channel"] for e in ev} == {"wecom"}
    assert str(ev[0]["ts"]) == "2026-10-05 12:00:00" and ev[0]["account_id"] == "zhangsan"
    assert ev[0]["campaign_id"] == "qr_oct_launch"
    assert "13800138000" not in str(ev[0]["props"])


def test_spend_long_and_wide(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "spend_long.csv", "spend_daily")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (8, 8, 0)
    rows = workspace.to_arrow("spend").to_pylist()
    assert len(rows) == 7 and _sum(rows, "amount") == 12400  # two 抖音 rows of 10-02 summed
    workspace.close()
    with canyu.create(workspace.path.parent / "ws2", locale="en") as ws:
        res = _import(ws, "spend_wide.xlsx", "spend_wide")
        assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (13, 13, 0)
        rows = ws.to_arrow("spend").to_pylist()
        assert _sum(rows, "amount") == 17650.5
        assert {r["channel"] for r in rows} == {"weibo", "douyin", "xiaohongshu", "wechat_oa"}


def test_every_export_has_a_shipped_mapping_that_ranks_first() -> None:
    from canyu.ingest import suggest_mappings

    expected = {
        "wechat_tendency.xlsx": "wechat_tendency",
        "wechat_getarticletotal.json": "wechat_article_total",
        "douyin_daily.csv": "douyin_daily",
        "douyin_works.xlsx": "douyin_works",
        "tmall_refunds.csv": "tmall_refunds",
        "spend_long.csv": "spend_daily",
    }
    for name, mapping in expected.items():
        best = suggest_mappings(EXPORTS / name)[0]
        assert best.name == mapping, (name, best)
        assert not best.missing
