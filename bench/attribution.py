"""Benchmark: canyu's attribution against the ChannelAttribution package on 1M path rows.

Run with ``.venv/bin/python bench/attribution.py [--rows 1000000] [--orders 1 2 3 4]``.
ChannelAttribution (``pip install ChannelAttribution``) is optional; without it
canyu is timed alone. Figures are wall-clock seconds of one run each, on the same
seeded data, from the same DataFrame (path strings) for both tools.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from canyu.analytics.attribution import (
    PathTable,
    first_touch,
    last_touch,
    linear,
    markov_attribution,
    position_based,
    shapley,
    time_decay,
)


def make_paths(rows: int, channels: int, *, seed: int = 0) -> pd.DataFrame:
    """``rows`` path rows over ``channels`` channels; conversion odds depend on the channels touched."""
    rng = np.random.default_rng(seed)
    names = np.array([f"ch{i:02d}" for i in range(channels)], dtype=object)
    lengths = np.minimum(rng.geometric(0.35, size=rows), 12)
    popularity = rng.dirichlet(np.full(channels, 2.0))
    touches = rng.choice(channels, size=int(lengths.sum()), p=popularity)
    effect = rng.normal(-0.5, 0.6, size=channels)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    score = np.add.reduceat(effect[touches], starts) / np.sqrt(lengths) - 1.5
    journeys = rng.poisson(8, size=rows) + 1
    conversions = rng.binomial(journeys, 1 / (1 + np.exp(-score)))
    labels = names[touches]
    paths = [" > ".join(labels[a : a + n]) for a, n in zip(starts, lengths, strict=True)]
    return pd.DataFrame(
        {
            "path": paths,
            "total_conversions": conversions.astype(float),
            "total_conversion_value": (conversions * rng.gamma(4.0, 25.0, size=rows)).round(2),
            "total_null": (journeys - conversions).astype(float),
        }
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def quiet(fn: Callable[[], Any]) -> Callable[[], Any]:
    """ChannelAttribution prints banners; keep the table readable."""

    def run() -> Any:
        with contextlib.redirect_stdout(io.StringIO()):
            return fn()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--ca-orders", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--shapley-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    try:
        import ChannelAttribution as ca
    except ImportError:
        ca = None
        print("ChannelAttribution is not installed: timing canyu alone")

    data = make_paths(args.rows, args.channels)
    conversions = int(data.total_conversions.sum())
    print(f"{len(data):,} path rows, {args.channels} channels, {conversions:,} conversions")
    results: list[tuple[str, float, float | None, str]] = []

    t_parse, paths = timed(lambda: PathTable.from_frame(data))
    print(f"touches: {len(paths.touches):,}")
    results.append(("parse path strings", t_parse, None, ""))

    heuristics = {
        "first_touch": first_touch,
        "last_touch": last_touch,
        "linear": linear,
        "time_decay": time_decay,
        "position_based": position_based,
    }
    t_heur = 0.0
    for rule in heuristics.values():
        seconds, _ = timed(lambda rule=rule: rule(paths))
        t_heur += seconds
    t_ca_heur = None
    if ca is not None:
        t_ca_heur, _ca_heur = timed(
            quiet(
                lambda: ca.heuristic_models(
                    data, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
                )
            )
        )
    results.append(("heuristics (first,last,linear,+2)", t_heur, t_ca_heur, "canyu runs 5 rules, CA 3"))

    for order in args.orders:
        seconds, mk = timed(lambda order=order: markov_attribution(paths, order=order))
        t_ca = None
        note = f"{len(mk.chain.states):,} states"
        if ca is not None and order in args.ca_orders:
            t_ca, ca_out = timed(
                quiet(
                    lambda order=order: ca.markov_model(
                        data,
                        "path",
                        "total_conversions",
                        var_value="total_conversion_value",
                        var_null="total_null",
                        order=order,
                        verbose=False,
                        flg_pro=False,
                    )
                )
            )
            ca_conv = ca_out.set_index("channel_name")["total_conversions"]
            ours = pd.Series(mk.conversions, index=mk.channels)
            gap = float((ours - ca_conv.reindex(ours.index)).abs().max() / max(ours.abs().max(), 1e-12))
            note += f"; max rel. gap vs CA {gap:.2%}"
        results.append((f"markov order {order} (+ removal effects)", seconds, t_ca, note))

    for channels in (12, 20):
        table = PathTable.from_frame(make_paths(args.shapley_rows, channels, seed=channels))
        seconds, _ = timed(lambda table=table: shapley(table))
        results.append((f"shapley {channels} ch, conversions (closed form)", seconds, None, ""))
        seconds, exact = timed(
            lambda table=table, channels=channels: shapley(
                table, value_function="conversion_rate", max_exact=max(channels, 15)
            )
        )
        results.append(
            (f"shapley {channels} ch, conversion_rate, exact", seconds, None, f"{2**channels:,} coalitions")
        )
        if channels > 15:
            seconds, res = timed(
                lambda table=table: shapley(table, value_function="conversion_rate", n_permutations=1000)
            )
            z = np.abs(res.conversions - exact.conversions) / res.conversions_se
            note = f"1000 orders; max SE {res.conversions_se.max():,.0f} conv; max |z| vs exact {z.max():.1f}"
            results.append((f"shapley {channels} ch, conversion_rate, sampled", seconds, None, note))

    print()
    print(f"{'task':<48}{'canyu s':>10}{'CA s':>10}{'CA/canyu':>10}  note")
    for task, ours_s, theirs_s, note in results:
        theirs = f"{theirs_s:10.2f}" if theirs_s is not None else f"{'-':>10}"
        ratio = f"{theirs_s / ours_s:10.1f}" if theirs_s is not None else f"{'-':>10}"
        print(f"{task:<48}{ours_s:10.2f}{theirs}{ratio}  {note}")


if __name__ == "__main__":
    main()
