"""A root of two workspaces, their ingest keys, and a real uvicorn serving the collector on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from collect_helpers import Root, Server

import canyu
from canyu.collect import create_ingest_key


@pytest.fixture
def root(tmp_path: Path) -> Root:
    base = tmp_path / "clients"
    for name in ("brand-a", "brand-b"):
        canyu.create(base / name, brand=name, locale="en").close()
    a, b = base / "brand-a", base / "brand-b"
    return Root(base, a, b, create_ingest_key(a, "H5 pages"), create_ingest_key(b, "H5 pages"))


@pytest.fixture
def server(root: Root) -> Iterator[Server]:
    s = Server(root.path)
    yield s
    s.stop()
