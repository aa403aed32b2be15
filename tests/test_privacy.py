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
from canyu.privacy import (
    hash_identifier,
    hmac_sql,
    key_fingerprint,
    key_path,
    load_key,
    mask_phones,
    mask_phones_sql,
    normalize_identifier,
    scrub_id_sql,
    scrub_sql,
)

KEY = bytes(range(32))


@settings(deadline=None)  # each example opens a DuckDB connection: slow on a loaded machine, not wrong
@given(st.text(alphabet="0123456789０１２３４５６７８９ -+()（）", min_size=1, max_size=20))
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


PHONE_SPELLINGS = (
    "+86 138 0013 8000",
    "86-138-0013-8000",
    "13800138000",
    "(+86)13800138000",
    "１３８００１３８０００",
    "138 0013 8000",
    "0086 138-0013-8000",
    "（+86）138 0013 8000",
)


def test_every_phone_spelling_is_one_hash_in_python_and_sql() -> None:
    expected = hmac.new(KEY, b"13800138000", hashlib.sha256).hexdigest()
    con = duckdb.connect()
    for spelling in PHONE_SPELLINGS:
        assert hash_identifier(KEY, "phone", spelling) == expected, spelling
        got = con.execute(
            f"SELECT {scrub_sql('v', KEY)} FROM (SELECT ?::VARCHAR AS v)", [spelling]
        ).fetchall()
        assert got[0][0] == expected, spelling  # a cell that is a phone number is hashed like a phone column
        text = f"请联系{spelling}，或 {spelling}!"
        masked = con.execute(f"SELECT {scrub_sql('v', KEY)} FROM (SELECT ?::VARCHAR AS v)", [text]).fetchall()
        assert masked[0][0] == "请联系<phone>，或 <phone>!" == mask_phones(text), spelling
    # numbers that are not phone numbers stay: longer digit runs, timestamps, prices
    for text in ("order 213800138000", "1791201600000", "2026-10-01 13:00:00", "¥138.00", "12800138000"):
        got = con.execute(f"SELECT {scrub_sql('v', KEY)} FROM (SELECT ?::VARCHAR AS v)", [text]).fetchall()
        assert got[0][0] == text


# Landlines and numbers abroad as people write them in a comment: masked in text (not hashed).
OTHER_SPELLINGS = (
    "010-12345678",
    "(010)12345678",
    "（0755）8888 1234",
    "0755-8888 1234",
    "０２１－６２３４ ５６７８",
    "+86 10 1234 5678",
    "+1 415 555 0100",
    "+44 20 7946 0958",
    "+852 9123 4567",
)
# Text with numbers that are no phone number: dates, times with an offset, prices, counts, order
# numbers (an unbroken run after a 0 included), a "+" count.
NOT_PHONES = (
    "订单 0123456789 已发货",
    "2026-10-01 13:00:00",
    "2026-12-02T10:00:00+08:00",
    "价格 1,299 元，满 300-30",
    "涨粉 +100 赞",
    "order 213800138000",
    "第 010 期 共 12 期",
)


def test_landlines_and_numbers_abroad_are_masked_in_text_in_python_and_sql() -> None:
    con = duckdb.connect()

    def sql(expr: str, v: str) -> str:
        return str(con.execute(f"SELECT {expr} FROM (SELECT ?::VARCHAR AS v)", [v]).fetchall()[0][0])

    for spelling in OTHER_SPELLINGS:
        text = f"请致电{spelling}，或 {spelling}!"
        assert mask_phones(text) == "请致电<phone>，或 <phone>!", spelling
        assert sql(scrub_sql("v", KEY), text) == "请致电<phone>，或 <phone>!", spelling
        assert sql(mask_phones_sql("v"), text) == "请致电<phone>，或 <phone>!", spelling
        # a cell that is one of them is masked whole (only a mobile number is hashed: it names a person)
        assert sql(scrub_sql("v", KEY), spelling) == "<phone>", spelling
    for text in NOT_PHONES:
        assert mask_phones(text) == text
        assert sql(scrub_sql("v", KEY), text) == text
        assert sql(mask_phones_sql("v"), text) == text


