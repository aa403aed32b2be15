"""The vocabulary: one record per channel, and every other channel list derived from it."""

from __future__ import annotations

import re

import pytest

from canyu import vocab
from canyu.analytics.community import COMMUNITY_CHANNELS
from canyu.config import DEFAULT_ROLES
from canyu.errors import UnknownNameError
from canyu.i18n import channel_label
from canyu.ingest._validate import enum_labels
from canyu.report._charts import channel_colors
from canyu.simulate._scenarios import SCENARIOS
from canyu.simulate._world import CHANNELS as SIMULATED
from canyu.simulate._world import GRAPH_OF, SOCIAL

ALL = list(vocab.CHANNEL_INFO)


def test_every_channel_is_described_once() -> None:
    assert len(ALL) == len(set(ALL)) == 17
    assert {"kuaishou", "jd", "pinduoduo", "bilibili"} <= set(ALL)
    for code, ch in vocab.CHANNEL_INFO.items():
        assert ch.code == code
        assert re.search(r"[\u4e00-\u9fff]", ch.name_zh), code
        assert ch.name_en and ch.name_en.isascii(), code
        assert re.fullmatch(r"#[0-9A-F]{6}", ch.color), code
        assert ch.role is None or ch.role in vocab.CHANNEL_ROLES, code
        assert ch.kind in vocab.PLATFORM_KINDS, code
        assert (ch.graph is None) == (ch.directed is None), code
    # each chart line can be told apart
    colors = [c.color for c in vocab.CHANNEL_INFO.values()]
    assert len(set(colors)) == len(colors)


def test_new_channels() -> None:
    info = vocab.CHANNEL_INFO
    assert (info["kuaishou"].name_zh, info["kuaishou"].name_en) == ("快手", "Kuaishou")
    assert (info["jd"].name_zh, info["jd"].name_en) == ("京东", "JD.com")
    assert (info["pinduoduo"].name_zh, info["pinduoduo"].name_en) == ("拼多多", "Pinduoduo")
    assert info["kuaishou"].role == "broadcast" and info["kuaishou"].directed is True
    assert info["jd"].kind == info["pinduoduo"].kind == "commerce" and info["jd"].graph is None


def test_channels_is_the_chinese_names() -> None:
    assert list(vocab.CHANNELS) == ALL
    assert vocab.CHANNELS["weibo"] == "微博" and vocab.CHANNELS["jd"] == "京东"


def test_unknown_channel_code_is_an_error_listing_the_codes() -> None:
    with pytest.raises(UnknownNameError, match="'wiebo'; did you mean 'weibo'") as err:
        vocab.CHANNEL_INFO["wiebo"]
    assert err.value.kind == "channel" and set(err.value.valid) == set(ALL)
    assert "未知的channel" in err.value.message_zh
    # membership and get() stay plain lookups
    assert "wiebo" not in vocab.CHANNEL_INFO and vocab.CHANNEL_INFO.get("wiebo") is None


def test_a_bad_record_is_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        vocab.Channel("x", "某", "X", "red", None, "other")
    with pytest.raises(UnknownNameError, match="'megaphone'"):
        vocab.Channel("x", "某", "X", "#000000", "megaphone", "other")
    with pytest.raises(UnknownNameError, match="'blog'"):
        vocab.Channel("x", "某", "X", "#000000", None, "blog")
    with pytest.raises(ValueError, match="direction"):
        vocab.Channel("x", "某", "X", "#000000", None, "social", graph="x")


def test_channels_on_one_graph_agree_on_its_direction() -> None:
    direction: dict[str, bool | None] = {}
    for ch in vocab.CHANNEL_INFO.values():
        if ch.graph is not None:
            assert direction.setdefault(ch.graph, ch.directed) == ch.directed, ch.code
    assert direction == {
        "wechat": False,
        "weibo": True,
        "qzone": False,
        "douyin": True,
        "kuaishou": True,
        "xiaohongshu": True,
        "bilibili": True,
        "forum": True,
    }


def test_default_roles_come_from_the_record() -> None:
    assert DEFAULT_ROLES == {
        "wechat_oa": "service",
        "wecom": "service",
        "wechat_channels": "broadcast",
        "weibo": "broadcast",
        "qzone": "broadcast",
        "douyin": "broadcast",
        "kuaishou": "broadcast",
        "xiaohongshu": "broadcast",
        "bilibili": "broadcast",
        "forum": "retention",
        "ecommerce": "conversion",
        "jd": "conversion",
        "pinduoduo": "conversion",
    }


def test_labels_map_to_known_codes() -> None:
    for label, code in vocab.CHANNEL_LABELS.items():
        assert code in vocab.CHANNEL_INFO, label
        assert vocab.normalize_label(label) == label, label  # keys are stored normalized


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("快手", "kuaishou"),
        ("Kuaishou", "kuaishou"),
        ("京东", "jd"),
        ("JD", "jd"),
        ("拼多多", "pinduoduo"),
        ("PDD", "pinduoduo"),
        ("天猫", "ecommerce"),
        ("淘宝", "ecommerce"),
        ("有赞", "ecommerce"),
        ("哔哩哔哩", "bilibili"),
    ],
)
def test_export_labels_import_as_codes(label: str, code: str) -> None:
    labels = enum_labels("events", "channel")
    assert labels[vocab.normalize_label(label)] == code
    # the Chinese name and the code itself are accepted too
    assert labels[vocab.normalize_label(vocab.CHANNELS[code])] == code and labels[code] == code


def test_report_names_every_channel_in_both_languages() -> None:
    for code, ch in vocab.CHANNEL_INFO.items():
        assert channel_label(code, "zh-CN") == ch.name_zh
        assert channel_label(code, "en") == ch.name_en
    assert channel_label("weibo", "zh") == "微博" and channel_label("weibo", "en-US") == "Weibo"
    assert channel_label("(none)", "en") == "(none)" and channel_label(None, "zh-CN") == ""


def test_chart_colours_come_from_the_record() -> None:
    colors = channel_colors()
    assert list(colors) == ALL
    assert colors["wechat_oa"] == "#07C160" and colors["kuaishou"] == "#FF4906"


def test_community_channels_come_from_the_record() -> None:
    assert set(COMMUNITY_CHANNELS) == {"forum", "wecom"}


def test_simulator_graphs_come_from_the_record() -> None:
    assert set(SIMULATED) <= set(ALL)
    assert SOCIAL == ("weibo", "qzone", "douyin", "xiaohongshu", "wechat_oa", "wecom", "forum")
    assert {c: vocab.CHANNEL_INFO[c].graph for c in SOCIAL} == GRAPH_OF
    assert GRAPH_OF["wechat_oa"] == GRAPH_OF["wecom"] == "wechat"
    # the scenarios' own `directed` is no longer read; none may disagree with the record meanwhile
    for scenario in SCENARIOS.values():
        for code in SOCIAL:
            assert scenario.channels[code].directed == vocab.CHANNEL_INFO[code].directed, (
                scenario.name,
                code,
            )
