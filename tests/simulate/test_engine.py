"""The event log: batches with constant columns laid out as full columns."""

from __future__ import annotations

import numpy as np

from canyu.simulate._engine import EventLog


def test_columns_lay_out_constant_and_array_batches(rng: np.random.Generator) -> None:
    log = EventLog()
    expected: dict[str, list[np.ndarray]] = {
        "t": [],
        "ch": [],
        "content": [],
        "value": [],
        "parent_event": [],
    }
    for i in range(60):
        m = int(rng.integers(0, 6))
        t = rng.integers(0, 1000, m)
        content: int | np.ndarray = i if i % 3 else rng.integers(0, 9, m)
        value: float | np.ndarray = np.nan if i % 2 else rng.random(m)
        ids = log.add(t, i % 9, 1, rng.integers(0, 50, m), content=content, value=value)
        assert len(ids) == m
        if m:
            expected["t"].append(t)
            expected["ch"].append(np.full(m, i % 9))
            expected["content"].append(np.broadcast_to(content, m))
            expected["value"].append(np.broadcast_to(value, m))
            expected["parent_event"].append(np.full(m, -1))
        if i == 30:  # laid out half way, then more batches
            assert len(log.columns()["t"]) == log.n
    cols = log.columns()
    assert cols is not log.columns() and cols["t"] is log.columns()["t"]  # laid out once
    for key, parts in expected.items():
        np.testing.assert_array_equal(cols[key], np.concatenate(parts), err_msg=key)
    assert cols["ch"].dtype == np.int8 and cols["content"].dtype == np.int32
    assert len(EventLog().columns()["t"]) == 0
