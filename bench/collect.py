"""Collector benchmark: events per second acknowledged, and the time from acknowledgement to queryable.

Starts the collector (one uvicorn process, group commit on, loader every
``--load-interval`` s) on 127.0.0.1 over a fresh workspace, then a bounded load
generator (keep-alive sockets, ``--connections`` in flight) sends PostHog v0
``/batch/`` bodies as the posthog SDK builds them (``--batch`` events each, unique
uuids) until ``--events`` are acknowledged or ``--seconds`` have passed, and stops.

It prints:

- events/s acknowledged (every 200 means the batch was fsynced; goal >= 20,000);
- fsyncs per second (how many requests shared one, from the spool's frames);
- ack -> queryable: for each acknowledged event, the time until a reader of the
  workspace (``canyu.open``, as ``canyu analyze`` and the console read it: the
  published snapshot) counted it in ``events``; p50/p95/max (goal < 5 s);
- CPU per event of the server, the loader process and the load generator, each on its own;
- that every acknowledged event is in the events table at the end.

Usage: python bench/collect.py [--events 300000] [--seconds 30] [--batch 100] [--connections 16] [--rate 0]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int, *, children: bool = True) -> float:
    """CPU seconds (user + system) of ``pid`` and its live children (the loader process), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir() if children else ():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return total


def _bodies(key: str, n_batches: int, batch: int) -> list[bytes]:
    now = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime())
    props = '{"$current_url":"https://h5.example.cn/p/618","utm_source":"weibo","utm_campaign":"618","$lib":"posthog-python"}'
    out = []
    for b in range(n_batches):
        events = ",".join(
            f'{{"event":"$pageview","distinct_id":"u{(b * batch + i) % 5000}","uuid":"{uuid.uuid4()}",'
            f'"timestamp":"{now}","properties":{props}}}'
            for i in range(batch)
        )
        out.append(f'{{"api_key":"{key}","batch":[{events}],"sent_at":"{now}"}}'.encode())
    return out


