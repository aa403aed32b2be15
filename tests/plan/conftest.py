"""Simulated workspaces the plan tests share: a few thousand people over a month (built once per run)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import canyu
from canyu.simulate import import_simulation, simulate

PEOPLE = 3000
DAYS = 30
SEED = 5


def _build(root: Path, scenario: str) -> Path:
    sim = simulate(root / "sim", people=PEOPLE, days=DAYS, seed=SEED, scenario=scenario)
    with canyu.create(root / "ws", brand="测试品牌", locale="en") as ws:
        import_simulation(ws, sim.path)
    return root / "ws"


@pytest.fixture(scope="session")
def sim_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    """``sim_workspace(scenario)``: the folder of a simulated, imported workspace (memoised per run)."""
    made: dict[str, Path] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(tmp_path_factory.mktemp("plan-home")))
        mp.delenv("CANYU_HMAC_KEY", raising=False)

        def get(scenario: str = "default") -> Path:
            if scenario not in made:
                made[scenario] = _build(tmp_path_factory.mktemp(f"plan-{scenario}"), scenario)
            return made[scenario]

        yield get


@pytest.fixture
def copy_workspace(tmp_path: Path, sim_workspace: Callable[[str], Path]) -> Callable[[str], Path]:
    """A private copy of a simulated workspace, for tests that write into it (plans/, reports/)."""
    import shutil

    def get(scenario: str = "default") -> Path:
        dst = tmp_path / f"copy-{scenario}"
        shutil.copytree(sim_workspace(scenario), dst)
        return dst

    return get
