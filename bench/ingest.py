"""Ingest benchmark: `canyu import` against DuckDB's bare read_csv on the same file.

Generates an event CSV (default 10M rows, Chinese labels in a share of rows,
~1% broken rows, a free-text comment column with a phone number in ~1% of rows
and ~1% of user ids that are phone numbers, so canyu's personal-data scrubbing
is paid for), then, in one run:

1. DuckDB: ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a fresh
   database file (the reference: parsing and storing, nothing else);
2. canyu: ``canyu import WS file --table events`` (parse, map labels, validate,
   hash ids, deduplicate, quarantine, resolve person ids, store).

Each runs in its own process; wall time, CPU time (all threads) and peak resident memory (of the
process and its children) are printed, with canyu's speed as a ratio of
DuckDB's (goal: >= 0.5) and canyu's peak memory (goal: < 2 GB).

Usage: python bench/ingest.py [--rows 10000000 | --csv FILE] [--repeat N] [--keep]
       python bench/ingest.py --generate-only FILE [--rows N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    channels = pa.array(
        ["weibo", "wechat_oa", "douyin", "xiaohongshu", "ecommerce", "公众号", "微博", "forum"]
    )
    actions = pa.array(["view", "like", "share", "comment", "purchase", "阅读", "点赞", "转发"])
    writer = None
    base = np.datetime64("2026-07-01T00:00:00")
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        ids = pa.array(np.arange(start, start + n))
        ts = (base + rng.integers(0, 86400 * 90, n).astype("timedelta64[s]")).astype("datetime64[s]")
        action_idx = rng.integers(0, len(actions), n)
        value = np.where(np.isin(action_idx, [4]), np.round(rng.gamma(2.0, 80.0, n), 2), np.nan)
        table = pa.table(
            {
                "event_id": pc.binary_join_element_wise("e", pc.cast(ids, pa.string()), ""),
                "ts": pc.strftime(pa.array(ts), format="%Y-%m-%d %H:%M:%S"),
                "channel": channels.take(pa.array(rng.integers(0, len(channels), n))),
                "action": actions.take(pa.array(action_idx)),
                "user_id": pc.binary_join_element_wise(
                    "u", pc.cast(pa.array(rng.integers(0, 2_000_000, n)), pa.string()), ""
                ),
                "content_id": pc.binary_join_element_wise(
                    "c", pc.cast(pa.array(rng.integers(0, 5000, n)), pa.string()), ""
                ),
                "campaign_id": pc.binary_join_element_wise(
                    "camp", pc.cast(pa.array(rng.integers(0, 20, n)), pa.string()), ""
                ),
                # an empty cell where there is no amount (NaN would be written "nan", which the
                # importer rightly quarantines: a report's revenue must not turn NaN)
                "value": pa.array(value, mask=np.isnan(value)),
            }
        )
        # free text, ~1% of it with a phone number; ~1% of user ids are phone numbers
        phones = pc.binary_join_element_wise(
            "+86 138", pc.cast(pa.array(rng.integers(10_000_000, 99_999_999, n)), pa.string()), ""
        )
        has_phone = pa.array(rng.random(n) < 0.01)
        words = pa.array(["很好", "不错，下次再来", "发货慢", "great", "质量一般"])
        text = words.take(pa.array(rng.integers(0, len(words), n)))
        comment = pc.if_else(has_phone, pc.binary_join_element_wise("联系 ", phones, ""), text)
        table = table.append_column("comment", comment)
        phone_user = pa.array(rng.random(n) < 0.01)
        table = table.set_column(4, "user_id", pc.if_else(phone_user, phones, table.column("user_id")))
        # ~1% broken: an unknown action label
        broken = rng.random(n) < 0.01
        table = table.set_column(
            3, "action", pc.if_else(pa.array(broken), pa.scalar("stare"), table.column("action"))
        )
        if writer is None:
            writer = pacsv.CSVWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system, all threads) and peak RSS (MB) of one child process.

    ``os.wait4`` gives that child's own resource usage, so runs can alternate in any order (the
    RUSAGE_CHILDREN maximum would be the largest child's so far)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument(
        "--csv",
        type=Path,
        help="a file generate() wrote before (--generate-only), so the timed run does not generate",
    )
    ap.add_argument("--generate-only", type=Path, metavar="PATH", help="write the file and stop")
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the pair N times, alternating, and judge the goal on the median ratio (the machine's"
        " own speed varies from run to run)",
    )
    args = ap.parse_args()
    if args.generate_only:
        generate(args.generate_only, args.rows)
        return
    tmp = Path(tempfile.mkdtemp(prefix="canyu-bench-"))
    t0 = time.perf_counter()
    if args.csv:
        csv = args.csv
        with open(csv, "rb") as fh:
            args.rows = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b"")) - 1
    else:
        csv = tmp / "events.csv"
        generate(csv, args.rows)
    size_mb = csv.stat().st_size / 1e6
    print(f"{args.rows:,} rows, {size_mb:,.0f} MB ({time.perf_counter() - t0:.1f}s): {csv}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    env = {**os.environ, "CANYU_HOME": str(tmp / "home"), "CANYU_LOCALE": "en"}

    ref_db = tmp / "ref.duckdb"
    ref_cmd = [
        sys.executable,
        "-c",
        f"import duckdb; c = duckdb.connect({str(ref_db)!r});"
        f' c.execute("CREATE TABLE t AS SELECT * FROM read_csv({str(csv)!r})")',
    ]
    canyu = [sys.executable, "-m", "canyu"]
    ratios, cpu_ratios, peaks = [], [], []
    for i in range(args.repeat):
        ref_db.unlink(missing_ok=True)
        ref_wall, ref_cpu, ref_mem = _run(ref_cmd, env)
        print(
            f"[{i + 1}] duckdb read_csv -> table : {ref_wall:7.2f} s  {args.rows / ref_wall / 1e6:6.2f} M rows/s"
            f"  CPU {ref_cpu:6.1f} s  peak {ref_mem:7.0f} MB"
        )
        ws = tmp / "ws"
        if ws.exists():
            shutil.rmtree(ws)
        subprocess.run(
            [*canyu, "init", str(ws), "--locale", "en"], check=True, env=env, stdout=subprocess.DEVNULL
        )
        wall, cpu, mem = _run([*canyu, "import", str(ws), str(csv), "--table", "events"], env)
        print(
            f"[{i + 1}] canyu import             : {wall:7.2f} s  {args.rows / wall / 1e6:6.2f} M rows/s"
            f"  CPU {cpu:6.1f} s  peak {mem:7.0f} MB"
        )
        out = subprocess.run(
            [*canyu, "status", str(ws), "--json"], check=True, env=env, capture_output=True, text=True
        )
        st = json.loads(out.stdout)
        print(f"[{i + 1}] loaded {st['rows']['events']:,} events, quarantined {st['rows']['quarantine']:,}")
        ratios.append(ref_wall / wall)
        cpu_ratios.append(ref_cpu / cpu)
        peaks.append(mem)
        print(f"[{i + 1}] speed ratio {ratios[-1]:.2f}, CPU-time ratio {cpu_ratios[-1]:.2f}")
    ratio = float(np.median(ratios))
    mem = max(peaks)
    what = "median of " + str(args.repeat) + " runs" if args.repeat > 1 else "one run"
    print(
        f"speed ratio canyu/duckdb : {ratio:.2f} ({what}; goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})"
    )
    # CPU seconds vary less than wall time on a shared machine; the goal is stated on wall time
    print(f"CPU-time ratio           : {float(np.median(cpu_ratios)):.2f} ({what})")
    print(
        f"canyu peak memory        : {mem:.0f} MB, the largest (goal < 2048 MB: {'met' if mem < 2048 else 'NOT met'})"
    )
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    if not args.keep:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