def test_landlines_in_free_text_and_broken_rows_are_never_stored(
    workspace: canyu.Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "ev.csv"
    lines = ["event_id,ts,channel,action,user_id,value,comment"]
    for i, p in enumerate(OTHER_SPELLINGS):
        lines.append(f"e{i},2026-10-01 08:00:00,weibo,view,u{i},,门店电话 {p} 欢迎")
    lines.append(f"bad,not-a-time,weibo,view,u99,,call {OTHER_SPELLINGS[0]}")
    lines.append(f'"broken,"row with {OTHER_SPELLINGS[6]}')  # a line the CSV reader cannot split
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [res] = workspace.import_files([src], table="events")
    assert (res.rows_loaded, res.rows_quarantined) == (len(OTHER_SPELLINGS), 2)
    events = workspace.to_arrow("events").to_pylist()
    assert {e["props"] for e in events} == {'{"comment":"门店电话 <phone> 欢迎"}'}
    raws = [q["raw"] for q in workspace.quarantine().to_pylist()]
    assert len(raws) == 2 and all("<phone>" in r for r in raws), raws
    for r in raws:
        assert "12345678" not in r and "9123" not in r and "4567" not in r


def test_ids_of_things_hash_phones_but_keep_uuids() -> None:
    """A client's UUID whose hex digits read like a phone across its dashes ("1490-4895-959e") stays
    as sent (the collector dedupes by it); an id that is, or holds, a phone number is hashed."""
    con = duckdb.connect()

    def scrub(v: str) -> str:
        return str(
            con.execute(f"SELECT {scrub_id_sql('v', KEY)} FROM (SELECT ?::VARCHAR AS v)", [v]).fetchall()[0][
                0
            ]
        )

    for uuid in ("f2fccbbb-1490-4895-959e-f5560b6a2e82", "a13800138000", "13800138000b"):
        assert scrub(uuid) == uuid
    assert scrub("+86 138 0013 8000") == hash_identifier(KEY, "phone", "13800138000")
    held = scrub("order-13800138000-2")
    assert held == hash_identifier(KEY, "raw", "order-13800138000-2") and "13800138000" not in held


def test_phones_in_ids_free_text_and_quarantine_are_never_stored(
    workspace: canyu.Workspace, tmp_path: Path
) -> None:
    src = tmp_path / "ev.csv"
    lines = ["event_id,ts,channel,action,user_id,value,comment"]
    for i, p in enumerate(PHONE_SPELLINGS):
        lines.append(f"e{i},2026-10-01 08:00:00,weibo,view,{p},,留言 {p} 谢谢")
    lines.append(f"bad,not-a-time,weibo,view,{PHONE_SPELLINGS[0]},,call {PHONE_SPELLINGS[4]}")
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    [res] = workspace.import_files([src], table="events")
    assert (res.rows_loaded, res.rows_quarantined) == (len(PHONE_SPELLINGS), 1)
    key = load_key(workspace.config)
    events = workspace.to_arrow("events").to_pylist()
    assert {e["user_id"] for e in events} == {hash_identifier(key, "phone", "13800138000")}
    assert {e["props"] for e in events} == {'{"comment":"留言 <phone> 谢谢"}'}
    [q] = workspace.quarantine().to_pylist()
    assert "0013" not in q["raw"] and "１３８" not in q["raw"] and '"comment":"call <phone>"' in q["raw"]
    assert q["user_key"] == "weibo:" + hash_identifier(key, "phone", "13800138000")
    res_f = workspace.forget(user="weibo:138-0013-8000")  # a phone id may be named in clear
    assert res_f.rows_deleted["events"] == len(PHONE_SPELLINGS) and res_f.rows_deleted["quarantine"] == 1


def test_a_changed_hashing_key_is_refused_with_one_line(
    workspace: canyu.Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "ev.csv"
    src.write_text(
        "event_id,ts,channel,action,user_id\ne1,2026-10-01 08:00:00,weibo,view,u1\n", encoding="utf-8"
    )
    workspace.import_files([src], table="events")
    stored = workspace.to_arrow("store_meta").to_pylist()
    assert stored == [{"name": "key_fingerprint", "value": key_fingerprint(load_key(workspace.config))}]
    assert load_key(workspace.config).hex() not in str(stored)  # a fingerprint, not the key
    monkeypatch.setenv("CANYU_HMAC_KEY", "another key, 16+ characters")
    with pytest.raises(PrivacyError) as err:
        workspace.import_files([src], table="events")
    assert "hashing key changed" in str(err.value) and "\n" not in str(err.value)
    assert err.value.message_zh and "哈希密钥已更改" in err.value.message_zh
    with pytest.raises(PrivacyError, match="hashing key changed"):
        workspace.forget(user="weibo:u1")
    monkeypatch.delenv("CANYU_HMAC_KEY")
    [again] = workspace.import_files([src], table="events")  # the original key works
    assert again.rows_duplicate == 1


def test_forget_dry_run_changes_nothing_and_lists_reports(workspace: canyu.Workspace, tmp_path: Path) -> None:
    src = tmp_path / "ev.csv"
    src.write_text(
        "event_id,ts,channel,action,user_id\n"
        "e1,2026-10-01 08:00:00,微博,view,lisi_88\ne2,2026-10-01 08:00:00,weibo,view,wangwu\n"
        "e3,bad-time,微博,view,lisi_88\n",
        encoding="utf-8",
    )
    workspace.import_files([src], table="events")
    reports = workspace.path / "reports"
    (reports / "old.html").write_text("<p>top sharer: lisi_88</p>", encoding="utf-8")
    (reports / "other.html").write_text("<p>top sharer: wangwu</p>", encoding="utf-8")
    before = {t: workspace.to_arrow(t) for t in ("events", "quarantine", "deletions", "suppressions")}
    dry = workspace.forget(user="weibo:lisi_88", dry_run=True)
    assert dry.dry_run and not dry.compacted
    assert dry.rows_deleted["events"] == 1 and dry.rows_deleted["quarantine"] == 1
    assert dry.reports == (str(reports / "old.html"),)
    for t, table in before.items():
        assert workspace.to_arrow(t).equals(table), t
    real = workspace.forget(user="weibo:lisi_88")
    assert real.rows_deleted == dry.rows_deleted and real.compacted and real.suppressed == 1
    assert real.reports == (str(reports / "old.html"),)
    assert workspace.status().rows["events"] == 1


def test_forget_removes_the_person_from_derived_tables(workspace: canyu.Workspace, tmp_path: Path) -> None:
    src = tmp_path / "ev.csv"
    src.write_text(
        "event_id,ts,channel,action,user_id\ne1,2026-10-01 08:00:00,weibo,view,user_one_1\ne2,2026-10-01 08:00:00,weibo,view,u2\n",
        encoding="utf-8",
    )
    workspace.import_files([src], table="events")
    people = workspace.to_arrow(workspace.table("events").select("channel", "user_id", "person_id"))
    workspace.store.write_derived("journeys", people)
    res = workspace.forget(user="weibo:user_one_1")
    assert res.rows_deleted["derived:journeys__v1"] == 1
    left = workspace.store.read_derived("journeys")
    assert left is not None and left.column("user_id").to_pylist() == ["u2"]
    raw = (workspace.path / "canyu.duckdb").read_bytes() + (
        workspace.path / "canyu.snapshot.duckdb"
    ).read_bytes()
    assert b"user_one_1" not in raw  # the file was compacted: the deleted bytes are gone


def test_cli_forget_dry_run_then_forget_then_reimport_says_suppressed(tmp_path: Path, data_dir: Path) -> None:
    from typer.testing import CliRunner

    from canyu.cli import app

    runner = CliRunner()
    ws = str(tmp_path / "ws")
    src = str(data_dir / "events_basic.csv")
    assert runner.invoke(app, ["init", ws, "--locale", "en"]).exit_code == 0
    assert runner.invoke(app, ["import", ws, src, "-m", "generic_events"]).exit_code == 0
    dry = runner.invoke(app, ["forget", ws, "--user", "wechat_oa:u1", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    text = " ".join(dry.output.split())
    assert "Dry run — nothing was removed" in text and "events 2" in text
    with canyu.open(ws) as w:
        assert w.status().rows["events"] == 4 and w.status().rows["deletions"] == 0
    real = runner.invoke(app, ["forget", ws, "--user", "wechat_oa:u1"])
    assert real.exit_code == 0, real.output
    assert "store file was rewritten" in " ".join(real.output.split())
    again = runner.invoke(app, ["import", ws, src, "-m", "generic_events"])
    assert again.exit_code == 0, again.output
    assert "2 of 4 rows read belong to forgotten people" in " ".join(again.output.split())


def test_suppressed_rows_leave_the_other_rows_numbers_alone(
    workspace: canyu.Workspace, tmp_path: Path
) -> None:
    body = (
        "event_id,ts,channel,action,user_id\n"
        "s1,2026-10-01 08:00:00,weibo,view,gone\ns2,2026-10-01 08:00:00,微博,like,gone\n"
        "b1,not-a-time,weibo,view,u7\nok,2026-10-01 08:00:00,weibo,view,u8\nb2,2026-10-01 08:00:00,weibo,stare,u9\n"
    )
    (tmp_path / "a.csv").write_text(body, encoding="utf-8")
    workspace.import_files([tmp_path / "a.csv"], table="events")
    workspace.forget(user="weibo:gone")
    (tmp_path / "b.csv").write_text(body, encoding="utf-8")  # another name: its rows are quarantined anew
    [res] = workspace.import_files([tmp_path / "b.csv"], table="events")
    assert (res.rows_in, res.rows_loaded, res.rows_duplicate, res.rows_quarantined, res.rows_suppressed) == (
        5,
        0,
        1,
        2,
        2,
    )
    rows = [(Path(r["source"]).name, r["row_number"]) for r in workspace.quarantine().to_pylist()]
    assert rows == [("a.csv", 4), ("a.csv", 6), ("b.csv", 4), ("b.csv", 6)]  # file lines, header = 1
