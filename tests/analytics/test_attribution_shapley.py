"""Shapley attribution against brute-force coalition enumeration."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from canyu.analytics.attribution import PathTable, shapley, shapley_from_worths


def random_table(rng: np.random.Generator, channels: int, rows: int) -> PathTable:
    names = [f"c{i:02d}" for i in range(channels)]
    paths = [list(rng.choice(names, size=rng.integers(1, 5))) for _ in range(rows)]
    paths.append(names)  # every channel appears
    conv = rng.integers(0, 6, size=len(paths)).astype(float)
    conv[-1] = 1.0
    return PathTable.from_sequences(
        paths, conv, conv * rng.integers(5, 50, size=len(paths)), rng.integers(0, 6, size=len(paths))
    )


def brute_force(table: PathTable, worth: str) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values by the permutation definition over every order of the players."""
    frame = table.to_frame()
    sets = [frozenset(p.split(" > ")) for p in frame["path"]]
    channels = table.channels
    conv, journeys, value = (
        frame["total_conversions"].to_numpy(),
        (frame["total_conversions"] + frame["total_null"]).to_numpy(),
        frame["total_conversion_value"].to_numpy(),
    )

    def v(coalition: frozenset[str], weights: np.ndarray) -> float:
        inside = np.array([s <= coalition for s in sets])
        if worth == "conversions":
            return float(weights[inside].sum())
        return float(weights[inside].sum() / journeys[inside].sum()) if journeys[inside].sum() > 0 else 0.0

    phi_c = np.zeros(len(channels))
    phi_v = np.zeros(len(channels))
    for order in itertools.permutations(channels):
        coalition: frozenset[str] = frozenset()
        for ch in order:
            bigger = coalition | {ch}
            i = channels.index(ch)
            phi_c[i] += v(bigger, conv) - v(coalition, conv)
            phi_v[i] += v(bigger, value) - v(coalition, value)
            coalition = bigger
    n_orders = math.factorial(len(channels))
    phi_c, phi_v = phi_c / n_orders, phi_v / n_orders
    if worth == "conversion_rate":  # credits are scaled to the totals
        phi_c *= conv.sum() / phi_c.sum()
        phi_v *= value.sum() / phi_v.sum()
    return phi_c, phi_v


@pytest.mark.parametrize("worth", ["conversions", "conversion_rate"])
@pytest.mark.parametrize("channels", [1, 3, 5])
def test_shapley_equals_brute_force(worth: str, channels: int) -> None:
    table = random_table(np.random.default_rng(channels), channels, 25)
    result = shapley(table, value_function=worth)
    expected_c, expected_v = brute_force(table, worth)
    assert result.conversions == pytest.approx(expected_c, abs=1e-9)
    assert result.value == pytest.approx(expected_v, abs=1e-7)
    assert result.method == ("closed_form" if worth == "conversions" else "exact")


def test_shapley_from_worths_on_a_textbook_game() -> None:
    # Glove game: player 0 holds a left glove, players 1 and 2 right gloves; a pair is worth 1.
    worths = np.array([0, 0, 0, 1, 0, 1, 0, 1], dtype=float)  # bit i = player i
    assert shapley_from_worths(worths, 3) == pytest.approx([2 / 3, 1 / 6, 1 / 6])


def test_sampled_shapley_agrees_with_exact_within_standard_errors() -> None:
    table = random_table(np.random.default_rng(11), 8, 200)
    exact = shapley(table, value_function="conversion_rate")
    sampled = shapley(table, value_function="conversion_rate", max_exact=4, n_permutations=3000, seed=5)
    assert sampled.method == "sampled"
    assert sampled.conversions.sum() == pytest.approx(table.total_conversions)
    assert (sampled.conversions_se > 0).all()
    z = np.abs(sampled.conversions - exact.conversions) / sampled.conversions_se
    assert z.max() < 4.5
    assert np.abs(sampled.conversions - exact.conversions).max() < 0.05 * table.total_conversions


def test_sampled_shapley_beyond_fifteen_channels_sums_to_total() -> None:
    table = random_table(np.random.default_rng(20), 20, 400)
    result = shapley(table, value_function="conversion_rate", n_permutations=200)
    assert result.method == "sampled"
    assert result.conversions.sum() == pytest.approx(table.total_conversions)
    assert result.value.sum() == pytest.approx(table.total_value)
    again = shapley(table, value_function="conversion_rate", n_permutations=200)
    assert np.array_equal(result.conversions, again.conversions)  # seeded


def test_repeated_channel_counts_once_in_closed_form() -> None:
    table = PathTable.from_sequences([["a", "b", "a", "a"]], conversions=[4], value=[40])
    result = shapley(table)
    assert result.conversions.tolist() == [2.0, 2.0]
    assert result.value.tolist() == [20.0, 20.0]
