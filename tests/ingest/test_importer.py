"""The importer on real sample files: encodings, XLSX, JSON Lines, broken rows, duplicates, labels."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import canyu
from canyu.errors import IngestError, UnknownNameError
from canyu.ingest import detect_encoding
from canyu.privacy import hash_identifier, load_key


def _events(ws: canyu.Workspace) -> list[dict[str, object]]:
    return ws.to_arrow(ws.table("events").order_by("event_id")).to_pylist()


def test_gb18030_file_with_chinese_headers_and_labels(workspace: canyu.Workspace, data_dir: Path) -> None:
    assert detect_encoding(data_dir / "events_gb18030.csv") == "gb18030"
    [res] = workspace.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events")
    assert (res.encoding, res.rows_in, res.rows_loaded, res.rows_quarantined) == ("gb18030", 5, 5, 0)
    rows = {r["event_id"]: r for r in _events(workspace)}
    assert [rows[e]["channel"] for e in ("g1", "g3", "g4", "g5")] == [
        "wechat_oa",
        "weibo",
        "ecommerce",
        "xiaohongshu",
    ]
    assert [rows[e]["action"] for e in ("g1", "g2", "g3", "g4", "g5")] == [
        "view",
        "collect",
        "share",
        "purchase",
        "collect",
    ]
    assert rows["g4"]["value"] == pytest.approx(1299.0)  # "1,299.00"
    # 2026/10/06 20:00 in Asia/Shanghai is 12:00 UTC
    assert str(rows["g1"]["ts"]) == "2026-10-06 12:00:00"


def test_phone_numbers_are_hashed_and_never_stored(workspace: canyu.Workspace, data_dir: Path) -> None:
    [res] = workspace.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events")
    assert res.pii_columns == {"手机号": "phone"}
    key = load_key(workspace.config)
    rows = {r["event_id"]: r for r in _events(workspace)}
    digest = hash_identifier(key, "phone", "13800138000")
    # "138-0013-8000" and "+86 13800138000" are the same number: same hash.
    assert json.loads(str(rows["g1"]["props"]))["手机号"] == digest
    assert json.loads(str(rows["g4"]["props"]))["手机号"] == digest
    workspace.close()
    raw = (workspace.path / "canyu.duckdb").read_bytes()
    assert b"13800138000" not in raw and b"0013-8000" not in raw


def test_xlsx_export_with_title_row(workspace: canyu.Workspace, data_dir: Path) -> None:
    [res] = workspace.import_files([data_dir / "xhs_notes.xlsx"], mapping="xiaohongshu_notes")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (3, 2, 1)
    stats = workspace.to_arrow(workspace.table("content_stats").order_by("date")).to_pylist()
    assert [s["content_id"] for s in stats] == ["国庆新品开箱", "粉丝共创投票"]
    assert stats[0]["exposes"] == 12000 and stats[0]["channel"] == "xiaohongshu"
    [q] = workspace.quarantine().to_pylist()
    # header is row 2; the third data row is sheet row 5; "1.2万" parsed, "abc" rejected
    assert (q["row_number"], q["field"], q["value"]) == (5, "comments", "abc")


def test_broken_rows_are_quarantined_with_file_row_field_and_reason(
    workspace: canyu.Workspace, data_dir: Path
) -> None:
    [res] = workspace.import_files([data_dir / "events_broken.csv"], mapping="generic_events")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (10, 2, 0, 8)
    assert {r["event_id"] for r in _events(workspace)} == {"b1", "b10"}
    q = {r["row_number"]: r for r in workspace.quarantine().to_pylist()}
    assert sorted(q) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert all(r["source"].endswith("events_broken.csv") for r in q.values())
    assert (q[3]["field"], q[3]["value"]) == ("ts", "2026-13-03 08:00:00")
    assert q[4]["field"] == "action" and "closest valid: 'like'" in q[4]["reason"]
    assert q[5]["field"] == "user_id" and "empty" in q[5]["reason"]
    assert q[6]["field"] == "value" and "not a number" in q[6]["reason"]
    assert q[7]["reason"].startswith("broken row") and "b6" in q[7]["raw"]
    assert q[8]["reason"].startswith("broken row") and "extra" in q[8]["raw"]
    assert q[9]["field"] == "channel" and "twitter" in q[9]["reason"]
    assert q[10]["field"] == "ts" and "before 2000" in q[10]["reason"]


def test_duplicates_by_content_hash_and_by_id(workspace: canyu.Workspace, data_dir: Path) -> None:
    [res] = workspace.import_files([data_dir / "events_duplicates.csv"], mapping="generic_events")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (5, 3, 2, 0)
    assert all(str(r["event_id"]).startswith("h:") for r in _events(workspace))
    [again] = workspace.import_files([data_dir / "events_duplicates.csv"], mapping="generic_events")
    assert (again.rows_loaded, again.rows_duplicate) == (0, 5)


def test_reimport_changes_nothing(workspace: canyu.Workspace, data_dir: Path) -> None:
    files = [data_dir / "events_broken.csv", data_dir / "events_basic.csv"]
    workspace.import_files(files, mapping="generic_events")
    before = {t: workspace.to_arrow(t) for t in ("events", "quarantine", "identities")}
    results = workspace.import_files(files, mapping="generic_events")
    assert [r.rows_loaded for r in results] == [0, 0]
    for t, table in before.items():
        assert workspace.to_arrow(t).equals(table), t
    assert workspace.status().rows["imports"] == 4  # every attempt is logged


def test_jsonl_with_a_broken_line(workspace: canyu.Workspace, data_dir: Path) -> None:
    [res] = workspace.import_files([data_dir / "events.jsonl"], mapping="generic_events")
    assert (res.rows_in, res.rows_loaded, res.rows_quarantined) == (4, 3, 1)
    rows = {r["event_id"]: r for r in _events(workspace)}
    assert str(rows["j1"]["ts"]) == "2026-10-05 02:00:00"  # +08:00 offset honoured
    assert str(rows["j2"]["ts"]) == "2026-10-05 12:00:00"  # unix seconds 1791201600
    assert rows["j3"]["channel"] == "forum" and rows["j3"]["action"] == "reply"  # 论坛 / 回复
    assert json.loads(str(rows["j1"]["props"])) == {"board": "晒单"}
    [q] = workspace.quarantine().to_pylist()
    assert q["row_number"] == 3 and "JSON" in q["reason"]


def test_parquet_input(workspace: canyu.Workspace, tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": ["p1", "p2"],
                "ts": ["2026-10-01 08:00:00", "bad"],
                "channel": ["web", "web"],
                "action": ["click", "click"],
                "user_id": ["a", "b"],
                "value": [None, 3.5],
            }
        ),
        path,
    )
    [res] = workspace.import_files([path], table="events")
    assert (res.rows_loaded, res.rows_quarantined) == (1, 1)
    assert workspace.quarantine().to_pylist()[0]["row_number"] == 2


def test_channelattribution_paths_with_semicolons(workspace: canyu.Workspace, data_dir: Path) -> None:
    [res] = workspace.import_files([data_dir / "paths.csv"], mapping="channelattribution_paths")
    assert res.rows_loaded == 4
    rows = {r["path"]: r for r in workspace.to_arrow("paths").to_pylist()}
    assert rows["weibo > douyin > ecommerce"]["total_conversions"] == 5
    assert rows["douyin"]["total_null"] == 97


def test_identity_links_join_people(workspace: canyu.Workspace, data_dir: Path) -> None:
    workspace.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
    people = {r["event_id"]: r["person_id"] for r in _events(workspace)}
    assert people["e1"] != people["e4"]  # wechat_oa:u1 and ecommerce:u1 not yet linked
    workspace.import_files([data_dir / "identity_links.csv"], table="identity_links")
    people = {r["event_id"]: r["person_id"] for r in _events(workspace)}
    assert people["e1"] == people["e2"] == people["e4"] != people["e3"]
    # events imported after the link get the joined person directly
    workspace.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events")
    people = {r["event_id"]: r["person_id"] for r in _events(workspace)}
    assert people["g1"] == people["e1"]


def test_unknown_table_mapping_and_missing_columns(
    workspace: canyu.Workspace, data_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'events'"):
        workspace.import_files([data_dir / "events_basic.csv"], table="event")
    with pytest.raises(UnknownNameError, match="generic_events"):
        workspace.import_files([data_dir / "events_basic.csv"], mapping="generic_event")
    with pytest.raises(IngestError, match=r"campaigns.csv, field 'ts': no column for required field 'ts'"):
        workspace.import_files([data_dir / "campaigns.csv"], mapping="generic_events")
    with pytest.raises(IngestError, match="no such file"):
        workspace.import_files([tmp_path / "nope.csv"], table="events")
    assert workspace.status().rows["imports"] == 0


def test_declared_encoding_that_does_not_fit(workspace: canyu.Workspace, data_dir: Path) -> None:
    with pytest.raises(IngestError, match="not valid"):
        workspace.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events", encoding="utf-16")


def test_all_files_of_one_call_land_together(
    workspace: canyu.Workspace, data_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(IngestError):
        workspace.import_files(
            [data_dir / "events_basic.csv", tmp_path / "missing.csv"], mapping="generic_events"
        )
    assert workspace.status().rows["events"] == 0


def test_export_quarantine_for_fixing(workspace: canyu.Workspace, data_dir: Path, tmp_path: Path) -> None:
    workspace.import_files([data_dir / "events_broken.csv"], mapping="generic_events")
    [out] = workspace.export_quarantine(tmp_path / "q")
    text = out.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["event_id", "ts", "channel"] and header[-3:] == ["_row", "_field", "_reason"]
    assert "liek" in text
