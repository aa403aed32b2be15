"""Agenda benchmark: ``agenda_setting`` on 365 days x 50 topics (goal: under 5 s).

Synthetic series with the simulator's model: the brand's daily topic weights and the audience's own
agenda drift as AR(1) processes on the log scale; the brand posts ``--posts`` times a day (its
emphasis is the topic share of those posts); the audience's salience is ``(1 - s) * own + s *
emphasis`` ``--lag`` days earlier, observed through ``--texts`` texts a day. It times the full
analysis (residualizing, prewhitening, cross-lagged correlations with the circular-shift baseline,
Granger tests per topic with AIC lag orders both ways, BH, rank correlations, block bootstraps)
overall and with ``--channels`` channels, and prints the figures with what was recovered.

Usage: .venv/bin/python bench/agenda.py [--days 365] [--topics 50] [--channels 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from canyu.analytics.agenda import agenda_setting


def synthetic(
    rng: np.random.Generator, days: int, topics: int, *, strength: float, lag: int, posts: float, texts: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    z = np.zeros((2, days, topics))
    z[:, 0] = rng.standard_normal((2, topics)) * 0.6
    for d in range(1, days):
        z[:, d] = 0.7 * z[:, d - 1] + rng.standard_normal((2, topics)) * 0.6 * np.sqrt(1 - 0.49)
    plan, own = np.exp(z[0]), np.exp(z[1])
    plan /= plan.sum(axis=1, keepdims=True)
    own /= own.sum(axis=1, keepdims=True)
    counts = np.array([rng.multinomial(max(1, rng.poisson(posts)), p) for p in plan])
    emphasis = counts / counts.sum(axis=1, keepdims=True)
    lagged = np.vstack([plan[:lag], emphasis[:-lag]])
    salience = (1 - strength) * own + strength * lagged
    talk = np.array([rng.multinomial(rng.poisson(texts), p) for p in salience])
    index = pd.date_range("2025-01-01", periods=days, freq="D")
    names = [f"topic_{k:02d}" for k in range(topics)]
    audience = talk / np.maximum(talk.sum(axis=1, keepdims=True), 1)
    return pd.DataFrame(emphasis, index, names), pd.DataFrame(audience, index, names)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--topics", type=int, default=50)
    ap.add_argument("--channels", type=int, default=4)
    ap.add_argument("--strength", type=float, default=0.6)
    ap.add_argument("--lag", type=int, default=3)
    ap.add_argument("--posts", type=float, default=60.0)
    ap.add_argument("--texts", type=float, default=400.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    opts = dict(strength=args.strength, lag=args.lag, posts=args.posts, texts=args.texts)
    brand, audience = synthetic(rng, args.days, args.topics, **opts)  # type: ignore[arg-type]
    channels = {
        f"channel_{c}": (brand, synthetic(rng, args.days, args.topics, **opts)[1])  # type: ignore[arg-type]
        for c in range(args.channels)
    }
    agenda_setting(brand, audience)  # warm-up (imports, statsmodels)
    for label, kwargs in (("overall", {}), (f"overall + {args.channels} channels", {"channels": channels})):
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            r = agenda_setting(brand, audience, **kwargs)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
        print(
            f"{args.days} days x {args.topics} topics, {label}: best {min(times):.2f} s of {args.repeat} "
            f"(goal < 5 s) | direction {r.direction}, lag {r.lag_days} {r.lag_interval}, "
            f"strength {r.strength:.3f} (true {args.strength}), "
            f"topics brand_leads {int((r.topics['direction'] == 'brand_leads').sum())}/{args.topics}"
        )


if __name__ == "__main__":
    main()
