"""The agenda strength's interval against the simulator's truth: coverage, and the weak-agenda rule's power.

Runs the simulator's agenda process alone (``canyu.simulate._engine.agenda_series``, 90 days, the
brand posting about 11.5 times a day) for ``--runs`` seeds per scenario, observed through ``--texts``
audience texts a day (about 19 at 1,000 simulated people, 60 at 5,000), and prints per block length
of the strength's moving-block bootstrap: the estimate's mean and standard deviation, the share of
95% intervals that hold the true strength (coverage), and what ``agenda_join_audience`` would say
(fires, unclear, silent) at its bound of 0.2.

    PYTHONPATH=src python bench/agenda_power.py --scenarios weak-agenda,default --texts 19 --runs 120 --blocks 14,7
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from canyu.analytics.agenda import agenda_setting
from canyu.plan._agenda_rules import WEAK_STRENGTH
from canyu.simulate._engine import agenda_series
from canyu.simulate._scenarios import get_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="weak-agenda,default")
    ap.add_argument("--texts", type=float, default=19.0)
    ap.add_argument("--runs", type=int, default=120)
    ap.add_argument("--blocks", default="14,7")
    ap.add_argument("--days", type=int, default=90)
    args = ap.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'scenario':<12} {'truth':>5} {'block':>5} {'mean':>6} {'sd':>6} {'boot sd':>7} {'cover':>6} "
        f"{'fires':>6} {'unclear':>7} {'silent':>6}  seconds (wall / CPU)"
    )
    for name in args.scenarios.split(","):
        sc = get_scenario(name)
        for block in (int(b) for b in args.blocks.split(",")):
            t0, c0 = time.perf_counter(), time.process_time()
            rows = []
            for seed in range(args.runs):
                b, a, _ = agenda_series(np.random.default_rng(seed), sc, args.days, texts_per_day=args.texts)
                shares = [pd.DataFrame(x / np.maximum(x.sum(1, keepdims=True), 1)) for x in (b, a)]
                r = agenda_setting(*shares, audience_texts=pd.Series(a.sum(1)), block_days=block)
                rows.append((r.direction, r.strength, *r.strength_interval))
            df = pd.DataFrame(rows, columns=["direction", "s", "lo", "hi"])
            truth = sc.agenda_strength
            leads = df["direction"].isin(["brand_leads", "reciprocal"])
            reaches = df["hi"] >= WEAK_STRENGTH
            silent = leads & reaches & ((df["s"] >= WEAK_STRENGTH) | (df["lo"] >= WEAK_STRENGTH))
            unclear = leads & reaches & ~silent
            cover = ((df["lo"] <= truth) & (df["hi"] >= truth)).mean()
            print(
                f"{name:<12} {truth:>5.2f} {block:>5} {df['s'].mean():>6.3f} {df['s'].std():>6.3f} "
                f"{((df['hi'] - df['lo']) / 3.92).mean():>7.3f} {cover:>6.2f} {(~silent & ~unclear).mean():>6.2f} "
                f"{unclear.mean():>7.2f} {silent.mean():>6.2f}  ({time.perf_counter() - t0:.0f} / {time.process_time() - c0:.0f})",
                flush=True,
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
