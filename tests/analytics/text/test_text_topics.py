"""Topics: taxonomy assignment (exact scores) and emerging NMF topics (recovered planted topics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from canyu.analytics.text import TextInputError, TextTokenizer, assign_topics, emerging_topics, topics

TAXONOMY = {"新品": ["新品", "首发"], "咖啡": ["咖啡", "拿铁"], "物流": ["物流", "快递"]}


def test_assign_topics_exact_scores() -> None:
    toks = [["#新品发布#", "拿铁", "好喝", "咖啡豆"], ["快递", "太慢"], ["好看"], []]
    a = assign_topics(toks, TAXONOMY, text_ids=["a", "b", "c", "d"])
    assert a.to_dict("list") == {
        "text_id": ["a", "a", "b"],
        "topic": ["新品", "咖啡", "物流"],
        "score": [0.25, 0.5, 0.5],
        "source": ["taxonomy"] * 3,
    }
    assert assign_topics(toks, TAXONOMY, min_hits=2)["topic"].tolist() == ["咖啡"]
    with pytest.raises(TextInputError):
        assign_topics(toks, {"空": []})


# Three planted emerging topics, each with its own vocabulary, plus shared filler words.
PLANTED = {
    0: ["露营", "帐篷", "户外", "天幕", "营地", "篝火"],
    1: ["考研", "复习", "真题", "上岸", "英语", "政治"],
    2: ["猫咪", "猫粮", "铲屎官", "猫砂", "主子", "喵星人"],
}
FILLER = ["今天", "分享", "一下", "大家", "推荐", "喜欢"]


def _planted(seed: int, n: int = 300) -> tuple[list[list[str]], np.ndarray]:
    g = np.random.default_rng(seed)
    truth = g.integers(0, 3, size=n)
    docs = []
    for t in truth:
        words = list(g.choice(PLANTED[int(t)], size=4)) + list(g.choice(FILLER, size=2))
        docs.append([str(w) for w in words])
    return docs, truth


def test_emerging_topics_recover_planted_topics() -> None:
    docs, truth = _planted(1)
    r = emerging_topics(docs, n_topics=3, seed=0)
    assert r.note is None and len(r.topics) == 3
    a = r.assignments.sort_values("score", ascending=False).drop_duplicates("text_id").sort_values("text_id")
    assert len(a) == len(docs)
    assert adjusted_rand_score(truth, a["topic"].to_numpy()) > 0.95
    # each label's top words come from one planted vocabulary
    for words in r.topics["top_words"]:
        top = words.split()[:3]
        assert any(set(top) <= set(v) for v in PLANTED.values()), top


def test_emerging_topics_deterministic_and_too_few() -> None:
    docs, _ = _planted(2)
    a = emerging_topics(docs, n_topics=3, seed=7)
    b = emerging_topics(docs, n_topics=3, seed=7)
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    assert a.topics["topic"].tolist() == b.topics["topic"].tolist()
    thin = emerging_topics(docs[:5], n_topics=3)
    assert thin.assignments.empty and "too few texts" in (thin.note or "")


def test_topics_end_to_end_taxonomy_then_emerging() -> None:
    g = np.random.default_rng(3)
    texts, ids = [], []
    for i in range(120):
        if i % 3 == 0:
            texts.append(f"#新品发布# 拿铁{'好喝' if i % 2 else '一般'}")
        else:
            words = g.choice(PLANTED[i % 3], size=3)
            texts.append("，".join(str(w) for w in words) + "，推荐")
        ids.append(f"p{i}")
    tk = TextTokenizer(extra_words=[w for ws in PLANTED.values() for w in ws])
    r = topics(texts, taxonomy=TAXONOMY, text_ids=ids, tokenizer=tk, n_emerging=2, seed=0)
    tax = r.assignments[r.assignments["source"] == "taxonomy"]
    assert set(tax["text_id"]) == {f"p{i}" for i in range(0, 120, 3)}
    assert set(tax["topic"]) == {"新品", "咖啡"}
    em = r.assignments[r.assignments["source"] == "emerging"]
    assert set(em["text_id"]).isdisjoint(tax["text_id"])
    by_label = em.groupby("topic")["text_id"].apply(lambda s: {int(x[1:]) % 3 for x in s})
    assert sorted(map(sorted, by_label)) == [[1], [2]]
    assert list(r.topics.columns) == ["topic", "source", "top_words", "texts"]
    assert r.topics.set_index("topic").loc["物流", "texts"] == 0
