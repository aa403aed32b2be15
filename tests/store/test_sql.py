"""Quoting: names and values reach the engine intact, whatever characters they hold."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import canyu
from canyu.store import ident, literal, literal_list, values_list

SRC = str(Path(canyu.__file__).resolve().parents[1])
_CON = duckdb.connect()
ODD_NAMES = ("o'brien", 'say "hi"', "two  spaces", "品牌 测试", 'it\'s "all" 中文')


@settings(deadline=None, max_examples=60)
@given(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",))))
def test_a_literal_reads_back_as_itself(text: str) -> None:
    assert _CON.execute(f"SELECT {literal(text)}").fetchall() == [(text,)]


@settings(deadline=None, max_examples=60)
@given(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), min_size=1))
def test_an_identifier_names_exactly_its_column(name: str) -> None:
    described = _CON.execute(f"SELECT 1 AS {ident(name)}").description
    assert [d[0] for d in described] == [name]


def test_literals_of_every_kind() -> None:
    con = duckdb.connect()
    row = con.execute(
        "SELECT "
        + ", ".join(
            literal(v)
            for v in (None, 3, 2.5, True, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5), Path("a'b"))
        )
    ).fetchone()
    assert row == (None, 3, 2.5, True, dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5), "a'b")
    listed = literal_list(["x", "y'z"])
    assert con.execute(f"SELECT {listed}").fetchone()[0] == ["x", "y'z"]
    assert con.execute(f"SELECT * FROM (VALUES {values_list([(1, 'a'), (2, None)])})").fetchall() == [
        (1, "a"),
        (2, None),
    ]
    with pytest.raises(ValueError):
        literal("a\0b")


@pytest.mark.parametrize("name", ODD_NAMES)
def test_workspaces_at_odd_paths(engine: str, tmp_path: Path, data_dir: Path, name: str) -> None:
    if engine == "spark" and name != ODD_NAMES[-1]:
        pytest.skip("one odd path is enough for the slow engine")
    path = tmp_path / name / name
    with canyu.create(path, engine=engine, locale="en") as ws:
        [r] = ws.import_files([data_dir / "events_broken.csv"], mapping="generic_events")
        assert (r.rows_loaded, r.rows_quarantined) == (2, 8)
        [r] = ws.import_files(
            [data_dir / "events_gb18030.csv"], mapping="generic_events"
        )  # transcoded in .tmp
        assert r.rows_loaded == 5
        ws.import_files(
            [data_dir / "xhs_notes.xlsx"], mapping="xiaohongshu_notes"
        )  # a temporary Parquet file
        # counted table by table: status() counts every table, a Spark job each (a minute on Spark)
        assert ws.table("events").count().execute() == 7
    with canyu.open(str(path)) as ws:
        assert ws.table("quarantine").count().execute() == 9


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "canyu", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def test_canyu_init_with_a_quote_in_the_name(tmp_path: Path, data_dir: Path) -> None:
    out = _cli("init", "o'brien", "--locale", "en", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = _cli(
        "import", "o'brien", str(data_dir / "events_basic.csv"), "--mapping", "generic_events", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    with canyu.open(str(tmp_path / "o'brien")) as ws:
        assert ws.status().rows["events"] == 4


def test_a_failed_creation_leaves_no_half_made_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("CANYU_HOME", str(blocker / "home"))  # the key cannot be written: creation fails
    with pytest.raises(OSError):
        canyu.create(tmp_path / "new" / "ws")
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "existing"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    with pytest.raises(OSError):
        canyu.create(kept)
    assert sorted(p.name for p in kept.iterdir()) == ["notes.txt"]
