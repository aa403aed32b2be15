"""Simulator benchmark: events per second and peak memory.

Runs ``canyu.simulate`` in a child process (so its peak resident memory is
measured alone) for a population sized to produce about the requested number
of events, and prints the time of the world, the behaviour chain and the file
export, events per second, and the peak memory against the goals (10M events
in at most 60 s on 2 cores, under 4 GB).

Usage: python bench/simulate.py [--events 10000000] [--days 90]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time, datetime as dt
from pathlib import Path
import numpy as np
from canyu.simulate._engine import run
from canyu.simulate._export import write_files
from canyu.simulate._scenarios import get_scenario
from canyu.simulate._world import build_world
people, days, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
sc = get_scenario("default")
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB so far (Linux: KiB)
t0 = time.perf_counter()
rng = np.random.default_rng(7)
world = build_world(rng, sc, people)
t1, m1 = time.perf_counter(), peak()
sim = run(rng, world, sc, days)
t2, m2 = time.perf_counter(), peak()
write_files(sim, out, seed=7, start=dt.date(2026, 8, 1), dirty=False)
t3, m3 = time.perf_counter(), peak()
print(json.dumps({"world": t1 - t0, "behaviour": t2 - t1, "export": t3 - t2, "events": sim.log.n,
                  "peak": {"world": m1, "behaviour": m2, "export": m3}}))
"""

# Events per person and day of the default scenario (seed 7, 90 days), measured: 0.131 at 100k people,
# 0.135-0.145 from 247k to 760k, 0.156 at 740,740 people (the 10M run: 10.42M events), 0.164-0.171
# from 777k to 810k. It drifts with the population because a few cascades go viral.
EVENTS_PER_PERSON_DAY = 0.15


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=90)
    args = ap.parse_args()
    people = int(args.events / EVENTS_PER_PERSON_DAY / args.days)
    with tempfile.TemporaryDirectory(prefix="canyu-sim-bench-") as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(people), str(args.days), tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    total = figures["world"] + figures["behaviour"] + figures["export"]
    n = figures["events"]
    print(f"people {people:,}, days {args.days}: {n:,} events")
    print(f"  world (people, graphs)  : {figures['world']:7.1f} s")
    print(
        f"  behaviour chain         : {figures['behaviour']:7.1f} s  ({n / figures['behaviour'] / 1e6:.2f} M events/s)"
    )
    print(f"  export (files, truth)   : {figures['export']:7.1f} s")
    print(f"  total                   : {total:7.1f} s  ({n / total / 1e6:.2f} M events/s end to end)")
    phase_peak = figures["peak"]
    print(
        f"  peak memory             : {peak_mb:7.0f} MB  (highest after world {phase_peak['world']:.0f} MB, "
        f"behaviour {phase_peak['behaviour']:.0f} MB, export {phase_peak['export']:.0f} MB)"
    )
    scaled = total * 10_000_000 / n
    print(
        f"time for 10M events (scaled): {scaled:.0f} s (goal <= 60 s: {'met' if scaled <= 60 else 'NOT met'}); "
        f"peak {peak_mb:.0f} MB (goal < 4096 MB: {'met' if peak_mb < 4096 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
