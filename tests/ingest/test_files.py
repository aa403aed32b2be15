"""Deduplication of events and aggregates, mappings that help, and careless files: sheets, merged
cells, formulas, repeated headers, huge cells, renamed copies, formula injection, temporary copies."""

from __future__ import annotations

import csv
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import canyu
from canyu.errors import IngestError, UnknownNameError
from canyu.ingest import _readers, describe_mapping, shipped_mappings


def test_two_orders_in_one_second_are_two_rows(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "时间,渠道,行为,用户ID,金额,订单号\n"
        "2026-10-01 10:00:00,天猫,下单,u1,99.00,A1001\n"
        "2026-10-01 10:00:00,天猫,下单,u1,99.00,A1002\n"
        "2026-10-01 10:00:00,天猫,下单,u1,99.00,A1002\n",
        encoding="utf-8",
    )
    [res] = workspace.import_files([path], mapping="generic_events")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate) == (3, 2, 1)  # the real repeat is one duplicate
    assert sum(float(r["value"]) for r in workspace.to_arrow("events").to_pylist()) == 198.0


def test_a_path_file_keeps_every_conversion(
    workspace: canyu.Workspace, tmp_path: Path, rng: np.random.Generator
) -> None:
    """Like ChannelAttribution's Data.csv: 10,000 rows where the same path string repeats."""
    channels = ["weibo", "douyin", "wechat_oa", "xiaohongshu", "ecommerce", "forum"]
    distinct = [" > ".join(rng.choice(channels, size=rng.integers(1, 5))) for _ in range(800)]
    picks = rng.integers(0, len(distinct), 10_000)
    conv = rng.integers(0, 5, 10_000)
    value = np.round(conv * rng.uniform(20, 200, 10_000), 2)
    null = rng.integers(0, 20, 10_000)
    path = tmp_path / "Data.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["path", "total_conversions", "total_conversion_value", "total_null"])
        for i in range(10_000):
            w.writerow([distinct[picks[i]], int(conv[i]), float(value[i]), int(null[i])])
    [res] = workspace.import_files([path], mapping="channelattribution_paths")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (10_000, 10_000, 0, 0)
    rows = workspace.to_arrow("paths").to_pylist()
    assert len(rows) == len(set(distinct[i] for i in picks))
    assert sum(r["total_conversions"] for r in rows) == int(conv.sum())
    assert sum(r["total_null"] for r in rows) == int(null.sum())
    assert sum(r["total_conversion_value"] for r in rows) == pytest.approx(float(value.sum()))
    [again] = workspace.import_files([path], mapping="channelattribution_paths")
    assert (again.rows_loaded, again.rows_duplicate) == (0, 10_000)
    assert sum(r["total_conversions"] for r in workspace.to_arrow("paths").to_pylist()) == int(conv.sum())


def test_a_new_export_replaces_a_days_figures(workspace: canyu.Workspace, tmp_path: Path) -> None:
    header = "日期,作品ID,播放量,点赞量,评论量,分享量,收藏量,粉丝增量\n"
    first, second = tmp_path / "d1.csv", tmp_path / "d2.csv"
    first.write_text(header + "2026-10-01,v1,100,5,1,0,2,3\n2026-10-02,v1,50,1,0,0,0,1\n")
    second.write_text(header + "2026-10-01,v1,120,6,1,0,2,3\n")
    workspace.import_files([first], mapping="douyin_daily")
    [res] = workspace.import_files([second], mapping="douyin_daily")
    assert (res.rows_loaded, res.rows_duplicate) == (1, 0)
    rows = {str(r["date"]): r for r in workspace.to_arrow("content_stats").to_pylist()}
    assert (len(rows), rows["2026-10-01"]["views"], rows["2026-10-02"]["views"]) == (2, 120, 50)


def test_every_shipped_mapping_describes_itself() -> None:
    for name in shipped_mappings():
        info = describe_mapping(name)
        assert info["description"], name
        assert info["table"] and info["columns"], name
    info = describe_mapping("tmall_orders")
    cols = {c["column"]: c for c in info["columns"]}
    assert (
        cols["ts"]["sources"] == ["订单付款时间", "买家付款时间"]
        and cols["ts"]["fallback"][0] == "订单创建时间"
    )
    assert cols["channel"]["constant"] == "ecommerce" and cols["action"]["labels"]["交易关闭"] == "lead"
    assert describe_mapping("xiaohongshu_notes")["header_row"] == 2


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


SPEND = [["date", "channel", "amount"], ["2026-10-01", "weibo", 100], ["2026-10-02", "douyin", 200]]


def test_a_workbook_with_two_sheets_needs_a_sheet_name(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "two.xlsx", {"十月": SPEND, "十一月": [SPEND[0], ["2026-11-01", "weibo", 50]]}
    )
    with pytest.raises(IngestError, match=r"2 sheets with data \(十月, 十一月\); name the one"):
        workspace.import_files([path], table="spend")
    [res] = workspace.import_files([path], table="spend", sheet="十一月")
    assert (res.rows_loaded, workspace.to_arrow("spend").to_pylist()[0]["amount"]) == (1, 50.0)
    with pytest.raises(UnknownNameError, match="十一月"):
        workspace.import_files([path], table="spend", sheet="十二月")
    # an empty second sheet (Excel's Sheet2) is no reason to ask
    path = _workbook(tmp_path / "one.xlsx", {"Sheet1": SPEND, "Sheet2": []})
    [res] = workspace.import_files([path], table="spend")
    assert res.rows_loaded == 2


