"""DuckDB's publish_batch(): several commits, one snapshot publication; DDL once per file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import canyu
from canyu.store._duckdb import DuckDBStore


def _n(store: DuckDBStore, table: str) -> int:
    return int(store.con.execute(f'SELECT count(*) FROM main."{table}"').fetchall()[0][0])


def _add_meta(store: DuckDBStore, name: str) -> None:
    with store.transaction() as txn:
        txn.append("store_meta", f"SELECT '{name}' AS name, 'x' AS value")


def test_commits_in_a_batch_are_published_once_at_its_end(tmp_path: Path) -> None:
    canyu.create(tmp_path / "ws", locale="en").close()
    writer = canyu.open(tmp_path / "ws")
    reader = canyu.open(tmp_path / "ws")
    try:
        w, r = writer.store, reader.store
        assert isinstance(w, DuckDBStore) and isinstance(r, DuckDBStore)
        r.table("store_meta")  # attach the current snapshot
        before = _n(r, "store_meta")
        snap = w.snapshot_path.stat().st_ino
        with w.publish_batch():
            _add_meta(w, "a")
            _add_meta(w, "b")
            assert w.snapshot_path.stat().st_ino == snap  # not published yet
            r.table("store_meta")
            assert _n(r, "store_meta") == before
            # a failed transaction rolls back only itself
            with pytest.raises(RuntimeError), w.transaction() as txn:
                txn.append("store_meta", "SELECT 'c' AS name, 'x' AS value")
                raise RuntimeError("boom")
        assert w.snapshot_path.stat().st_ino != snap  # one publication, at the end
        assert not w.path.with_name("canyu.publish-pending").exists()
        r.table("store_meta")
        names = {x[0] for x in r.con.execute('SELECT name FROM main."store_meta"').fetchall()}
        assert _n(r, "store_meta") == before + 2 and {"a", "b"} <= names and "c" not in names
        # after a compaction (a new file, a new inode) the store checks the tables' DDL again
        w.compact()
        _add_meta(w, "d")
        r.table("store_meta")
        assert _n(r, "store_meta") == before + 3
    finally:
        writer.close()
        reader.close()


def test_a_crash_inside_a_batch_is_republished_by_the_next_open(tmp_path: Path) -> None:
    canyu.create(tmp_path / "ws", locale="en").close()
    # a process that commits inside a batch and dies (os._exit: no cleanup) before the publication
    code = (
        "import os, sys, canyu\n"
        "ws = canyu.open(sys.argv[1])\n"
        "with ws.store.publish_batch():\n"
        "    with ws.store.transaction() as txn:\n"
        "        txn.append('store_meta', \"SELECT 'committed' AS name, 'x' AS value\")\n"
        "    os._exit(9)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(canyu.__file__).parents[1]))
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws")], env=env, check=False)
    assert done.returncode == 9
    assert (tmp_path / "ws" / "canyu.publish-pending").exists()
    with canyu.open(tmp_path / "ws") as again:  # the next process republishes what was committed
        t = again.table("store_meta")
        assert again.to_arrow(t.filter(t.name == "committed")).num_rows == 1
