"""Keyed hashing of personal data, key handling, and forgetting a person."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import canyu
from canyu.errors import PrivacyError
from canyu.privacy import hash_identifier, hmac_sql, key_path, load_key, normalize_identifier

KEY = bytes(range(32))


@settings(deadline=None)  # each example opens a DuckDB connection: slow on a loaded machine, not wrong
@given(st.text(alphabet="0123456789 -+()", min_size=1, max_size=20))
def test_sql_hmac_equals_python_hmac_for_phones(value: str) -> None:
    con = duckdb.connect()
    got = con.execute(
        f"SELECT {hmac_sql(KEY, 'phone', 'v')} FROM (SELECT ?::VARCHAR AS v)", [value]
    ).fetchall()[0][0]
    if not value.strip():
        assert got is None
    else:
        assert got == hash_identifier(KEY, "phone", value)


def test_hmac_is_rfc2104_over_the_normalized_value() -> None:
    expected = hmac.new(KEY, b"13800138000", hashlib.sha256).hexdigest()
    for spelling in ("13800138000", "138-0013-8000", "+86 138 0013 8000", "008613800138000"):
        assert hash_identifier(KEY, "phone", spelling) == expected
    assert normalize_identifier("email", " A@B.cn ") == "a@b.cn"
    con = duckdb.connect()
    assert (
        con.execute(f"SELECT {hmac_sql(KEY, 'email', chr(39) + 'A@B.cn' + chr(39))}").fetchall()[0][0]
        == hmac.new(KEY, b"a@b.cn", hashlib.sha256).hexdigest()
    )


def test_key_file_is_owner_only_and_checked(workspace: canyu.Workspace) -> None:
    path = key_path(workspace.config)
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert not str(path).startswith(str(workspace.path))  # not inside the workspace, not in canyu.toml
    assert path.read_text().strip() not in (workspace.path / "canyu.toml").read_text()
    os.chmod(path, 0o644)
    with pytest.raises(PrivacyError, match="chmod 600"):
        load_key(workspace.config)


def test_key_from_environment(workspace: canyu.Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANYU_HMAC_KEY", KEY.hex())
    assert load_key(workspace.config) == KEY
    monkeypatch.setenv("CANYU_HMAC_KEY", "short")
    with pytest.raises(PrivacyError, match="shorter than 16"):
        load_key(workspace.config)


def test_forget_deletes_everywhere_and_records_it(
    workspace: canyu.Workspace, data_dir: Path, tmp_path: Path
) -> None:
    workspace.import_files(
        [data_dir / "events_basic.csv", data_dir / "events_gb18030.csv"], mapping="generic_events"
    )
    workspace.import_files([data_dir / "identity_links.csv"], table="identity_links")
    follows = tmp_path / "follows.csv"
    follows.write_text(
        "channel,follower_id,followee_id,ts\nwechat_oa,u1,brand,2026-10-01 10:00:00\nweibo,w9,brand,2026-10-01 10:00:00\n",
        encoding="utf-8",
    )
    workspace.import_files([follows], table="follows")
    shares = tmp_path / "shares.csv"
    shares.write_text(
        "event_id,ts,channel,action,user_id,parent_user_id\ns1,2026-10-02 10:00:00,wechat_oa,view,u7,u1\n",
        encoding="utf-8",
    )
    workspace.import_files([shares], table="events")
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "event_id,ts,channel,action,user_id\nq1,not-a-time,wechat_oa,view,u1\n", encoding="utf-8"
    )
    workspace.import_files([broken], table="events")
    before = workspace.status().rows

    res = workspace.forget(user="wechat_oa:u1")
    assert set(res.ids) == {"wechat_oa:u1", "ecommerce:u1", "wecom:wx_u1"}
    after = workspace.status().rows
    # e1, e2, e4 (events_basic) and g1, g2, g4 (gb18030) belong to u1 on wechat/shop
    assert res.rows_deleted["events"] == 6 == before["events"] - after["events"]
    assert res.rows_deleted["identity_links"] == 2 and after["identity_links"] == 0
    assert res.rows_deleted["follows"] == 1 and after["follows"] == 1
    assert res.rows_deleted["quarantine"] == 1 and after["quarantine"] == 0
    assert res.rows_deleted["events (sharer reference removed)"] == 1
    s1 = workspace.to_arrow(
        workspace.table("events").filter(workspace.table("events").event_id == "s1")
    ).to_pylist()
    assert s1[0]["parent_user_id"] is None
    recorded = {r["table_name"]: r["rows_deleted"] for r in workspace.to_arrow("deletions").to_pylist()}
    assert recorded["events"] == 6 and recorded["follows"] == 1
    with pytest.raises(PrivacyError):
        workspace.forget(person=res.person_id)  # nothing left
