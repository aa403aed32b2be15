"""Exact Markov attribution against an independent dense implementation and a known chain."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from canyu.analytics.attribution import PathTable, markov_attribution, markov_chain, read_path_csv
from canyu.analytics.attribution._markov import DIRECT_SOLVE_LIMIT

CHANNELS = ("a", "b", "c", "d")


def brute_force_markov(
    rows: list[tuple[list[str], float, float, float]], order: int, history: str
) -> tuple[float, dict[str, float], dict[str, float]]:
    """Conversion probability and removal effects by dictionaries and a dense solve.

    Written from the definitions, sharing no code with canyu: states are tuples of
    channel names; ``(start)`` and the two absorbing states are strings.
    """
    counts: dict[object, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    value_out: dict[object, float] = defaultdict(float)
    for path, conv, value, null in rows:
        if history == "windows":
            if len(path) < order:
                states = [tuple(path)]
            else:
                states = [tuple(path[i - order + 1 : i + 1]) for i in range(order - 1, len(path))]
        else:
            states = [tuple(path[max(0, i - order + 1) : i + 1]) for i in range(len(path))]
        walk = ["(start)", *states]
        for src, dst in itertools.pairwise(walk):
            counts[src][dst] += conv + null
        counts[walk[-1]]["(conversion)"] += conv
        counts[walk[-1]]["(null)"] += null
        value_out[walk[-1]] += value
    transient = sorted({s for s in counts if s != "(start)"})
    index = {s: i for i, s in enumerate(transient)}
    n = len(transient)

    def solve(removed: str | None) -> tuple[float, float]:
        q = np.zeros((n, n))
        r = np.zeros(n)
        rv = np.zeros(n)
        for s in transient:
            total = sum(counts[s].values())
            if total == 0 or (removed is not None and removed in s):
                continue  # a removed (or never weighted) state absorbs into (null): empty row, r = 0
            for dst, w in counts[s].items():
                if dst == "(conversion)":
                    r[index[s]] += w / total
                elif dst != "(null)":
                    q[index[s], index[dst]] += w / total
            rv[index[s]] = value_out[s] / total
        x = np.linalg.solve(np.eye(n) - q, np.column_stack([r, rv]))
        start_total = sum(counts["(start)"].values())
        p = sum(w / start_total * x[index[s], 0] for s, w in counts["(start)"].items())
        e = sum(w / start_total * x[index[s], 1] for s, w in counts["(start)"].items())
        return p, e

    p, e = solve(None)
    channels = sorted({c for path, *_ in rows for c in path})
    re_conv = {c: 1 - solve(c)[0] / p for c in channels}
    re_value = {c: 1 - solve(c)[1] / e for c in channels}
    return p, re_conv, re_value


def random_rows(
    rng: np.random.Generator, n: int, max_len: int = 6
) -> list[tuple[list[str], float, float, float]]:
    rows = []
    for _ in range(n):
        path = list(rng.choice(CHANNELS, size=rng.integers(1, max_len + 1)))
        conv = float(rng.integers(0, 4))
        rows.append((path, conv, conv * float(rng.integers(10, 100)), float(rng.integers(0, 4))))
    rows.append((["a", "b"], 1.0, 40.0, 1.0))  # at least one conversion
    return rows


def as_table(rows: list[tuple[list[str], float, float, float]]) -> PathTable:
    return PathTable.from_sequences(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )


@pytest.mark.parametrize("history", ["windows", "padded"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_exact_markov_equals_dense_brute_force(order: int, history: str) -> None:
    rng = np.random.default_rng(order * 10 + len(history))
    rows = random_rows(rng, 40)
    result = markov_attribution(as_table(rows), order=order, history=history)
    p, re_conv, re_value = brute_force_markov(rows, order, history)
    assert result.conversion_probability == pytest.approx(p, rel=1e-10)
    channels = list(result.channels)
    assert result.removal_effects == pytest.approx([re_conv[c] for c in channels], abs=1e-10)
    assert result.removal_effects_value == pytest.approx([re_value[c] for c in channels], abs=1e-10)
    total = sum(r[1] for r in rows)
    shares = np.array([re_conv[c] for c in channels])
    assert result.conversions == pytest.approx(total * shares / shares.sum(), abs=1e-9)


@pytest.mark.parametrize("max_iterations", [5000, 1])  # 1: the iteration stalls, GMRES takes over
def test_iterative_solve_of_large_chains_equals_direct_lu(
    monkeypatch: pytest.MonkeyPatch, max_iterations: int
) -> None:
    rng = np.random.default_rng(7)
    table = as_table(random_rows(rng, 300, max_len=8))
    monkeypatch.setattr("canyu.analytics.attribution._markov.DIRECT_SOLVE_LIMIT", 10**9)
    direct = markov_attribution(table, order=3)
    assert len(direct.chain.states) > 50
    monkeypatch.setattr("canyu.analytics.attribution._markov.DIRECT_SOLVE_LIMIT", 10)
    monkeypatch.setattr("canyu.analytics.attribution._markov.MAX_ITERATIONS", max_iterations)
    iterative = markov_attribution(table, order=3)
    assert DIRECT_SOLVE_LIMIT > 10
    assert iterative.removal_effects == pytest.approx(direct.removal_effects, abs=1e-11)
    assert iterative.removal_effects_value == pytest.approx(direct.removal_effects_value, abs=1e-11)
    assert iterative.conversion_probability == pytest.approx(direct.conversion_probability, rel=1e-12)


def test_conversion_probability_equals_observed_rate() -> None:
    # Flow conservation: the fitted chain reproduces the observed conversion rate exactly.
    rng = np.random.default_rng(3)
    rows = random_rows(rng, 60)
    table = as_table(rows)
    rate = table.total_conversions / (table.conversions + table.nulls).sum()
    for order in (1, 2, 3):
        assert markov_attribution(table, order=order).conversion_probability == pytest.approx(rate, rel=1e-12)


def test_collapse_repeats_and_weighting_options() -> None:
    table = PathTable.from_sequences(
        [["a", "a", "b"], ["b", "b"], ["a"]], conversions=[2, 1, 0], nulls=[1, 3, 2]
    )
    collapsed = markov_attribution(table, order=2, collapse_repeats=True)
    by_hand = markov_attribution(
        PathTable.from_sequences([["a", "b"], ["b"], ["a"]], conversions=[2, 1, 0], nulls=[1, 3, 2]), order=2
    )
    assert collapsed.removal_effects == pytest.approx(by_hand.removal_effects)
    per_path = markov_chain(table, order=1, weighting="paths")
    # "paths": each row weighs 1, so (start) -> a has two rows of three.
    assert per_path.start[per_path.states.index((0,))] == pytest.approx(2 / 3)
    per_journey = markov_chain(table, order=1)
    assert per_journey.start[per_journey.states.index((0,))] == pytest.approx(5 / 9)


def test_transition_table_matches_channel_attribution_layout() -> None:
    chain = markov_chain(read_path_csv("tests/data/attribution/small_paths.csv"), order=1)
    table = chain.transition_table()
    start = table[table.state_from == "(start)"].set_index("state_to")["probability"]
    assert start.to_dict() == pytest.approx({"douyin": 10 / 35, "wechat_oa": 5 / 35, "weibo": 20 / 35})
    sums = table.groupby("state_from")["probability"].sum()
    assert np.allclose(sums, 1.0)


def sample_journeys(
    rng: np.random.Generator, start: np.ndarray, transitions: np.ndarray, n: int, max_steps: int = 60
) -> PathTable:
    """Walk ``n`` journeys on a first-order chain; columns of ``transitions``: channels, conversion, null."""
    c = len(start)
    state = rng.choice(c, size=n, p=start)
    alive = np.ones(n, dtype=bool)
    steps = [state.copy()]
    converted = np.zeros(n, dtype=bool)
    cumulative = transitions.cumsum(axis=1)
    for _ in range(max_steps):
        u = rng.random(n)
        nxt = (u[:, None] > cumulative[state]).sum(axis=1)
        converted |= alive & (nxt == c)
        alive &= nxt < c
        state = np.where(alive, np.minimum(nxt, c - 1), -1)
        steps.append(state.copy())
        if not alive.any():
            break
    walk = np.column_stack(steps)
    lengths = (walk >= 0).sum(axis=1)
    return PathTable(
        channels=tuple(f"ch{i}" for i in range(c)),
        indptr=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
        touches=walk[walk >= 0].astype(np.int64),
        conversions=converted.astype(float),
        value=converted * 10.0,
        nulls=(~converted).astype(float),
    )


def test_recovers_removal_effects_of_a_generating_chain() -> None:
    rng = np.random.default_rng(20240601)
    start = np.array([0.5, 0.3, 0.2, 0.0])
    # rows: from ch0..ch3; columns: to ch0..ch3, (conversion), (null)
    transitions = np.array(
        [
            [0.00, 0.40, 0.10, 0.10, 0.05, 0.35],
            [0.10, 0.00, 0.30, 0.20, 0.10, 0.30],
            [0.05, 0.05, 0.00, 0.40, 0.20, 0.30],
            [0.00, 0.10, 0.10, 0.00, 0.45, 0.35],
        ]
    )
    q, r = transitions[:, :4], transitions[:, 4]

    def p_conv(keep: np.ndarray) -> float:
        k = np.flatnonzero(keep)
        x = np.linalg.solve(np.eye(len(k)) - q[np.ix_(k, k)], r[k])
        return float(start[k] @ x)

    p = p_conv(np.ones(4, dtype=bool))
    truth = np.array([1 - p_conv(np.arange(4) != c) / p for c in range(4)])
    table = sample_journeys(rng, start, transitions, 200_000)
    estimate = markov_attribution(table, order=1)
    assert estimate.conversion_probability == pytest.approx(p, abs=0.005)
    assert estimate.removal_effects == pytest.approx(truth, abs=0.01)
    # ch3 is never a first touch but closes most conversions: it must not be undervalued.
    assert truth[3] > 0.3
    assert estimate.removal_effects[3] == pytest.approx(truth[3], abs=0.01)


def test_empty_conversions_give_zero_credit() -> None:
    table = PathTable.from_frame(pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [0, 0]}))
    result = markov_attribution(table)
    assert result.conversions.tolist() == [0.0, 0.0]
    assert result.conversion_probability == 0.0
