"""Invariants of the importer: counts add up, re-import is a no-op, a killed import changes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import canyu

HEADER = "event_id,ts,channel,action,user_id,value\n"
VALID = st.tuples(
    st.sampled_from(["", "id1", "id2", "id3", "id4"]),
    st.sampled_from(
        [
            "2026-10-01 08:00:00",
            "2026/10/02 09:30",
            "2026-10-03T10:00:00+08:00",
            "1791201600",
            "2026-10-03 10:00:00 UTC",
            "2026-10-03 10:00:00-05",
            "2026-10-03 10:00:00 America/New_York",
            "2026-10-03 10:00:00 PM",
        ]
    ),
    st.sampled_from(["weibo", "微博", "wechat_oa", "公众号", "douyin"]),
    st.sampled_from(["view", "阅读", "like", "点赞", "purchase", "下单"]),
    st.sampled_from(["u1", "u2", "u3", "+86 138 0013 8000", "１３９００１３９０００"]),
    st.sampled_from(["", "10", "99.5", '"1,000"']),
).map(lambda t: ",".join(t))
# The person forgotten before each example: weibo:u3 (under either label) rows are suppressed.
FORGOTTEN = "weibo:u3"
BROKEN = st.sampled_from(
    [
        "x1,not-a-time,weibo,view,u1,",
        "x2,2026-10-01 08:00:00,myspace,view,u1,",
        "x3,2026-10-01 08:00:00,weibo,stare,u1,",
        "x4,2026-10-01 08:00:00,weibo,view,,",
        "x5,2026-10-01 08:00:00,weibo,purchase,u1,12abc",
        "x6,2026-10-01 08:00:00",
        "x7,2026-10-01 08:00:00,weibo,view,u1,1,extra",
        "x8,1980-01-01 00:00:00,weibo,view,u1,",
        "x9,2026-10-01 08:00:00,weibo,purchase,u1,NaN",
        "x10,2026-10-01 08:00:00,weibo,purchase,u1,-inf",
        "x11,2026-10-01 08:00:00 foo,weibo,view,u1,",
        "x12,2026-10-01 08:00:00 CST,weibo,view,u1,",
        "x13,2026-10-01 08:00:00,weibo,view,u\udcff1,",  # a stray byte (written as \xff)
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.one_of(VALID, BROKEN), min_size=1, max_size=40))
def test_every_row_is_loaded_duplicate_or_quarantined(
    rows: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp = tmp_path_factory.mktemp("hyp")
    path = tmp / "mix.csv"
    path.write_bytes((HEADER + "\n".join(rows) + "\n").encode("utf-8", errors="surrogateescape"))
    shutil.copytree(_forgotten_template(tmp_path_factory), tmp / "ws")
    with canyu.open(tmp / "ws") as ws:
        [res] = ws.import_files([path], table="events")
        assert res.rows_in == len(rows)
        assert (
            res.rows_loaded + res.rows_duplicate + res.rows_quarantined + res.rows_suppressed == res.rows_in
        )
        n_broken = sum(r.startswith("x") for r in rows)
        n_suppressed = sum(
            r.split(",")[2] in ("weibo", "微博") and r.split(",")[4] == "u3"
            for r in rows
            if not r.startswith("x")
        )
        assert res.rows_quarantined == n_broken
        assert res.rows_suppressed == n_suppressed
        status = ws.status()
        assert status.rows["events"] == res.rows_loaded
        assert status.rows["quarantine"] == n_broken
        snapshot = {t: ws.to_arrow(t) for t in ("events", "quarantine")}
        [again] = ws.import_files([path], table="events")
        assert again.rows_loaded == 0
        assert again.rows_duplicate == res.rows_loaded + res.rows_duplicate
        assert again.rows_suppressed == n_suppressed
        for t, before in snapshot.items():
            assert ws.to_arrow(t).equals(before)


_TEMPLATES: dict[str, Path] = {}


def _forgotten_template(factory: pytest.TempPathFactory) -> Path:
    """A workspace (keyed in this test's CANYU_HOME) where weibo:u3 was imported and forgotten."""
    home = os.environ["CANYU_HOME"]
    if home not in _TEMPLATES:
        tmp = factory.mktemp("template")
        seed = tmp / "seed.csv"
        seed.write_text(HEADER + "s1,2026-10-01 08:00:00,weibo,view,u3,\n", encoding="utf-8")
        with canyu.create(tmp / "ws", locale="en") as ws:
            ws.import_files([seed], table="events")
            ws.forget(user=FORGOTTEN)
        _TEMPLATES[home] = tmp / "ws"
    return _TEMPLATES[home]


def _big_csv(path: Path, n: int) -> None:
    rng = np.random.default_rng(1)
    channels = np.array(["weibo", "wechat_oa", "douyin", "ecommerce"])
    actions = np.array(["view", "like", "share", "purchase"])
    ts = np.datetime64("2026-10-01T00:00:00") + rng.integers(0, 86400 * 30, n).astype("timedelta64[s]")
    table = pa.table(
        {
            "event_id": pa.array(np.char.add("k", np.arange(n).astype(str))),
            "ts": pa.array(ts.astype(str)),
            "channel": pa.array(channels[rng.integers(0, 4, n)]),
            "action": pa.array(actions[rng.integers(0, 4, n)]),
            "user_id": pa.array(np.char.add("u", rng.integers(0, 50_000, n).astype(str))),
            "value": pa.array(rng.random(n) * 100),
        }
    )
    pacsv.write_csv(table, path)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    _big_csv(path, 3_000_000)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_import_leaves_the_store_unchanged(
    sig: signal.Signals, tmp_path: Path, data_dir: Path, big_csv: Path
) -> None:
    ws_dir = tmp_path / "ws"
    with canyu.create(ws_dir, locale="en") as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
        before = ws.to_arrow("events")
        before_imports = ws.status().rows["imports"]
    big = big_csv
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "canyu", "import", str(ws_dir), str(big), "--table", "events"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.5)
    assert proc.poll() is None, "the import finished before it could be interrupted; make the file bigger"
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    with canyu.open(str(ws_dir)) as ws:
        assert ws.to_arrow("events").equals(before)
        assert ws.status().rows["imports"] == before_imports
        assert ws.status().rows["quarantine"] == 0
    tmp = ws_dir / ".tmp"  # the killed import's private folder is gone after the next open
    assert not tmp.exists() or not any(p.name.startswith("import-") for p in tmp.iterdir())
