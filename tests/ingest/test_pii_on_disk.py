"""No phone number in clear, and no forgotten id, in any byte of any file under the workspace.

Every file is read raw: canyu.duckdb and its published snapshot, the WAL if any, .tmp (private
copies, DuckDB spill files), quarantine exports, logs. Checked after a good import, a failed
import, a kill -9 in the middle of an import (then the next open), and a forget.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import canyu
from canyu.errors import CanyuError
from canyu.privacy import hash_identifier, load_key

# One number, written every way people write it; the digits alone are searched for too.
PHONE_SPELLINGS = (
    "+86 138 0013 8000",
    "86-138-0013-8000",
    "13800138000",
    "(+86)13800138000",
    "１３８００１３８０００",
    "138 0013 8000",
    "138-0013-8000",
)
OTHER_PHONES = ("13900139000", "13700137000")
NEEDLES_TEXT = (*PHONE_SPELLINGS, *OTHER_PHONES, "0013 8000", "0013-8000", "00138000")


def _needles(texts: tuple[str, ...]) -> list[bytes]:
    out: set[bytes] = set()
    for text in texts:
        for enc in ("utf-8", "gb18030", "utf-16-le"):
            out.add(text.encode(enc))
    return sorted(out)


def grep_workspace(root: Path, needles: list[bytes]) -> list[tuple[str, bytes]]:
    """(file, needle) for every needle found in the raw bytes of any file under ``root``."""
    hits = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [(str(path.relative_to(root)), n) for n in needles if n in data]
    return hits


def _rows(n: int, start: int = 0) -> str:
    """Events whose ids, free text and broken rows carry phone numbers in every spelling."""
    lines = []
    for i in range(start, start + n):
        phone = PHONE_SPELLINGS[i % len(PHONE_SPELLINGS)]
        lines.append(f"e{i},2026-10-01 08:00:00,微博,view,{phone},,电话 {OTHER_PHONES[0]} 联系")
    return "\n".join(lines)


HEADER = "event_id,ts,channel,action,user_id,value,comment\n"
TAIL = (
    f"\nq1,not-a-time,weibo,view,{OTHER_PHONES[1]},,x"  # a row that fails: quarantined with its raw row
    f"\nq2,2026-10-01 08:00:00,weibo,view,zhang_san_01,NaN,call {OTHER_PHONES[1]}"
    f"\nq3,2026-10-01 08:00:00,weibo,view,{PHONE_SPELLINGS[1]}"  # too few columns: a broken line
    "\nz1,2026-10-01 08:00:00,微博,like,zhang_san_01,,我是张三"
    "\nz2,2026-10-01 09:00:00,weibo,purchase,zhang_san_01,99,"
    "\nz3,2026-10-01 09:00:00,微博,stare,zhang_san_01,,"  # quarantined under the Chinese label
    "\nz4,2026-10-01 09:00:00,weibo,view,zhang_san_01,1,extra,cells"  # broken line naming them
    "\n"
)


def _write_gb18030(path: Path, n: int) -> None:
    # GB18030 is transcoded to a private temporary copy: the copy is in clear while it lives
    path.write_bytes((HEADER + _rows(n) + TAIL).encode("gb18030"))


def test_import_failure_and_forget_leave_no_phone_and_no_forgotten_id(tmp_path: Path) -> None:
    src = tmp_path / "events.csv"
    _write_gb18030(src, 60)
    ws_dir = tmp_path / "ws"
    needles = _needles(NEEDLES_TEXT)
    with canyu.create(ws_dir, locale="en") as ws:
        [res] = ws.import_files([src], table="events")
        assert res.rows_in == 60 + 7
        assert (
            res.rows_quarantined == 5 and res.rows_loaded == 62
        )  # e0..e59, z1, z2; q1-q3, z3, z4 quarantined
        key = load_key(ws.config)
        events = ws.to_arrow("events").to_pylist()
        # every spelling is one person: the phone's keyed hash is their id
        phone_id = hash_identifier(key, "phone", "13800138000")
        assert {e["user_id"] for e in events if e["event_id"].startswith("e")} == {phone_id}
        assert all("<phone>" in e["props"] for e in events if e["event_id"].startswith("e"))
        ws.export_quarantine()
        assert grep_workspace(ws_dir, needles) == []

        # a failed import (a required column missing) of a file that was transcoded first
        bad = tmp_path / "bad.csv"
        bad.write_bytes(
            "event_id,ts,channel,action,备注\nx1,2026-10-01,weibo,view,电话13800138000\n".encode("gb18030")
        )
        with pytest.raises(CanyuError):
            ws.import_files([bad], table="events")
        assert grep_workspace(ws_dir, needles) == []

        before = ws.status().rows
        res_f = ws.forget(user="weibo:zhang_san_01")
        after = ws.status().rows
        assert res_f.compacted
        for table, n in res_f.rows_deleted.items():
            if table in before:
                assert before[table] - after[table] == n, table  # the record counts what left each table
        assert res_f.rows_deleted["events"] == 2  # z1, z2 (微博 read as weibo)
        assert (
            res_f.rows_deleted["quarantine"] == 3
        )  # q2 (NaN), z3 (label 微博, bad action), z4 (broken line)
    forgotten = [b"zhang_san_01", "我是张三".encode(), "我是张三".encode("gb18030")]
    assert grep_workspace(ws_dir, forgotten + needles) == []

    # the same export again: the forgotten person stays out, and the counts still add up
    with canyu.open(ws_dir) as ws:
        [again] = ws.import_files([src], table="events")
        assert again.rows_suppressed == 5  # z1, z2, q2, z3 (parsed) and z4 (a broken line naming them)
        assert again.rows_loaded + again.rows_duplicate + again.rows_quarantined + again.rows_suppressed == 67
        assert ws.to_arrow("imports").column("rows_suppressed").to_pylist()[-1] == 5
    assert grep_workspace(ws_dir, [b"zhang_san_01"]) == []


@pytest.mark.slow
def test_kill_9_mid_import_leaves_no_phone_after_the_next_open(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    _write_gb18030(src, 400_000)
    ws_dir = tmp_path / "ws"
    canyu.create(ws_dir, locale="en").close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "canyu", "import", str(ws_dir), str(src), "--table", "events"],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # kill it while its private clear-text copy exists (the transcoding has begun)
    deadline = time.monotonic() + 60
    copy_seen = False
    while time.monotonic() < deadline and proc.poll() is None:
        copies = (
            [p for p in (ws_dir / ".tmp").rglob("*") if p.is_file()] if (ws_dir / ".tmp").exists() else []
        )
        if any(p.stat().st_size > 0 for p in copies):
            copy_seen = True
            time.sleep(0.3)
            break
        time.sleep(0.02)
    assert proc.poll() is None and copy_seen, "the import ended before a copy was seen; make the file bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    with canyu.open(ws_dir) as ws:  # the next open removes what the killed import left
        assert ws.status().rows["events"] == 0
    assert grep_workspace(ws_dir, _needles(NEEDLES_TEXT)) == []


def test_phone_shaped_ids_of_things_are_hashed_and_stay_distinct(tmp_path: Path) -> None:
    """An event, content, campaign or product id that is a phone number is hashed like a person id
    (so it joins across files and to the person); one with a phone number inside is hashed whole,
    so two such ids stay two rows (masking both as <phone> would make the second a duplicate)."""
    src = tmp_path / "ev.csv"
    src.write_text(
        "event_id,ts,channel,action,user_id,content_id,campaign_id,product_id,value\n"
        "13800138000,2026-10-01 08:00:00,weibo,view,u1,+86 139 0013 9000,c1,p1,\n"
        "order-13800138000-1,2026-10-01 08:00:00,weibo,purchase,u1,c2,camp-13700137000,p1,10\n"
        "order-13900139000-1,2026-10-01 08:00:00,weibo,purchase,u1,c2,camp-13700137000,139-0013-9000,20\n"
        "e4,2026-10-01 09:00:00,weibo,view,u2,c3,c1,p2,\n",
        encoding="utf-8",
    )
    stats = tmp_path / "stats.csv"  # the same content id in another file, written another way
    stats.write_text("date,channel,content_id,views\n2026-10-01,weibo,13900139000,7\n", encoding="utf-8")
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        [res] = ws.import_files([src], table="events")
        assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined) == (4, 4, 0, 0)
        ws.import_files([stats], table="content_stats")
        key = load_key(ws.config)
        ev = {e["event_id"]: e for e in ws.to_arrow("events").to_pylist()}
        phone, other = (
            hash_identifier(key, "phone", "13800138000"),
            hash_identifier(key, "phone", "13900139000"),
        )
        order1, order2 = (hash_identifier(key, "raw", f"order-{p}-1") for p in ("13800138000", "13900139000"))
        assert set(ev) == {phone, order1, order2, "e4"}
        assert ev[phone]["content_id"] == other
        assert (
            ev[order1]["campaign_id"]
            == ev[order2]["campaign_id"]
            == hash_identifier(key, "raw", "camp-13700137000")
        )
        assert ev[order2]["product_id"] == other
        assert ev[order1]["product_id"] == "p1" and ev["e4"]["content_id"] == "c3"  # no phone: kept as is
        # the content id joins its stats: both files' spellings give one hash
        [st] = ws.to_arrow("content_stats").to_pylist()
        contents = {e["content_id"] for e in ws.to_arrow("events").to_pylist()}
        assert (
            st["content_id"] == hash_identifier(key, "phone", "13900139000") and st["content_id"] in contents
        )
    assert (
        grep_workspace(tmp_path / "ws", _needles(("13800138000", "13900139000", "13700137000", "0013 9000")))
        == []
    )