def _generate(
    port: int, bodies: list[bytes], batch: int, seconds: float, connections: int, rate: float = 0.0
) -> tuple[list[tuple[float, int]], float]:
    """Send until the bodies run out or time is up; (time, events acknowledged so far) per ack, and
    the CPU seconds the sending threads used (the generator's own cost, counted apart).

    Plain keep-alive HTTP/1.1 over sockets, one thread per connection, requests
    built in advance: the generator should cost the shared cores as little as it can.
    """
    acks: list[tuple[float, int]] = []
    cpu: list[float] = []
    lock = threading.Lock()
    it = iter(enumerate(bodies))
    start = time.monotonic()
    deadline = start + seconds
    head = f"POST /batch/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"

    def worker() -> None:
        sock = socket.create_connection(("127.0.0.1", port))
        buf = b""
        c0 = time.thread_time()
        try:
            while time.monotonic() < deadline:
                with lock:
                    i, body = next(it, (0, None))
                if body is None:
                    return
                if rate:  # paced: body i leaves at start + i * batch / rate
                    time.sleep(max(0.0, start + i * batch / rate - time.monotonic()))
                sock.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
                while b"\r\n\r\n" not in buf:
                    buf += sock.recv(65536)
                header, _, buf = buf.partition(b"\r\n\r\n")
                length = int(header.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                while len(buf) < length:
                    buf += sock.recv(65536)
                buf = buf[length:]
                if header.startswith(b"HTTP/1.1 200"):
                    with lock:
                        acks.append((time.monotonic(), (acks[-1][1] if acks else 0) + batch))
        finally:
            sock.close()
            with lock:
                cpu.append(time.thread_time() - c0)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acks, sum(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--load-interval", type=float, default=1.0)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="events/s to offer (0: as fast as acknowledged)"
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="canyu-bench-collect-"))
    os.environ.setdefault("CANYU_HOME", str(tmp / "home"))
    import canyu
    from canyu.collect import collector_counts, create_ingest_key

    root = tmp / "clients"
    ws = root / "brand-x"
    canyu.create(ws, brand="bench").close()
    key = create_ingest_key(ws, "bench")
    port = _port()
    env = dict(os.environ, PYTHONPATH=str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "canyu.collect",
            str(root),
            "--port",
            str(port),
            "--load-interval",
            str(args.load_interval),
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the collector did not start")
            time.sleep(0.1)
        n_batches = args.events // args.batch
        bodies = _bodies(key, n_batches, args.batch)
        print(f"collector on 127.0.0.1:{port}; {n_batches} bodies of {args.batch} events ready", flush=True)

        # What a reader sees (the published snapshot, as canyu analyze reads it), sampled while the
        # generator runs: the events table's row count.
        loaded: list[tuple[float, int]] = []
        stop = threading.Event()
        reader_cpu: list[float] = []

        def sample() -> None:
            c0 = time.thread_time()
            with canyu.open(str(ws)) as reader:
                count = reader.table("events").count()
                while not stop.is_set():
                    loaded.append(
                        (
                            time.monotonic(),
                            int(reader.to_arrow(count.name("n").as_table()).column(0)[0].as_py()),
                        )
                    )
                    time.sleep(0.1)
            reader_cpu.append(time.thread_time() - c0)

        sampler = threading.Thread(target=sample)
        sampler.start()
        load0 = os.getloadavg()
        cpu0, server0 = _cpu_s(proc.pid), _cpu_s(proc.pid, children=False)
        t0 = time.monotonic()
        acks, gen_cpu = _generate(port, bodies, args.batch, args.seconds, args.connections, args.rate)
        send_s = time.monotonic() - t0
        total = acks[-1][1] if acks else 0
        print(f"acknowledged {total} events in {send_s:.2f} s: {total / send_s:,.0f} events/s", flush=True)
        wait_until = time.monotonic() + 120
        while (not loaded or loaded[-1][1] < total) and time.monotonic() < wait_until:
            time.sleep(0.05)
        stop.set()
        sampler.join()
        cpu = _cpu_s(proc.pid) - cpu0
        server_cpu = _cpu_s(proc.pid, children=False) - server0
        if total:
            print(
                f"server CPU (HTTP, decode, spool, fsync waits): {server_cpu / total * 1e6:.0f} us per event;"
                f" loader process: {(cpu - server_cpu) / total * 1e6:.0f} us per event"
            )
            # What the collector itself spent (server + loader process), whatever else ran on the
            # machine: on a shared machine this is the figure that carries over.
            per = cpu / total * 1e6
            print(
                f"load generator CPU: {gen_cpu / total * 1e6:.0f} us per event;"
                f" the reader that polls the count: {sum(reader_cpu):.1f} s in all"
            )
            print(
                f"collector CPU: {cpu:.1f} s for {total} events = {per:.0f} us per event received and loaded;"
                f" capacity on 2 cores of its own: {2e6 / per:,.0f} events/s end to end"
            )
        times = [t for t, _ in loaded]
        counts = [n for _, n in loaded]
        lags = []
        for t_ack, n in acks:
            i = bisect.bisect_left(counts, n)
            if i < len(counts):
                lags.append(max(0.0, times[i] - t_ack))
        lags.sort()
        if lags:
            p50, p95 = lags[len(lags) // 2], lags[int(len(lags) * 0.95)]
            print(
                f"ack -> queryable: p50 {p50:.2f} s, p95 {p95:.2f} s, max {lags[-1]:.2f} s ({len(lags)} batches)"
            )
        c = collector_counts(ws)
        print(f"counts: {json.dumps(c.to_dict(), ensure_ascii=False)}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    with canyu.open(str(ws)) as w:
        rows = w.to_arrow(w.table("events").select("event_id")).num_rows
    print(f"events table: {rows} rows ({'all' if rows == total else 'NOT all'} acknowledged events)")
    print(
        f"machine: {os.cpu_count()} cores, load average (1 min) {load0[0]:.1f} at the start,"
        f" {os.getloadavg()[0]:.1f} at the end (shared with other work)"
    )


if __name__ == "__main__":
    main()
