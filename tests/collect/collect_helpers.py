"""Helpers of the collector tests: a real uvicorn in a thread, a free port, the rows of a workspace."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

import canyu
from canyu.collect import create_collector_app, load_spool


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Root:
    path: Path
    a: Path
    b: Path
    key_a: str
    key_b: str


class Server:
    """uvicorn in a thread of the test process (a real socket, the real app)."""

    def __init__(self, root: Path, *, load_interval: float | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_collector_app(root, load_interval=load_interval)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.should_exit = True
            self.thread.join(timeout=60)


def events_of(ws: Path) -> list[dict[str, object]]:
    """Every event row of a workspace (after loading what is spooled)."""
    load_spool(ws)
    with canyu.open(str(ws)) as w:
        return w.to_arrow(w.table("events").order_by("ts")).to_pylist()


def table_of(ws: Path, name: str) -> list[dict[str, object]]:
    with canyu.open(str(ws)) as w:
        return w.to_arrow(name).to_pylist()
