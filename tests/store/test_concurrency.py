"""Many readers, one writer: readers in other processes never wait for an import, a second writer is told who writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import canyu
from canyu.errors import WorkspaceBusyError
from canyu.store import TEST_WRITE_GATE

SRC = str(Path(canyu.__file__).resolve().parents[1])


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, **extra}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"the writer ended early ({proc.returncode}): {err[-2000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the writer never reached its commit point")
        time.sleep(0.05)


def _events(ws: canyu.Workspace) -> int:
    return int(ws.to_arrow(ws.table("events").count().as_table()).column(0)[0].as_py())


def test_readers_see_the_last_commit_while_another_process_imports(
    engine: str, tmp_path: Path, data_dir: Path
) -> None:
    path = tmp_path / "ws"
    with canyu.create(path, engine=engine, locale="en") as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
    gate = tmp_path / "gate"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "canyu",
            "import",
            str(path),
            str(data_dir / "events_gb18030.csv"),
            "--mapping",
            "generic_events",
        ],
        env=_env(**{TEST_WRITE_GATE: str(gate)}),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(Path(str(gate) + ".held"), writer)
        # the writer holds its transaction open, just before COMMIT: readers carry on
        with canyu.open(str(path)) as reader:
            assert reader.status().rows["events"] == 4
            assert _events(reader) == 4
            with pytest.raises(WorkspaceBusyError) as busy:
                reader.import_files([data_dir / "events_duplicates.csv"], mapping="generic_events")
            line = str(busy.value)
            assert "\n" not in line and busy.value.pid == writer.pid
            assert line.startswith(f"another canyu process (pid {writer.pid}, since ")
            assert line.endswith("is writing this workspace; try again when it finishes")
            if engine == "duckdb":  # a third process: the real CLI (a Spark one would start its own JVM)
                out = subprocess.run(
                    [sys.executable, "-m", "canyu", "status", str(path), "--json"],
                    env=_env(),
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=120,
                )
                assert out.returncode == 0, out.stderr
                assert json.loads(out.stdout)["rows"]["events"] == 4
            gate.touch()
            _, err = writer.communicate(timeout=180)
            assert writer.returncode == 0, err
            # the same open reader now sees the committed import
            assert _events(reader) == 9
            assert reader.status().rows["imports"] == 2
        with canyu.open(str(path)) as again:
            assert _events(again) == 9
    finally:
        gate.touch()
        if writer.poll() is None:
            writer.kill()
            writer.communicate()


def test_the_writer_sees_its_own_writes_and_readers_stay_out_of_the_main_file(
    tmp_path: Path, data_dir: Path
) -> None:
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        assert _events(ws) == 0
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
        assert _events(ws) == 4
        # the main file is free between writes: another process can write while this one reads
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "canyu",
                "import",
                str(tmp_path / "ws"),
                str(data_dir / "events_gb18030.csv"),
                "--mapping",
                "generic_events",
            ],
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=180,
        )
        assert out.returncode == 0, out.stderr
        assert _events(ws) == 9


def test_a_stale_or_missing_snapshot_is_republished(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "ws"
    with canyu.create(path, locale="en") as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
        old = tmp_path / "old.duckdb"
        shutil.copyfile(path / "canyu.snapshot.duckdb", old)
        ws.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events")
    # a crash between commit and publish: the old snapshot, and the pending mark
    shutil.copyfile(old, path / "canyu.snapshot.duckdb")
    (path / "canyu.publish-pending").touch()
    with canyu.open(str(path)) as ws:
        assert _events(ws) == 9
    assert not (path / "canyu.publish-pending").exists()
    # a workspace from before snapshots existed
    (path / "canyu.snapshot.duckdb").unlink()
    with canyu.open(str(path)) as ws:
        assert _events(ws) == 9
        assert ws.status().rows["imports"] == 2


def test_a_failed_write_keeps_the_last_state(engine: str, tmp_path: Path, data_dir: Path) -> None:
    with canyu.create(tmp_path / "ws", engine=engine, locale="en") as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
        with pytest.raises(RuntimeError), ws.store.transaction() as txn:
            txn.delete_where("events", "true")
            raise RuntimeError("interrupted")
        assert _events(ws) == 4
        # the lock was released: the next write goes ahead
        ws.import_files([data_dir / "events_gb18030.csv"], mapping="generic_events")
        assert _events(ws) == 9


@pytest.mark.spark
def test_spark_keeps_old_files_while_a_reader_holds_them(tmp_path: Path, data_dir: Path) -> None:
    from canyu.store import spark_available

    if spark_available():
        pytest.skip(f"Spark: {spark_available()}")
    from canyu.store._spark import SparkStore

    with canyu.create(tmp_path / "ws", engine="spark", locale="en") as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
        root = tmp_path / "ws" / "spark"
        before = set(root.glob("events/part-*.parquet"))
        other = SparkStore(root)  # a second reader (its own readers-lock hold)
        try:
            ws.forget(user="weibo:w9")  # rewrites events
            assert before <= set(root.glob("events/part-*.parquet"))  # a reader may still read them
        finally:
            other.close()
        ws.forget(user="ecommerce:u1")  # no other reader now: unreferenced files go
        live = {root / f for f in ws.store.state["events"]}  # type: ignore[attr-defined]
        assert set(root.glob("events/part-*.parquet")) == live
        assert _events(ws) == 2
