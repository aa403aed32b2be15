"""Path tables, heuristics, the registry and the result: against values computed by hand.

The small path file (tests/data/attribution/small_paths.csv):

    weibo > wechat_oa > ecommerce      2 conv, 300 value, 8 null
    weibo                              1 conv,  50 value, 9 null
    douyin > weibo                     1 conv, 100 value, 4 null
    wechat_oa > wechat_oa > ecommerce  3 conv, 150 value, 2 null
    douyin                             0 conv,   0 value, 5 null
"""

from __future__ import annotations

import json
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from canyu.analytics.attribution import (
    MODELS,
    PathTable,
    attribute,
    attribute_path_file,
    read_path_csv,
    roas,
    write_path_csv,
)
from canyu.errors import IngestError, UnknownNameError

DATA = Path(__file__).parent.parent / "data" / "attribution"
SMALL = DATA / "small_paths.csv"

# Hand-computed credits: channel -> (conversions, value).
EXPECTED = {
    "first_touch": {"weibo": (3, 350), "wechat_oa": (3, 150), "douyin": (1, 100), "ecommerce": (0, 0)},
    "last_touch": {"weibo": (2, 150), "wechat_oa": (0, 0), "douyin": (0, 0), "ecommerce": (5, 450)},
    "linear": {
        "weibo": (F(2, 3) + 1 + F(1, 2), 200),
        "wechat_oa": (F(2, 3) + 2, 200),
        "douyin": (F(1, 2), 50),
        "ecommerce": (F(2, 3) + 1, 150),
    },
    "position_based": {
        "weibo": (F(23, 10), 220),
        "wechat_oa": (F(22, 10), 150),
        "douyin": (F(1, 2), 50),
        "ecommerce": (2, 180),
    },
    # half-life one touch: weights 1/7, 2/7, 4/7 on three touches; 1/3, 2/3 on two.
    "time_decay": {
        "weibo": (F(41, 21), F(3350, 21)),
        "wechat_oa": (F(13, 7), 150),
        "douyin": (F(1, 3), F(100, 3)),
        "ecommerce": (F(20, 7), F(1800, 7)),
    },
    # Zhao et al.: each path's conversions shared by its distinct channels.
    "shapley": {
        "weibo": (F(13, 6), F(100 + 50 + 50, 1)),
        "wechat_oa": (F(13, 6), 100 + 75),
        "douyin": (F(1, 2), 50),
        "ecommerce": (F(13, 6), 100 + 75),
    },
}


@pytest.fixture(scope="module")
def small() -> PathTable:
    return read_path_csv(SMALL)


def test_read_path_csv_encodes_channels_and_touches(small: PathTable) -> None:
    assert small.channels == ("douyin", "ecommerce", "wechat_oa", "weibo")
    assert small.indptr.tolist() == [0, 3, 4, 6, 9, 10]
    assert small.touches.tolist() == [3, 2, 1, 3, 0, 3, 2, 2, 1, 0]
    assert small.conversions.tolist() == [2, 1, 1, 3, 0]
    assert small.total_conversions == 7
    assert small.total_value == 600
    assert small.nulls.sum() == 28


def test_semicolon_file_and_loose_spacing_read_the_same(small: PathTable) -> None:
    other = read_path_csv(DATA / "small_paths_semicolon.csv")
    assert other.channels == small.channels
    assert np.array_equal(other.touches, small.touches)
    assert np.array_equal(other.indptr, small.indptr)
    assert np.array_equal(other.value, small.value)


def test_write_then_read_round_trips(small: PathTable, tmp_path: Path) -> None:
    out = tmp_path / "paths.csv"
    write_path_csv(small, out, delimiter=";")
    back = read_path_csv(out)
    assert back.to_frame().equals(small.to_frame())
    assert out.read_text().splitlines()[1] == "weibo > wechat_oa > ecommerce;2.0;300.0;8.0"


@pytest.mark.parametrize(
    ("name", "row", "field", "value"),
    [("bad_count.csv", 3, "total_conversions", "one"), ("bad_path.csv", 4, "path", "weibo >  > douyin")],
)
def test_bad_row_raises_ingest_error_with_location(name: str, row: int, field: str, value: str) -> None:
    with pytest.raises(IngestError) as caught:
        read_path_csv(DATA / name)
    err = caught.value
    assert (err.file, err.row, err.field, err.value) == (str(DATA / name), row, field, value)
    assert f"row {row}" in str(err)


def test_missing_column_names_it() -> None:
    with pytest.raises(IngestError) as caught:
        read_path_csv(DATA / "missing_column.csv")
    assert caught.value.field == "total_conversions"


def test_negative_count_is_rejected() -> None:
    frame = pd.DataFrame({"path": ["a"], "total_conversions": [-1]})
    with pytest.raises(IngestError, match="non-negative"):
        PathTable.from_frame(frame)


