"""The CLI speaks the workspace's language; ``canyu mappings show/suggest``; ``canyu import --sheet``.

Tables are printed 200 columns wide (``COLUMNS``) so a header is never wrapped or cut.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from canyu.cli import app

runner = CliRunner()
DATA = Path(__file__).parent.parent / "data"
WIDE = {"COLUMNS": "200"}

#: Shares on weibo: a → b → (c views), a → d → (e views); c and e then buy.
EVENTS = """event_id,ts,channel,action,user_id,content_id,campaign_id,parent_user_id,value
s1,2026-10-01 09:00:00,weibo,share,a,c1,camp1,,
s2,2026-10-01 09:10:00,weibo,share,b,c1,camp1,a,
s3,2026-10-01 09:20:00,weibo,view,c,c1,camp1,b,
s4,2026-10-01 09:30:00,weibo,share,d,c1,camp1,a,
s5,2026-10-01 09:40:00,weibo,view,e,c1,camp1,d,
p1,2026-10-02 10:00:00,weibo,purchase,c,,camp1,,99
p2,2026-10-02 11:00:00,weibo,purchase,e,,camp1,,59
"""
FOLLOWS = """channel,follower_id,followee_id,ts
weibo,b,a,2026-09-01 00:00:00
weibo,d,a,2026-09-01 00:00:00
weibo,c,b,2026-09-01 00:00:00
weibo,e,d,2026-09-01 00:00:00
"""


def _invoke(*args: str, env: dict[str, str] | None = None) -> str:
    r = runner.invoke(app, list(args), env={**WIDE, **(env or {})})
    assert r.exit_code == 0, r.output
    return r.stdout


def _flat(text: str) -> str:
    """``text`` without whitespace: a title wrapped to its table's width still matches."""
    return "".join(text.split())


def _workspace(tmp_path: Path, locale: str) -> str:
    """A workspace in ``locale`` with a two-branch share cascade, two orders and its follow graph."""
    ws = tmp_path / f"ws-{locale}"
    events, follows = tmp_path / "events.csv", tmp_path / "follows.csv"
    events.write_text(EVENTS, encoding="utf-8")
    follows.write_text(FOLLOWS, encoding="utf-8")
    _invoke("init", str(ws), "--locale", locale)
    _invoke("import", str(ws), str(events), "-m", "generic_events")
    _invoke("import", str(ws), str(follows), "--table", "follows")
    return str(ws)


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("locales")
    return {loc: _workspace(tmp, loc) for loc in ("zh-CN", "en")}


def test_analysis_tables_in_chinese(workspaces: dict[str, str]) -> None:
    ws = workspaces["zh-CN"]
    out = _invoke("cascades", ws)
    assert "1 个转发级联；0.0% 的上游关系由关注关系和时间推断" in out
    for header in ("级联", "渠道", "活动", "规模", "结构病毒性", "KOL / KOC 排名", "排名", "用户", "K 因子"):
        assert header in out, header
    assert "cascade" not in out and "K-factor" not in out
    out = _invoke("seeds", ws, "--k", "2", "--budget", "2000")
    for header in ("排名", "种子", "边际传播人数", "累计传播人数", "成本", "wc模型，k=1", "期望传播5.0人"):
        assert header in _flat(out), header
    assert "，成本 510.00（预算 2,000.00）" in out and "rank" not in out
    out = _invoke("attribute", ws, "--model", "last_touch")
    assert "渠道" in out and "2笔转化中2笔有触点：2次转化" in _flat(out) and "conversions" not in out
    out = _invoke("attribute", ws, "--model", "markov")
    assert "移除效应：weibo 1.000" in out


def test_analysis_tables_in_english(workspaces: dict[str, str]) -> None:
    ws = workspaces["en"]
    out = _invoke("cascades", ws)
    assert "1 cascades; 0.0% of parent links inferred from follows and timing" in out
    for header in ("cascade", "channel", "virality", "KOL / KOC", "rank", "person", "K-factor"):
        assert header in out, header
    assert "排名" not in out
    out = _invoke("seeds", ws, "--k", "2", "--budget", "2000")
    for header in ("rank", "seed", "marginal spread", "cumulative spread", "cost"):
        assert header in out, header
    assert ":wc,k=1" in _flat(out)
    assert "expected spread 5.0 of 5 nodes, cost 510.00 of 2,000.00;" in out
    out = _invoke("attribute", ws, "--model", "last_touch")
    assert "channel" in out and ":2of2conversionshadatouch:2conversions" in _flat(out)


def test_file_commands_follow_the_environment(tmp_path: Path) -> None:
    star = tmp_path / "star.txt"
    star.write_text("0 1\n0 2\n0 3\n", encoding="utf-8")
    zh = {"CANYU_LOCALE": "zh-CN"}
    out = _invoke(
        "spread", "--graph", str(star), "--seeds", "0", "--runs", "20", "--model", "ic", "--p", "1", env=zh
    )
    assert "期望传播人数" in out and "标准误" in out and "4 个节点，3 条边" in out
    out = _invoke("spread", "--graph", str(star), "--seeds", "0", "--runs", "20", "--model", "ic", "--p", "1")
    assert "expected spread" in out and "4 nodes, 3 edges" in out
    out = _invoke("seeds", "--graph", str(star), "--k", "1", env=zh)
    assert "排名" in out and "种子" in out
    out = _invoke("attribute", "--paths", str(DATA / "paths.csv"), "--model", "markov", env=zh)
    assert "渠道" in out and "paths.csv：20次转化" in _flat(out) and "移除效应：" in out
    assert "名称" in _invoke("mappings", env=zh) and "name" in _invoke("mappings")