def test_merged_cells_are_filled_and_uncached_formulas_reported(
    workspace: canyu.Workspace, tmp_path: Path
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "channel", "amount"])
    ws.append(["2026-10-01", "weibo", 100])
    ws.append([None, "douyin", 200])
    ws.append([None, "xiaohongshu", 300])
    ws.append(["2026-10-02", "weibo", "=C2*2"])  # openpyxl saves no value for a formula
    ws.merge_cells("A2:A4")
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    [res] = workspace.import_files([path], table="spend")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (4, 3, 1)
    assert {str(r["date"]) for r in workspace.to_arrow("spend").to_pylist()} == {"2026-10-01"}
    [q] = workspace.quarantine().to_pylist()
    assert q["row_number"] == 5 and "cell C5 holds a formula without a saved value" in q["reason"]


def test_repeated_csv_headers_are_an_error(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("日期,作品ID,播放量,播放量\n2026-10-01,v1,1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="names '播放量' more than once") as err:
        workspace.import_files([path], mapping="douyin_daily")
    assert err.value.field == "播放量"


def test_a_huge_cell_is_one_clear_line(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        "event_id,ts,channel,action,user_id\na1,2026-10-01 08:00:00,web,click,u1\n"
        f"a2,2026-10-01 08:00:00,web,click,{'x' * (10 << 20)}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as err:
        workspace.import_files([path], table="events")
    assert str(err.value).count("\n") == 0 and err.value.row == 3 and "longer than 8 MB" in str(err.value)


def test_a_renamed_copy_keeps_its_quarantine_listing(
    workspace: canyu.Workspace, data_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "renamed.csv"
    shutil.copy(data_dir / "events_broken.csv", copy)
    workspace.import_files([data_dir / "events_broken.csv"], mapping="generic_events")
    [res] = workspace.import_files([copy], mapping="generic_events")
    assert (res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (0, 2, 8)
    q = workspace.quarantine().to_pylist()
    assert sum(r["source"] == str(copy) for r in q) == 8 and len(q) == 16


def test_exported_quarantine_cannot_run_formulas(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text(
        'event_id,ts,channel,action,user_id\n=HYPERLINK("http://x"),2026-10-01 08:00:00,web,stare,@SUM(A1)\n',
        encoding="utf-8",
    )
    workspace.import_files([path], table="events")
    [out] = workspace.export_quarantine(tmp_path / "q")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [c for c in rows[1] if c]
    assert '\'=HYPERLINK("http://x")' in cells and "'@SUM(A1)" in cells
    assert not any(c[0] in "=+-@" for c in cells)


def test_temporary_copies_are_private_and_removed(
    workspace: canyu.Workspace, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[tuple[Path, int]] = []
    real = _readers.private_work_dir

    def spy(tmp_dir: Path) -> Path:
        work = real(tmp_dir)
        made.append((work, stat.S_IMODE(work.stat().st_mode)))
        return work

    monkeypatch.setattr(_readers, "private_work_dir", spy)
    tmp = workspace.path / ".tmp"
    workspace.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events")  # transcoded copy
    assert made and made[0][1] == 0o700 and stat.S_IMODE(tmp.stat().st_mode) == 0o700
    assert not made[0][0].exists()
    with pytest.raises(IngestError):  # fails after the copy was made
        workspace.import_files([data_dir / "events_gb18030.csv"], mapping="douyin_daily")
    assert not any(tmp.iterdir())
    # a folder left by a killed import (its process is gone) is removed at the next open or import
    stale = tmp / "import-999999999-dead"
    stale.mkdir()
    (stale / "transcoded-x.csv").write_text("13800138000\n")
    workspace.close()
    with canyu.open(str(workspace.path)):
        assert not stale.exists()
    live = tmp / f"import-{os.getppid()}-alive"
    live.mkdir()
    _readers.clean_stale_temp(tmp)
    assert live.exists()  # a running process's folder is left alone


def test_running_totals_in_a_csv_in_any_order(workspace: canyu.Workspace, tmp_path: Path) -> None:
    mapping = tmp_path / "cum.toml"
    mapping.write_text(
        '[mapping]\ntable = "content_stats"\ncumulative = ["content_id"]\n'
        '[columns]\ndate = ["stat_date"]\ncontent_id = ["msgid"]\nviews = ["read"]\n[constants]\nchannel = "wechat_oa"\n',
        encoding="utf-8",
    )
    path = tmp_path / "totals.csv"
    path.write_text(
        "stat_date,msgid,read\n2026-10-03,a,30\n2026-10-01,a,10\n2026-10-02,a,25\n2026-10-01,b,5\nbad,b,7\n2026-10-02,b,9\n",
        encoding="utf-8",
    )
    [res] = workspace.import_files([path], mapping=mapping)
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (6, 5, 1)
    got = sorted(
        (str(r["date"]), r["content_id"], r["views"]) for r in workspace.to_arrow("content_stats").to_pylist()
    )
    assert got == [
        ("2026-10-01", "a", 10),
        ("2026-10-01", "b", 5),
        ("2026-10-02", "a", 15),
        ("2026-10-02", "b", 4),
        ("2026-10-03", "a", 5),
    ]
    [q] = workspace.quarantine().to_pylist()
    assert (q["row_number"], q["value"]) == (6, "bad")  # row numbers stay the file's