def test_collapse_repeats(small: PathTable) -> None:
    collapsed = small.collapse_repeats()
    assert collapsed.to_frame()["path"].tolist()[3] == "wechat_oa > ecommerce"
    assert collapsed.lengths.tolist() == [3, 1, 2, 2, 1]


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_models_match_hand_computed_credits(small: PathTable, model: str) -> None:
    credits = attribute(small, model=model).credits(model)
    for channel, (conversions, value) in EXPECTED[model].items():
        assert credits.loc[channel, "conversions"] == pytest.approx(float(conversions), abs=1e-12)
        assert credits.loc[channel, "value"] == pytest.approx(float(value), abs=1e-9)


def test_markov_on_the_small_file_by_hand() -> None:
    # a > b converts once, b alone fails once: P(conv) = 1/2, removing a halves it, removing b kills it.
    table = PathTable.from_sequences([["a", "b"], ["b"]], conversions=[1, 0], value=[90, 0], nulls=[0, 1])
    credits = attribute(table, model="markov").credits("markov")
    assert credits["removal_effect"].tolist() == pytest.approx([0.5, 1.0])
    assert credits["conversions"].tolist() == pytest.approx([1 / 3, 2 / 3])
    assert credits["value"].tolist() == pytest.approx([30.0, 60.0])


def test_all_models_sum_to_totals(small: PathTable) -> None:
    result = attribute(small, model="all", order=2)
    assert set(result.models) == set(MODELS) == set(EXPECTED) | {"markov"}
    sums = result.table.groupby("model")[["conversions", "value"]].sum()
    assert np.allclose(sums["conversions"], 7)
    assert np.allclose(sums["value"], 600)
    assert result.table.loc[result.table.model != "markov", "removal_effect"].isna().all()
    assert result.table.loc[result.table.model == "markov", "removal_effect"].between(0, 1).all()


def test_unknown_model_lists_valid_names(small: PathTable) -> None:
    with pytest.raises(UnknownNameError) as caught:
        attribute(small, model="markvo")
    assert caught.value.closest == "markov"
    assert "shapley" in caught.value.valid
    with pytest.raises(UnknownNameError):
        attribute_path_file(DATA / "bad_count.csv", model="nope")  # the name is checked before the file


def test_to_json_reports_each_model(small: PathTable) -> None:
    data = json.loads(attribute_path_file(SMALL, model="all", order=1).to_json())
    assert data["total_conversions"] == 7
    assert data["journeys"] == 35
    assert data["models"]["last_touch"]["channels"]["ecommerce"] == {"conversions": 5.0, "value": 450.0}
    markov = data["models"]["markov"]
    assert markov["order"] == 1
    assert markov["conversion_probability"] == pytest.approx(7 / 35)
    assert set(markov["channels"]["weibo"]) == {
        "conversions",
        "value",
        "removal_effect",
        "removal_effect_value",
    }
    assert "removal_effect" not in data["models"]["linear"]["channels"]["weibo"]


def test_result_wide_and_arrow(small: PathTable) -> None:
    result = attribute(small, model=["first_touch", "last_touch"])
    wide = result.wide()
    assert list(wide.columns) == ["first_touch", "last_touch"]
    assert wide.loc["ecommerce"].tolist() == [0.0, 5.0]
    assert result.to_arrow().num_rows == 8


def test_roas_per_channel_and_campaign() -> None:
    credits = pd.DataFrame(
        {
            "model": ["linear"] * 3,
            "channel": ["weibo:c1", "weibo", "douyin:c2"],
            "conversions": [4.0, 1.0, 2.0],
            "value": [400.0, 50.0, 100.0],
        }
    )
    spend = pd.DataFrame(
        {
            "date": ["2024-01-01", "2024-01-02", "2024-01-02", "2024-02-01", "2024-01-03"],
            "channel": ["weibo", "weibo", "douyin", "douyin", "bilibili"],
            "campaign_id": ["c1", "c1", "c2", "c2", None],
            "amount": [100.0, 100.0, 50.0, 999.0, 30.0],
        }
    )
    by_campaign = roas(credits, spend, by="campaign", end="2024-01-31").set_index(["channel", "campaign_id"])
    assert by_campaign.loc[("weibo", "c1"), "roas"] == pytest.approx(2.0)
    assert by_campaign.loc[("weibo", "c1"), "roi"] == pytest.approx(1.0)
    assert by_campaign.loc[("weibo", "c1"), "cost_per_conversion"] == pytest.approx(50.0)
    assert by_campaign.loc[("douyin", "c2"), "roas"] == pytest.approx(2.0)
    assert np.isnan(by_campaign.loc[("weibo", "(none)"), "roas"])
    assert by_campaign.loc[("bilibili", "(none)"), "conversions"] == 0
    by_channel = roas(credits, spend, by="channel").set_index("channel")
    assert by_channel.loc["weibo", "value"] == pytest.approx(450.0)
    assert by_channel.loc["douyin", "spend"] == pytest.approx(1049.0)


def test_header_only_file_gives_empty_credits() -> None:
    result = attribute_path_file(DATA / "header_only.csv", shapley_value="conversion_rate")
    assert result.total_conversions == 0
    assert result.table.empty
    assert set(json.loads(result.to_json())["models"]) == set(MODELS)
    assert list(result.wide().columns) == list(MODELS)
