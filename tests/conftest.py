"""Shared fixtures: a private CANYU_HOME, a seeded generator, sample files, workspaces per engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import canyu
from canyu.store import spark_available

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def canyu_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Key files go to a private folder, never the developer's ~/.config."""
    home = tmp_path_factory.mktemp("canyu-home")
    monkeypatch.setenv("CANYU_HOME", str(home))
    monkeypatch.delenv("CANYU_HMAC_KEY", raising=False)
    monkeypatch.setenv("CANYU_LOCALE", "en")
    return home


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261128)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[canyu.Workspace]:
    ws = canyu.create(tmp_path / "ws", brand="Test", locale="en")
    yield ws
    ws.close()


def _engine_params() -> list[object]:
    reason = spark_available()
    return [
        pytest.param("duckdb"),
        pytest.param(
            "spark",
            marks=[pytest.mark.spark, pytest.mark.skipif(reason is not None, reason=f"Spark: {reason}")],
        ),
    ]


@pytest.fixture(params=_engine_params())
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)
