"""Console benchmark: p95 latency of the overview and findings pages on a large workspace.

Generates a synthetic workspace (default 10M events: vectorised numpy/pyarrow, written as Parquet
and loaded with ``Workspace.import_files``, the importer's own validation and dedupe), starts the
real console (``canyu.web.create_app`` under uvicorn on 127.0.0.1), signs in, and requests each
page: the first (cold) request computes the page's analyses, the next ones are served from the
per-data-version cache. Prints cold time, p50, p95 and max of the warm requests (goal: p95 <
300 ms once warm).

Usage: python bench/web.py [--events 10000000] [--requests 50] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

PASSWORD = "bench password 123"


def generate(folder: Path, events: int, seed: int = 11) -> list[Path]:
    """Events over 90 days on six channels, ~1/60 of them purchases, as Parquet files of 2M rows."""
    rng = np.random.default_rng(seed)
    channels = pa.array(["weibo", "wechat_oa", "douyin", "xiaohongshu", "ecommerce", "forum"])
    actions = pa.array(["view", "like", "share", "comment", "follow", "purchase"])
    p_action = np.array([0.70, 0.14, 0.05, 0.05, 0.043, 0.017])
    base = np.datetime64("2026-07-01T00:00:00")
    people = max(1000, events // 20)
    files = []
    chunk = 2_000_000
    for i, start in enumerate(range(0, events, chunk)):
        n = min(chunk, events - start)
        action_idx = rng.choice(len(actions), size=n, p=p_action)
        ts = (base + rng.integers(0, 86400 * 90, n).astype("timedelta64[s]")).astype("datetime64[us]")
        value = np.where(action_idx == 5, np.round(rng.gamma(2.0, 80.0, n), 2), np.nan)
        table = pa.table(
            {
                "event_id": pc.binary_join_element_wise(
                    "e", pc.cast(pa.array(np.arange(start, start + n)), pa.string()), ""
                ),
                "ts": pa.array(ts),
                "channel": channels.take(pa.array(rng.integers(0, len(channels), n))),
                "action": actions.take(pa.array(action_idx)),
                "user_id": pc.binary_join_element_wise(
                    "u", pc.cast(pa.array(rng.integers(0, people, n)), pa.string()), ""
                ),
                "content_id": pc.binary_join_element_wise(
                    "c", pc.cast(pa.array(rng.integers(0, 5000, n)), pa.string()), ""
                ),
                "campaign_id": pc.binary_join_element_wise(
                    "camp", pc.cast(pa.array(rng.integers(0, 12, n)), pa.string()), ""
                ),
                "value": pa.array(value, mask=np.isnan(value)),
            }
        )
        path = folder / f"events-{i:03d}.parquet"
        pq.write_table(table, path)
        files.append(path)
    return files


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument(
        "--keep", type=Path, default=None, help="Build (or reuse) the workspace here and keep it."
    )
    args = ap.parse_args()

    import httpx
    import uvicorn

    import canyu
    from canyu.web import AccountStore, create_app

    tmp = Path(tempfile.mkdtemp(prefix="canyu-bench-web-"))
    os.environ.setdefault("CANYU_HOME", str(tmp / "home"))
    root = args.keep or tmp / "root"
    ws_path = root / "big"
    if not (ws_path / "canyu.toml").exists():
        root.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        files = generate(tmp, args.events)
        print(f"generated {args.events:,} events in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        with canyu.create(ws_path, brand="Bench", locale="en") as ws:
            res = ws.import_files(files, table="events")
        loaded = sum(r.rows_loaded for r in res)
        print(
            f"imported {loaded:,} of {sum(r.rows_in for r in res):,} rows in {time.perf_counter() - t:.1f} s"
        )
        for f in files:
            f.unlink()
        store = AccountStore(root)
        store.add_user("bench", PASSWORD, now=time.time())
        store.grant("bench", "big", "viewer")

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(root, collector=False), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=600) as c:
            import re

            token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
            r = c.post("/login", data={"user": "bench", "password": PASSWORD, "csrf_token": token})
            assert r.status_code in (200, 303), r.status_code
            for name, path in (("overview", "/w/big"), ("findings", "/w/big/findings")):
                t = time.perf_counter()
                r = c.get(path, headers={"accept": "text/html"})
                cold = time.perf_counter() - t
                assert r.status_code == 200, r.text[:300]
                times = []
                for _ in range(args.requests):
                    t = time.perf_counter()
                    r = c.get(path, headers={"accept": "text/html"})
                    times.append(time.perf_counter() - t)
                    assert r.status_code == 200
                times.sort()
                p95 = times[max(0, round(0.95 * len(times)) - 1)]
                print(
                    f"{name:9s} {args.events:>12,} events: cold {cold * 1000:9.0f} ms; warm over {len(times)} requests:"
                    f" p50 {statistics.median(times) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms, max {times[-1] * 1000:6.1f} ms"
                    f" -> {'OK' if p95 < 0.3 else 'over'} the 300 ms goal"
                )
    finally:
        server.should_exit = True
        thread.join(timeout=60)
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