def test_quarantine_reasons_in_the_workspace_language(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    _invoke("init", ws, "--locale", "zh-CN")
    _invoke("import", ws, str(DATA / "events_broken.csv"), "-m", "generic_events")
    out = _invoke("quarantine", ws)
    line = next(x for x in out.splitlines() if "liek" in x)
    assert "不是有效的行为" in line
    out = _invoke("quarantine", ws, "--limit", "2")
    assert "…… 另有 6 行（--limit、--json、--export）" in out
    en = str(tmp_path / "en")
    _invoke("init", en, "--locale", "en")
    _invoke("import", en, str(DATA / "events_broken.csv"), "-m", "generic_events")
    out = _invoke("quarantine", en, "--limit", "2")
    assert "… 6 more (--limit, --json, --export)" in out and "不是" not in out


def test_mappings_show(tmp_path: Path) -> None:
    out = _invoke("mappings", "show", "douyin_daily")
    head = out.splitlines()[0]
    assert head.startswith("douyin_daily → table content_stats — Douyin per-video daily figures")
    assert "format by extension" in out and "time zone the workspace's" in out
    row = next(x for x in out.splitlines() if " content_id " in x)
    assert "作品ID | item_id" in row
    assert "constant douyin" in next(x for x in out.splitlines() if " channel " in x)
    info = json.loads(_invoke("mappings", "show", "tmall_orders", "--json"))
    assert info["table"] == "events" and info["pii"]["phone"] == ["联系手机", "联系电话"]
    action = next(c for c in info["columns"] if c["column"] == "action")
    assert action["labels"]["交易成功"] == "purchase"
    out = _invoke("mappings", "show", "tmall_orders", env={"CANYU_LOCALE": "zh-CN"})
    assert out.startswith("tmall_orders → events 表") and "来源列" in out and "必填" in out
    assert "格式 按扩展名" in out and "时区 工作区的时区" in out
    assert "action 取值对照：交易成功 → purchase" in " ".join(out.split())
    # a mapping file is described as well as a shipped name
    toml = tmp_path / "mine.toml"
    toml.write_text('[mapping]\ntable = "follows"\n[columns]\nfollower_id = ["粉丝"]\n', encoding="utf-8")
    assert json.loads(_invoke("mappings", "show", str(toml), "--json"))["name"] == "mine"


def test_unknown_mapping_is_one_line_listing_the_shipped_ones() -> None:
    r = runner.invoke(app, ["mappings", "show", "douyin_dialy"])
    assert r.exit_code == 2 and r.stdout == ""
    line = r.stderr.strip()
    assert "\n" not in line and "'douyin_dialy'; did you mean 'douyin_daily'?" in line
    assert "tmall_orders" in line and "xiaohongshu_notes" in line


def test_mappings_suggest(tmp_path: Path) -> None:
    out = _invoke("mappings", "suggest", str(DATA / "exports" / "douyin_daily.csv"))
    rows = [x for x in out.splitlines() if x.startswith("│")]
    assert rows[0].split("│")[2].strip() == "douyin_daily" and "89%" in rows[0] and "8/9:" in rows[0]
    assert "Best fit: douyin_daily (canyu import DIR douyin_daily.csv --mapping douyin_daily)" in out
    ranked = json.loads(_invoke("mappings", "suggest", str(DATA / "exports" / "xhs_notes.xlsx"), "--json"))
    assert ranked[0]["name"] == "xiaohongshu_notes" and ranked[0]["score"] == 1.0
    assert {"name", "table", "score", "matched", "missing", "targets"} <= ranked[0].keys()
    assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)
    out = _invoke(
        "mappings", "suggest", str(DATA / "exports" / "xhs_notes.xlsx"), env={"CANYU_LOCALE": "zh-CN"}
    )
    assert "匹配度" in out and "最合适：xiaohongshu_notes" in out
    odd = tmp_path / "odd.csv"
    odd.write_text("foo,bar\n1,2\n", encoding="utf-8")
    out = _invoke("mappings", "suggest", str(odd))
    assert out.startswith("No shipped mapping reads odd.csv")


def test_import_sheet_and_dropped_columns(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "说明"
    notes.append(["导出说明", "本表由后台导出"])
    data = book.create_sheet("数据")
    data.append(["event_id", "ts", "channel", "action", "user_id"])
    data.append(["x1", "2026-10-01 09:00:00", "weibo", "view", "u1"])
    data.append(["x2", "2026-10-01 09:05:00", "weibo", "like", "u1"])
    xlsx = tmp_path / "two_sheets.xlsx"
    book.save(xlsx)
    ws = str(tmp_path / "ws")
    _invoke("init", ws, "--locale", "en")
    res = json.loads(_invoke("import", ws, str(xlsx), "-m", "generic_events", "--sheet", "数据", "--json"))
    assert res[0]["rows_in"] == 2 and res[0]["rows_loaded"] == 2
    out = _invoke("import", ws, str(DATA / "exports" / "tmall_orders.csv"), "-m", "tmall_orders")
    note = " ".join(next(x for x in out.splitlines() if "dropped" in x).split())
    assert note.startswith("tmall_orders.csv: dropped the columns 收货人姓名") and "收货地址" in note
    zh = str(tmp_path / "zh")
    _invoke("init", zh, "--locale", "zh-CN")
    out = _invoke("import", zh, str(DATA / "exports" / "tmall_orders.csv"), "-m", "tmall_orders")
    assert "tmall_orders.csv：已丢弃列 收货人姓名" in out and "收件人姓名与地址一律不保存" in out
    out = _invoke("import", zh, str(DATA / "events_basic.csv"), "-m", "generic_events")
    assert "已丢弃" not in out
