"""The mentions table: Weibo comment and mention exports, a listening-tool export and the simulator's
mentions.csv load with their shipped mappings, with exact counts and texts kept as written."""

from __future__ import annotations

from pathlib import Path

import canyu
from canyu.store import TABLES

EXPORTS = Path(__file__).parents[1] / "data" / "exports"


def _import(ws: canyu.Workspace, name: str, mapping: str) -> canyu.ingest.ImportResult:
    [res] = ws.import_files([EXPORTS / name], mapping=mapping)
    assert res.rows_loaded + res.rows_duplicate + res.rows_quarantined == res.rows_in
    return res


def _mentions(ws: canyu.Workspace) -> dict[str, dict[str, object]]:
    return {str(r["mention_id"]): r for r in ws.to_arrow("mentions").to_pylist()}


def test_the_table_is_in_the_contract() -> None:
    assert TABLES["mentions"].names[:10] == (
        "mention_id",
        "ts",
        "channel",
        "author_id",
        "text",
        "parent_id",
        "url",
        "likes",
        "reposts",
        "source",
    )
    assert TABLES["mentions"].key == ("mention_id",)


def test_weibo_comments_and_mentions(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "weibo_comments.json", "weibo_comments")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (5, 4, 1, 0)
    rows = _mentions(workspace)
    # a reply's parent is the comment it answers; a top-level comment's is the post
    assert rows["5082113400000003"]["parent_id"] == "5082113400000002"
    assert rows["5082113400000001"]["parent_id"] == "5082113394721281"
    assert rows["5082113400000001"]["text"] == "终于等到了！#国庆新品# 😍😍"
    assert str(rows["5082113400000001"]["ts"]) == "2026-10-01 01:12:00"  # UTC
    assert {r["channel"] for r in rows.values()} == {"weibo"}
    assert {r["source"] for r in rows.values()} == {"comments"}
    assert sum(int(r["likes"] or 0) for r in rows.values()) == 12 + 0 + 3 + 1  # type: ignore[call-overload]
    res = _import(workspace, "weibo_mentions.json", "weibo_mentions")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (4, 4, 0, 0)
    rows = _mentions(workspace)
    assert len(rows) == 8
    chain = rows["5082200000000003"]
    assert chain["parent_id"] == "5082200000000001"
    assert chain["text"] == "+1//@用户3002:冲！//@用户3001:#国庆新品# 三款都想要，@闺蜜 一起冲 🛒"
    long = str(rows["5082200000000004"]["text"])
    assert len(long) == 678 and long.startswith("用了一个月") and long.endswith("值得入手。")
    assert rows["5082200000000004"]["reposts"] == 9


def test_listening_export(workspace: canyu.Workspace) -> None:
    res = _import(workspace, "listening_export.csv", "listening_export")
    # 7 rows: L002 twice (duplicate), one without a time and one on an unknown platform (quarantined)
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (7, 4, 1, 2)
    rows = _mentions(workspace)
    assert set(rows) == {"L001", "L002", "https://www.douyin.com/video/77", "L004"}
    assert [rows[k]["channel"] for k in ("L001", "L002", "https://www.douyin.com/video/77")] == [
        "xiaohongshu",
        "weibo",
        "douyin",
    ]
    assert (
        rows["https://www.douyin.com/video/77"]["text"] == "开箱视频｜秋季限定三款对比"
    )  # the title stands in
    assert rows["L002"]["text"] == "客服一直不回，退货好难 😡 @品牌客服"  # a leading @ is kept
    assert sum(int(r["likes"]) for r in rows.values()) == 56 + 7 + 340 + 1  # type: ignore[call-overload]
    assert {r["source"] for r in rows.values()} == {"listening"}
    reasons = workspace.to_pandas(workspace.table("quarantine"))["field"].tolist()
    assert sorted(reasons) == ["channel", "ts"]


def test_simulated_mentions_are_imported(tmp_path: Path) -> None:
    from canyu.simulate import import_simulation

    sim = canyu.simulate(tmp_path / "files", people=300, days=21, seed=4)
    lines = (tmp_path / "files" / "mentions.csv").read_text(encoding="utf-8").count("\n") - 1
    with canyu.create(tmp_path / "ws", brand="sim") as ws:
        results = import_simulation(ws, sim.path)
        [res] = [r for r in results if Path(str(r.source)).name == "mentions.csv"]
        assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (lines, lines, 0)
        assert ws.to_arrow("mentions").num_rows == lines
        # the simulator's taxonomy is declared in canyu.toml, the topic names among the seeds
        assert list(ws.config.topics) == list(sim.truth["agenda"]["topics"])
        assert all(topic in seeds for topic, seeds in ws.config.topics.items())
    reopened = canyu.config.load_config(tmp_path / "ws")
    assert reopened.topics == ws.config.topics
