"""Arrow record batches go through the importer like a file: validation, dedupe, quarantine, accounting."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import canyu
from canyu.errors import IngestError


def _batch(ids: list[str], actions: list[str], ts: list[str], values: list[float | None]) -> pa.RecordBatch:
    n = len(ids)
    return pa.record_batch(
        {
            "event_id": ids,
            "ts": ts,
            "channel": ["mini_program"] * n,
            "action": actions,
            "user_id": [f"u{i % 2}" for i in range(n)],
            "value": pa.array(values, pa.float64()),
            "props": pa.array([{"page": "home"}] * n, pa.struct([("page", pa.string())])),
        }
    )


def test_batches_are_validated_deduplicated_and_counted(engine: str, tmp_path: Path) -> None:
    good = _batch(
        ["e1", "e2", "e3"],
        ["view", "click", "purchase"],
        ["2026-10-01 09:00:00", "2026-10-01 09:01:00", "2026-10-01 09:02:00"],
        [None, None, 99.0],
    )
    mixed = _batch(
        ["e3", "e4", "e4", "e5", "e6"],  # e3 was loaded before; e4 twice in the batch
        ["purchase", "view", "view", "liek", "view"],
        ["2026-10-01 09:02:00", "2026-10-01 10:00:00", "2026-10-01 10:00:00", "2026-10-01 10:01:00", "soon"],
        [99.0, None, None, None, None],
    )
    with canyu.create(tmp_path / "ws", engine=engine, locale="en") as ws:
        r1 = ws.import_batches([good], table="events", source="collector:h5")
        assert (r1.rows_in, r1.rows_loaded, r1.rows_duplicate, r1.rows_quarantined) == (3, 3, 0, 0)
        r2 = ws.import_batches(pa.Table.from_batches([mixed]), table="events", source="collector:h5")
        assert (r2.rows_in, r2.rows_loaded, r2.rows_duplicate, r2.rows_quarantined) == (5, 1, 2, 2)
        assert r2.rows_in == r2.rows_loaded + r2.rows_duplicate + r2.rows_quarantined
        r3 = ws.import_batches(good, table="events", source="collector:h5")  # the same rows again
        assert (r3.rows_loaded, r3.rows_duplicate) == (0, 3)
        ev = ws.to_arrow(ws.table("events").order_by("event_id")).to_pylist()
        assert [e["event_id"] for e in ev] == ["e1", "e2", "e3", "e4"]
        assert ev[2]["value"] == 99.0 and '"page"' in ev[0]["props"]
        q = ws.quarantine().to_pylist()
        assert sorted((r["row_number"], r["field"]) for r in q) == [(4, "action"), (5, "ts")]
        assert {r["source"] for r in q} == {"collector:h5"}
        assert "closest valid: 'like'" in next(r["reason"] for r in q if r["field"] == "action")
        imports = ws.to_arrow(ws.table("imports").order_by("started")).to_pylist()
        assert [(i["source"], i["rows_in"], i["rows_loaded"]) for i in imports] == [
            ("collector:h5", 3, 3),
            ("collector:h5", 5, 1),
            ("collector:h5", 3, 0),
        ]
        with pytest.raises(IngestError, match="no record batches"):
            ws.import_batches([], table="events", source="collector:h5")
