"""Agenda setting through the real ``canyu.simulate`` path: the files a brand has, topics read from the texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.analytics.agenda import agenda_setting, first_carriers, topic_salience
from canyu.simulate import SimulationResult
from canyu.simulate._text import TOPIC_WORDS, TOPICS, compose_texts, text_parts


def _topic_of(texts: pd.Series) -> pd.Series:
    """The taxonomy's topic of each text: the topic whose seed words (or name) it mentions most."""
    hits = np.column_stack(
        [sum(texts.str.count(w) for w in (name, *TOPIC_WORDS[name])).to_numpy() for name in TOPICS]
    )
    return pd.Series(np.array(TOPICS)[hits.argmax(axis=1)], index=texts.index).where(hits.max(axis=1) > 0)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> SimulationResult:
    return canyu.simulate(tmp_path_factory.mktemp("agenda") / "files", people=3000, days=150, seed=7)


@pytest.mark.slow
def test_default_scenario_from_the_files(simulated: SimulationResult) -> None:
    path: Path = simulated.path
    contents = pd.read_csv(path / "contents.csv")
    mentions = pd.read_csv(path / "mentions.csv")
    assert {"mention_id", "ts", "channel", "author_id", "text", "parent_id", "source"} <= set(
        mentions.columns
    )
    assert "topic" not in mentions.columns and not mentions["text"].str.contains("topic").any()
    posts = contents.assign(
        day=pd.to_datetime(contents["published_at"]).dt.normalize(), topic=_topic_of(contents["title"])
    )
    talk = mentions.assign(
        day=pd.to_datetime(mentions["ts"]).dt.normalize(), topic=_topic_of(mentions["text"])
    )
    # the topics read from the texts are the simulator's topics
    truth = pd.read_parquet(path / "truth_texts.parquet").set_index("text_id")
    assert (talk.set_index("mention_id")["topic"] == truth.loc[talk["mention_id"], "topic"]).mean() == 1.0
    assert (posts.set_index("content_id")["topic"] == truth.loc[posts["content_id"], "topic"]).mean() == 1.0
    days = pd.date_range(posts["day"].min(), posts["day"].max(), freq="D")
    brand = topic_salience(posts, topics=TOPICS, days=days)
    audience = topic_salience(talk, topics=TOPICS, days=days)
    by_channel = topic_salience(talk, by="channel", topics=TOPICS, days=days)
    assert (
        isinstance(brand, pd.DataFrame)
        and isinstance(audience, pd.DataFrame)
        and isinstance(by_channel, dict)
    )
    channels = {ch: (brand, a) for ch, a in by_channel.items() if ch in ("weibo", "douyin")}
    r = agenda_setting(brand, audience, channels=channels)
    agenda = simulated.truth["agenda"]
    assert (agenda["direction"], agenda["lag_days"], agenda["strength"]) == ("brand_leads", 3, 0.6)
    assert r.direction == "brand_leads"
    assert abs(r.lag_days - 3) <= 1
    assert r.strength == pytest.approx(0.6, abs=0.12)
    assert set(r.channels["channel"]) == {"weibo", "douyin"}
    weibo = r.channels.set_index("channel").loc["weibo"]
    assert weibo["direction"] == "brand_leads" and abs(weibo["lag_days"] - 3) <= 1
    json.dumps(r.to_dict())
    # first carriers: authors who write on a brand post's topic right after it
    carriers = first_carriers(
        posts.assign(ts=pd.to_datetime(posts["published_at"])),
        talk.rename(columns={"author_id": "author"}).dropna(subset=["topic"]),
        window_hours=24,
    )
    assert len(carriers) > 10 and carriers["carried"].iloc[0] >= carriers["carried"].iloc[-1]
    assert (
        carriers["channel"]
        .isin(["weibo", "douyin", "xiaohongshu", "qzone", "forum", "wecom", "wechat_oa"])
        .all()
    )


def test_texts_carry_topic_words_and_sentiment(rng: np.random.Generator) -> None:
    topics = rng.integers(0, len(TOPICS), 4000)
    texts, sentiment = compose_texts(rng, topics)
    s = pd.Series(texts.to_pylist())
    assert (_topic_of(s) == np.array(TOPICS)[topics]).all()
    assert not s.str.contains('["\\\\]').any()  # safe to put inside JSON strings as they are
    # the share of positive texts per topic is the topic's POSITIVE_SHARE (after-sales mostly negative)
    frame = pd.DataFrame({"topic": np.array(TOPICS)[topics], "positive": sentiment})
    share = frame.groupby("topic")["positive"].mean()
    assert share["售后服务"] < 0.45 < 0.7 < share["粉丝活动"]
    # the clause's sentiment agrees with the truth: each clause appears under one sentiment only
    parts = text_parts()
    for k in range(len(TOPICS)):
        assert not set(parts.all_texts_of(k, 0)) & set(parts.all_texts_of(k, 1))
    assert s.nunique() > 2000  # varied, not a few fixed lines


def test_scenario_knobs_reach_the_truth(tmp_path: Path) -> None:
    sim = canyu.simulate(
        tmp_path / "a", people=300, days=21, seed=2, scenario="audience-leads", agenda_lag_days=5
    )
    assert sim.truth["agenda"]["direction"] == "audience_leads" and sim.truth["agenda"]["lag_days"] == 5
    null = canyu.simulate(tmp_path / "b", people=300, days=21, seed=2, scenario="no-agenda")
    assert null.truth["agenda"]["direction"] == "none" and null.truth["agenda"]["strength"] == 0.0
    texts = pd.read_parquet(tmp_path / "a" / "truth_texts.parquet")
    mentions = pd.read_csv(tmp_path / "a" / "mentions.csv")
    assert set(mentions["mention_id"]) <= set(texts["text_id"])
    assert texts.loc[texts["kind"] != "brand_post", "sentiment"].isin([0, 1]).all()
    reposts = mentions[mentions["parent_id"].astype(str).str.startswith("mn")]
    assert len(reposts) and reposts["text"].str.contains("//@").all()
    # a crisis (舆情): the crisis topic floods the talk, mostly negative, on the crisis days only
    crisis = canyu.simulate(tmp_path / "d", people=1500, days=21, seed=3, scenario="crisis", crisis_start=8)
    assert crisis.truth["crisis"]["start"] == "2026-08-09" and crisis.truth["crisis"]["topic"] == "售后服务"
    talk = pd.read_csv(tmp_path / "d" / "mentions.csv").join(
        pd.read_parquet(tmp_path / "d" / "truth_texts.parquet").set_index("text_id"), on="mention_id"
    )
    day = pd.to_datetime(talk["ts"]).dt.day - 1
    during = (day >= 8) & (day < 13)
    assert (
        (talk.loc[during, "topic"] == "售后服务").mean()
        > 0.4
        > (talk.loc[day < 8, "topic"] == "售后服务").mean()
    )
    after_sales = talk["topic"] == "售后服务"
    assert (
        talk.loc[during & after_sales, "sentiment"].mean()
        < 0.2
        < talk.loc[~during & after_sales, "sentiment"].mean()
    )
    from canyu.errors import UnknownNameError
    from canyu.simulate import ScenarioError

    with pytest.raises(ScenarioError) as err:
        canyu.simulate(tmp_path / "c", people=300, days=21, agenda_strength=1.5)
    assert err.value.knob == "agenda_strength"
    with pytest.raises(UnknownNameError):
        canyu.simulate(tmp_path / "c", people=300, days=21, agenda_strenght=0.5)
