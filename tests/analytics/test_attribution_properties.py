"""Invariants of every attribution model on random path tables (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canyu.analytics.attribution import MODELS, PathTable, attribute, read_path_csv, write_path_csv

rows = st.lists(
    st.tuples(
        st.lists(st.sampled_from("abcde"), min_size=1, max_size=6),
        st.integers(0, 5),
        st.integers(0, 5),
        st.floats(0, 500, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=12,
)


def table_of(data: list[tuple[list[str], int, int, float]]) -> PathTable:
    return PathTable.from_sequences(
        [d[0] for d in data],
        [float(d[1]) for d in data],
        [d[3] if d[1] > 0 else 0.0 for d in data],  # value only on converting rows
        [float(d[2]) for d in data],
    )


@settings(max_examples=60, deadline=None)
@given(
    data=rows,
    order=st.integers(1, 3),
    history=st.sampled_from(["windows", "padded"]),
    collapse=st.booleans(),
    shapley_value=st.sampled_from(["conversions", "conversion_rate"]),
)
def test_every_model_credits_sum_to_totals(
    data: list[tuple[list[str], int, int, float]],
    order: int,
    history: str,
    collapse: bool,
    shapley_value: str,
) -> None:
    table = table_of(data)
    result = attribute(
        table,
        model="all",
        order=order,
        history=history,  # type: ignore[arg-type]
        collapse_repeats=collapse,
        shapley_value=shapley_value,  # type: ignore[arg-type]
    )
    assert set(result.models) == set(MODELS)
    sums = result.table.groupby("model")[["conversions", "value"]].sum()
    np.testing.assert_allclose(sums["conversions"], table.total_conversions, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sums["value"], table.total_value, rtol=1e-9, atol=1e-6)
    # Rate-based Shapley may credit a channel negatively (it lowers the conversion rate); no other model may.
    signed = result.table["model"].eq("shapley") & (shapley_value == "conversion_rate")
    assert (result.table.loc[~signed, "conversions"] >= -1e-12).all()
    markov = result.credits("markov")
    assert markov["removal_effect"].between(0, 1).all()
    journeys = float((table.conversions + table.nulls).sum())
    rate = table.total_conversions / journeys if journeys else 0.0
    assert np.isclose(result.details["markov"]["conversion_probability"], rate, rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(data=rows)
def test_rules_credit_only_channels_on_converting_paths(
    data: list[tuple[list[str], int, int, float]],
) -> None:
    # Markov may credit a channel seen only on failed paths: it can lead into states that convert.
    table = table_of(data)
    converting = {c for d in data if d[1] > 0 for c in d[0]}
    result = attribute(table, model=[m for m in MODELS if m != "markov"])
    idle = result.table[~result.table["channel"].isin(converting)]
    assert np.allclose(idle["conversions"], 0.0)


@settings(max_examples=25, deadline=None)
@given(data=rows, delimiter=st.sampled_from([",", ";"]))
def test_path_file_round_trip(
    data: list[tuple[list[str], int, int, float]], delimiter: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    table = table_of(data)
    file = tmp_path_factory.mktemp("paths") / "p.csv"
    write_path_csv(table, file, delimiter=delimiter)
    back = read_path_csv(file)
    pd.testing.assert_frame_equal(back.to_frame(), table.to_frame())
