"""Agenda benchmark: ``agenda_setting`` on 365 days x 50 topics (goal: under 5 s).

Synthetic series with the simulator's model: the brand's daily topic weights and the audience's own
agenda drift as AR(1) processes on the log scale; the brand posts ``--posts`` times a day (its
emphasis is the topic share of those posts); the audience's salience is ``(1 - s) * own + s *
emphasis`` ``--lag`` days earlier, observed through ``--texts`` texts a day. It times the full
analysis (residualizing, prewhitening, cross-lagged correlations with the circular-shift baseline,
Granger tests per topic with AIC lag orders both ways, BH, rank correlations, block bootstraps)
overall and with ``--channels`` channels, and prints the figures with what was recovered.

With ``--truth SEEDS`` it also scores the analysis against the simulator's agenda process
(``canyu.simulate._engine.agenda_series``, 150 days, ~60 audience texts a day) over that many seeds
per scenario: how often each scenario's direction and lag are found, the Spearman correlation of
estimated and true strengths, and the share of topics called significant in the null.

Usage: .venv/bin/python bench/agenda.py [--days 365] [--topics 50] [--channels 4] [--repeat 3] [--truth 20]
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


def truth_scores(seeds: int, days: int = 150) -> None:
    """Direction, lag and strength against the simulator's truth over ``seeds`` seeds per scenario."""
    from scipy import stats

    from canyu.simulate import get_scenario
    from canyu.simulate._engine import agenda_series

    def run(scenario: str, seed: int, **knobs: float):  # type: ignore[no-untyped-def]
        b, a, _ = agenda_series(np.random.default_rng(seed), get_scenario(scenario, **knobs), days)
        index = pd.date_range("2026-03-02", periods=days, freq="D")
        share = [pd.DataFrame(c / np.maximum(c.sum(axis=1, keepdims=True), 1), index) for c in (b, a)]
        return agenda_setting(*share)

    for scenario, want in (("default", "brand_leads"), ("audience-leads", "audience_leads")):
        rs = [run(scenario, 1000 + s) for s in range(seeds)]
        print(
            f"{scenario}: direction {want} in {sum(r.direction == want for r in rs)}/{seeds}, "
            f"lag 3 +- 1 in {sum(abs(r.lag_days - 3) <= 1 for r in rs)}/{seeds}, "
            f"strength {np.mean([r.strength for r in rs]):.3f}, reverse {np.mean([r.reverse_strength for r in rs]):.3f}"
        )
    truth, est = [], []
    for strength in (0.0, 0.2, 0.4, 0.6, 0.8):
        for s in range(seeds):
            truth.append(strength)
            est.append(run("default", 2000 + s, agenda_strength=strength).strength)
    means = np.array(est).reshape(5, seeds).mean(axis=1)
    print(
        f"strengths 0, .2, .4, .6, .8: Spearman {stats.spearmanr(truth, est).statistic:.3f} over {len(est)} runs; "
        f"mean estimates {np.round(means, 3).tolist()}"
    )
    null = [run("no-agenda", 3000 + s) for s in range(seeds)]
    topic_q = np.mean(
        [((r.topics.q_brand_leads < 0.05) | (r.topics.q_audience_leads < 0.05)).mean() for r in null]
    )
    topic_p = np.mean(
        [
            ((r.topics.p_brand_leads < 0.05).mean() + (r.topics.p_audience_leads < 0.05).mean()) / 2
            for r in null
        ]
    )
    print(
        f"no-agenda: topics significant (BH q < 0.05, either way) {topic_q:.3f}, raw Granger p < 0.05 {topic_p:.3f}, "
        f"overall direction called in {sum(r.direction != 'none' for r in null)}/{seeds} seeds"
    )
    weak = [run("weak-agenda", 4000 + s) for s in range(seeds)]
    labels = pd.Series([r.strength_label for r in weak]).value_counts().to_dict()
    print(f"weak-agenda (0.1): labels {labels}, strength {np.mean([r.strength for r in weak]):.3f}")


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
    ap.add_argument("--truth", type=int, default=0, help="seeds per scenario for the truth scores (0: skip)")
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
    if args.truth:
        truth_scores(args.truth)


if __name__ == "__main__":
    main()
