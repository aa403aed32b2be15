"""The simulator's files: written in batches, they are the same as written whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from canyu.simulate import _export, _truth, simulate
from canyu.simulate._ids import ChannelIds, draw_phones, phone_strings
from canyu.simulate._world import CHANNELS


def test_a_csv_written_a_table_at_a_time_has_the_bytes_of_one_write(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": pa.array([f"ev{i}" for i in range(25)]),
            "text": pa.array(['逗号,引号"', None, "普通"] * 8 + ["x"]),
            "value": pa.array([1.5, None, 3.0, 4.25, None] * 5),
        }
    )
    pacsv.write_csv(table, tmp_path / "whole.csv", write_options=_export._CSV)
    with _export._CsvFile(tmp_path / "parts.csv") as f:
        for offset, length in ((0, 7), (7, 0), (7, 12), (19, 6)):  # an empty batch too
            f.write(table.slice(offset, length))
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()


def test_small_batches_write_the_same_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = simulate(tmp_path / "whole", people=1200, days=14, seed=5, dirty=True)
    monkeypatch.setattr(_export, "CHUNK", 293)  # events, content figures, follows in many batches
    monkeypatch.setattr(_truth, "_ROW_GROUP", 500)  # truth tables in many row groups
    parts = simulate(tmp_path / "parts", people=1200, days=14, seed=5, dirty=True)
    assert whole.events > 5 * 293
    for name in sorted(p.name for p in whole.path.iterdir()):
        a, b = whole.path / name, parts.path / name
        if name.endswith(".parquet"):
            assert pq.read_table(a).equals(pq.read_table(b)), name
            assert pq.ParquetFile(b).metadata.num_row_groups > 1, name
        else:
            assert a.read_bytes() == b.read_bytes(), name


def test_channel_ids_and_phones_as_strings(rng: np.random.Generator) -> None:
    ids = ChannelIds.draw(rng, 1000)
    people = rng.integers(0, 1000, 300)
    channels = rng.integers(0, len(CHANNELS), 300).astype(np.int8)
    valid = rng.random(300) < 0.7
    got = ids.on(channels, people, valid=valid).to_pylist()
    prefixes = ["wb", "qq", "dy", "xhs", "o", "wm", "fm", "mp", "tb_"]
    expected = [
        f"{prefixes[c]}{ids.numbers[c, p]}" if v else None
        for c, p, v in zip(channels.tolist(), people.tolist(), valid.tolist(), strict=True)
    ]
    assert got == expected
    assert ids.of("douyin", people[:5]).to_pylist() == [ids.one("douyin", p) for p in people[:5].tolist()]
    # every person has a distinct id on each channel
    assert all(len(np.unique(ids.numbers[c])) == 1000 for c in range(len(CHANNELS)))
    phones = phone_strings(draw_phones(rng, 500)).to_pylist()
    assert all(len(p) == 11 and p[0] == "1" and p[1] in "3456789" for p in phones)
