"""DuckDB and Spark give the same import results and the same answers."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest

import canyu
from canyu.errors import EngineError, UnknownNameError
from canyu.store import open_store

FILES = (
    ("events_basic.csv", "events", "generic_events"),
    ("events_broken.csv", "events", "generic_events"),
    ("events_gb18030.csv", "events", "generic_events"),
    ("events_duplicates.csv", "events", "generic_events"),
    ("identity_links.csv", "identity_links", None),
    ("xhs_notes.xlsx", "content_stats", "xiaohongshu_notes"),
)


def _load(ws: canyu.Workspace, data_dir: Path) -> list[tuple[int, int, int, int]]:
    out = []
    for name, table, mapping in FILES:
        [r] = ws.import_files([data_dir / name], table=table, mapping=mapping)
        out.append((r.rows_in, r.rows_loaded, r.rows_duplicate, r.rows_quarantined))
    return out


def _answers(ws: canyu.Workspace) -> dict[str, object]:
    ev = ws.table("events")
    by_channel = ws.to_arrow(
        ev.group_by("channel")
        .aggregate(n=ev.count(), people=ev.person_id.nunique(), value=ev.value.sum())
        .order_by("channel")
    ).to_pylist()
    purchasers = ws.to_arrow(
        ev.filter(ev.action == "purchase")
        .group_by("person_id")
        .aggregate(orders=ibis._.count())
        .order_by("person_id")
    ).to_pylist()
    daily = ws.to_arrow(
        ev.mutate(day=ev.ts.date()).group_by("day").aggregate(n=ibis._.count()).order_by("day")
    ).to_pylist()
    stats = ws.to_arrow(
        ws.table("content_stats").select("date", "content_id", "exposes").order_by("date")
    ).to_pylist()
    q = ws.to_arrow(
        ws.table("quarantine").select("row_number", "field").order_by(["row_number", "field"])
    ).to_pylist()
    return {
        "by_channel": by_channel,
        "purchasers": purchasers,
        "daily": daily,
        "stats": stats,
        "quarantine": q,
        "rows": ws.status().rows,
    }


def test_same_results_on_both_engines(engine: str, tmp_path: Path, data_dir: Path) -> None:
    expected_counts = [(4, 4, 0, 0), (10, 2, 0, 8), (5, 5, 0, 0), (5, 3, 2, 0), (2, 2, 0, 0), (3, 2, 0, 1)]
    with canyu.create(tmp_path / "ref", engine="duckdb", locale="en") as ref:
        assert _load(ref, data_dir) == expected_counts
        reference = _answers(ref)
    with canyu.create(tmp_path / "ws", engine=engine, locale="en") as ws:
        assert _load(ws, data_dir) == expected_counts
        answers = _answers(ws)
    assert answers == reference
    # spot-check the reference itself, so equal-but-wrong cannot pass
    rows = {r["channel"]: r for r in reference["by_channel"]}  # type: ignore[union-attr]
    assert rows["ecommerce"]["value"] == pytest.approx(199.5 + 1299.0)
    assert rows["douyin"]["n"] == 3
    assert len(reference["purchasers"]) == 1  # type: ignore[arg-type]  # u1 on wechat and shop is one person


def test_forget_on_both_engines(engine: str, tmp_path: Path, data_dir: Path) -> None:
    with canyu.create(tmp_path / "ws", engine=engine, locale="en") as ws:
        _load(ws, data_dir)
        ev = ws.table("events")
        people = ws.to_arrow(ev.select("channel", "user_id", "person_id").order_by("user_id"))
        ws.store.write_derived("journeys", people)
        n_u1 = sum(1 for u in people.column("user_id").to_pylist() if u == "u1")
        res = ws.forget(user="ecommerce:u1")
        assert set(res.ids) == {"wechat_oa:u1", "ecommerce:u1", "wecom:wx_u1"}
        # derived tables are searched on both engines (Spark: the version's Parquet file is rewritten)
        assert n_u1 > 0 and res.rows_deleted["derived:journeys__v1"] == n_u1
        left = ws.store.read_derived("journeys")
        assert left is not None and left.num_rows == people.num_rows - n_u1
        assert "u1" not in left.column("user_id").to_pylist()
        ev = ws.table("events")
        left = ws.to_arrow(ev.filter(ev.user_id == "u1").count().as_table()).column(0)[0].as_py()
        assert left == 0
        assert ws.status().rows["identity_links"] == 0
        deletions = ws.to_arrow("deletions").to_pylist()
        assert (
            {d["table_name"]: d["rows_deleted"] for d in deletions}["events"]
            == res.rows_deleted["events"]
            > 0
        )
        assert res.compacted == (engine == "duckdb")  # Spark removes the rewritten files when unread
        # the same export again: u1's rows (e1, e2, e4 on wechat_oa and ecommerce) are suppressed
        [again] = ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
        assert again.rows_suppressed == 3
        assert again.rows_loaded + again.rows_duplicate + again.rows_quarantined + 3 == again.rows_in
        assert ws.to_arrow(ev.filter(ev.user_id == "u1").count().as_table()).column(0)[0].as_py() == 0


def test_engine_override_and_unknown_engine(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="duckdb"):
        canyu.create(tmp_path / "a", engine="postgres")
    with pytest.raises(UnknownNameError):
        open_store(tmp_path, engine="sqlite")


def test_import_budget_is_restored_for_queries(tmp_path: Path, data_dir: Path) -> None:
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        con = ws.store.con  # type: ignore[attr-defined]  # the DuckDB store's reader connection
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        seen: list[str] = []
        with ws.store.transaction(memory_limit="256MB") as txn:
            seen.append(txn.con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        assert seen == ["244.1 MiB"]  # 256 MB in DuckDB's binary units
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit != seen[0]
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")  # under 1GB
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == limit


def test_an_engine_without_the_workspaces_data_says_so(tmp_path: Path, data_dir: Path) -> None:
    import os
    import subprocess
    import sys

    with canyu.create(tmp_path / "duck", locale="en") as ws:
        ws.import_files([data_dir / "events_basic.csv"], mapping="generic_events")
    src = str(Path(canyu.__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-m", "canyu", "status", str(tmp_path / "duck"), "--engine", "spark"],
        env={**os.environ, "PYTHONPATH": src},
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert out.returncode != 0
    [line] = [x for x in out.stderr.splitlines() if x.strip()]
    assert "the spark engine has no data for this workspace, but the duckdb engine has" in line
    assert "--engine duckdb" in line
    with pytest.raises(EngineError, match="--engine duckdb"):
        canyu.open(str(tmp_path / "duck"), engine="spark")


@pytest.mark.spark
def test_a_spark_workspace_opened_on_duckdb_says_so(tmp_path: Path, data_dir: Path) -> None:
    from canyu.store import spark_available

    if spark_available():
        pytest.skip(f"Spark: {spark_available()}")
    with canyu.create(tmp_path / "sp", engine="spark", locale="en") as ws:
        ws.import_files(
            [data_dir / "events_basic.csv"], mapping="generic_events"
        )  # the kernel writes; no JVM
    with pytest.raises(EngineError, match=r"the duckdb engine has no data .* --engine spark"):
        canyu.open(str(tmp_path / "sp"), engine="duckdb")
    assert not (tmp_path / "sp" / "canyu.duckdb").exists()  # refused before creating anything
