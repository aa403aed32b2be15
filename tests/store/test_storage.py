"""How `events` is stored: near-unique id columns uncompressed (the import's write cost), values intact."""

from __future__ import annotations

from pathlib import Path

import duckdb

import canyu


def test_id_columns_are_stored_uncompressed_and_read_back_exactly(tmp_path: Path) -> None:
    rows = ["event_id,ts,channel,action,user_id,content_id"]
    rows += [
        f"e{i},2026-10-01 09:{i % 60:02d}:00,weibo,like,u{i * 7919 % 100_003},c{i % 5}" for i in range(3000)
    ]
    (tmp_path / "ev.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ws = canyu.create(tmp_path / "ws", locale="en")
    result = ws.import_files([tmp_path / "ev.csv"], table="events")[0]
    assert result.rows_loaded == 3000
    ws.close()
    con = duckdb.connect(str(tmp_path / "ws" / "canyu.duckdb"), read_only=True)
    try:
        kinds = dict(
            con.execute(
                "SELECT column_name, string_agg(DISTINCT compression, ',') FROM pragma_storage_info('events')"
                " WHERE segment_type = 'VARCHAR' GROUP BY ALL"
            ).fetchall()
        )
        assert kinds["event_id"] == kinds["user_id"] == kinds["person_id"] == "Uncompressed"
        assert kinds["content_id"] != "Uncompressed"  # five distinct values: the dictionary pays
        got = con.execute(
            "SELECT count(DISTINCT user_id), min(event_id), max(user_id), count(DISTINCT person_id) FROM events"
        ).fetchall()[0]
    finally:
        con.close()
    users = {f"u{i * 7919 % 100_003}" for i in range(3000)}
    assert got == (len(users), "e0", max(users), len(users))
