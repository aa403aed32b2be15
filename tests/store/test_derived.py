"""Derived tables written back through the store, versioned, on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

import canyu
from canyu.errors import EngineError


def test_derived_tables_are_versioned(engine: str, tmp_path: Path) -> None:
    topics = pa.table({"topic": pa.array([0, 1], pa.int64()), "word": ["价格", "o'k"], "weight": [0.7, 0.3]})
    with canyu.create(tmp_path / "ws", engine=engine, locale="en") as ws:
        store = ws.store
        assert store.read_derived("topics") is None
        assert store.derived_versions("topics").num_rows == 0
        assert store.write_derived("topics", topics, params={"k": 2, "seed": 7}) == 1
        more = pa.concat_tables([topics, topics])
        assert store.write_derived("topics", more, params={"k": 3}) == 2
        assert store.write_derived("plan", topics.slice(0, 1), params={}) == 1
        assert store.read_derived("topics").equals(more)  # type: ignore[union-attr]
        assert store.read_derived("topics", 1).equals(topics)  # type: ignore[union-attr]
        assert store.read_derived("topics", 3) is None
        versions = store.derived_versions("topics").to_pylist()
        assert [v["version"] for v in versions] == [1, 2]
        assert [v["rows"] for v in versions] == [2, 4]
        assert json.loads(versions[0]["params"]) == {"k": 2, "seed": 7}
        assert ws.status().rows["derived"] == 3
        with pytest.raises(EngineError, match="not a valid derived-table name"):
            store.write_derived("Bad Name", topics)
    with canyu.open(str(tmp_path / "ws")) as again:  # durable, and readable by a fresh reader
        assert again.store.read_derived("plan").num_rows == 1  # type: ignore[union-attr]
