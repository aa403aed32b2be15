"""canyu's planner reads the workspace's data only: the simulator's truth beside the files changes nothing.

bench/plan.py's oracle is built from the truth; canyu's plan must not be. A workspace imported from a
simulation's files with ``truth.json`` and the truth tables removed gets exactly the same plan.
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

import canyu
from canyu.plan.actions import build_plan
from canyu.simulate import import_simulation, simulate


def _plan(files: Path, ws_path: Path) -> dict[str, Any]:
    with canyu.create(ws_path, brand="测试品牌", locale="en") as ws:
        import_simulation(ws, files)
    with canyu.open(ws_path) as ws:
        plan = build_plan(
            ws.session(),
            period="2026-08-22..2026-09-04",
            budget=5_000.0,
            objective="revenue",
            today=dt.date(2026, 8, 22),
        )
    out = plan.to_dict("en")
    out.pop("created", None)
    return out


def _differences(x: Any, y: Any, path: str = "") -> list[str]:
    """The paths at which two JSON-like values differ (so that a failure names what changed); floats
    equal to 1e-9 relative count as equal."""
    if isinstance(x, dict) and isinstance(y, dict):
        return [
            d
            for k in sorted(set(x) | set(y), key=str)
            for d in _differences(x.get(k), y.get(k), f"{path}.{k}")
        ]
    if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        return [
            d for i, (u, v) in enumerate(zip(x, y, strict=True)) for d in _differences(u, v, f"{path}[{i}]")
        ]
    if isinstance(x, float) and isinstance(y, float) and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
        return []  # the engine's parallel sums may add in another order (the last digit of a float)
    return [] if x == y else [f"{path}: {x!r:.120} != {y!r:.120}"]


def test_the_plan_is_the_same_without_the_truth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANYU_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CANYU_HMAC_KEY", raising=False)
    sim = simulate(tmp_path / "files", people=1000, days=21, seed=3)
    truth_files = sorted(p.name for p in sim.path.iterdir() if p.name.startswith("truth"))
    assert "truth.json" in truth_files and len(truth_files) >= 2
    bare = tmp_path / "bare"
    shutil.copytree(sim.path, bare)
    for name in truth_files:
        (bare / name).unlink()
    with_truth = _plan(sim.path, tmp_path / "ws-a")
    without = _plan(bare, tmp_path / "ws-b")
    assert with_truth["levers"] == without["levers"]
    assert _differences(with_truth, without) == []
    # and the plan sets real levers (not an empty plan that would pass trivially)
    assert sum(with_truth["levers"]["posts_per_day"].values()) > 0
    assert with_truth["levers"]["spend_per_day"]
