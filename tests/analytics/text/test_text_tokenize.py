"""Tokenising: platform words, brands, hashtags, mentions, repost chains, emoji, the process pool."""

from __future__ import annotations

import jieba
import pytest

from canyu.analytics.text import (
    TOKEN_KINDS,
    TextInputError,
    TextTokenizer,
    parse_repost,
    platform_words,
    stop_words,
    tokens_table,
)


@pytest.fixture(scope="module")
def tk() -> TextTokenizer:
    return TextTokenizer(brand_words=["参与咖啡", "Brand X", "云朵拿铁"])


def test_shipped_dictionaries_are_substantial() -> None:
    words = platform_words()
    assert len(words) >= 300
    for w in ("抖音", "小红书", "种草", "拔草", "私域", "直播间", "测评", "安利", "开箱", "带货", "超话"):
        assert w in words
    assert "的" in stop_words() and "不" not in stop_words()


def test_platform_words_stay_whole(tk: TextTokenizer) -> None:
    assert tk.tokenize("在小红书发了种草笔记，直播间带货") == ["小红书", "发了", "种草笔记", "直播间", "带货"]
    assert tk.tokenize("私域流量和拔草") == ["私域流量", "拔草"]


def test_hashtags_mentions_and_kinds(tk: TextTokenizer) -> None:
    pairs = tk.tokenize_kinds("#新品发布# @小米 今天开箱😀👍🏻[哈哈] https://t.cn/A6x 好看")
    assert pairs == [
        ("#新品发布#", "hashtag"),
        ("@小米", "mention"),
        ("开箱", "word"),
        ("😀", "emoji"),
        ("👍🏻", "emoji"),
        ("[哈哈]", "emoji"),
        ("https://t.cn/A6x", "url"),
        ("好看", "word"),
    ]
    # Douyin / Xiaohongshu style single-# tags normalise to the Weibo form
    assert tk.tokenize("#美妆 #护肤 好物") == ["#美妆#", "#护肤#", "好物"]
    assert tk.tokenize("＃双十一＃ 🇨🇳加油") == ["#双十一#", "🇨🇳", "加油"]


def test_brand_words_whole_and_case_insensitive(tk: TextTokenizer) -> None:
    assert tk.tokenize_kinds("brand x 的云朵拿铁真香") == [
        ("Brand X", "brand"),
        ("云朵拿铁", "brand"),
        ("真香", "word"),
    ]


def test_brand_words_do_not_leak_between_tokenizers_or_into_jieba() -> None:
    a = TextTokenizer(brand_words=["朵云拿"])
    b = TextTokenizer()
    text = "朵云拿铁"
    assert a.tokenize(text)[0] == "朵云拿"
    assert "朵云拿" not in b.tokenize(text)
    assert "朵云拿" not in jieba.lcut(text)


def test_repost_chain() -> None:
    r = parse_repost("我也想要[心] //@小米:新品来了 //@雷军：发布会见")
    assert r.own_text == "我也想要[心]"
    assert r.chain == (("小米", "新品来了"), ("雷军", "发布会见"))
    assert r.users == ("小米", "雷军")
    assert parse_repost("没有转发").chain == ()
    # "http://" is not a repost link
    assert parse_repost("看 http://a.cn/x").chain == ()


def test_repost_tokens_keep_own_text_and_quoted_users(tk: TextTokenizer) -> None:
    pairs = tk.tokenize_kinds("支持参与咖啡！//@小米:新品来了 //@雷军：发布会见")
    assert pairs == [("支持", "word"), ("参与咖啡", "brand"), ("@小米", "repost"), ("@雷军", "repost")]


def test_empty_and_long_texts(tk: TextTokenizer) -> None:
    assert tk.tokenize("") == []
    assert tk.tokenize("，。！ ") == []
    long = "抖音直播间的测评很好看。" * 2000
    toks = tk.tokenize(long)
    assert toks.count("直播间") == 2000 and toks.count("测评") == 2000


def test_pool_matches_single_process(tk: TextTokenizer, monkeypatch: pytest.MonkeyPatch) -> None:
    from canyu.analytics.text import _tokenize

    calls = []
    real = _tokenize._pool_map

    def counting(tokenizer, texts, chunk_size, jobs):  # type: ignore[no-untyped-def]
        calls.append(-(-len(texts) // chunk_size))
        return real(tokenizer, texts, chunk_size, jobs)

    monkeypatch.setattr(_tokenize, "_pool_map", counting)
    base = ["#新品# 小红书种草", "物流太慢了😡 //@客服:抱歉", "参与咖啡的拿铁", "", "好"]
    texts = [f"{base[i % 5]}{i}" for i in range(1500)] + base * 100  # 1,505 distinct texts
    tk._cache.clear()
    tk._texts.clear()
    single = tk.tokenize_many(texts, n_jobs=1)
    tk._cache.clear()
    tk._texts.clear()
    pooled = tk.tokenize_many(texts, n_jobs=2, chunk_size=300)
    assert calls and calls[0] >= 2  # the texts went to the workers
    assert pooled == single
    assert single[-5:] == [tk.tokenize(t) for t in base]
    assert tk.tokenize_many(texts, n_jobs=2, chunk_size=300) == single  # all cached now
    assert len(calls) == 1


def test_tokens_table_is_tidy(tk: TextTokenizer) -> None:
    t = tokens_table(
        ["#新品# 好用😀", "", "@小米 转发 //@雷军:好"], text_ids=["p1", "p2", "p3"], tokenizer=tk
    )
    assert list(t.columns) == ["text_id", "position", "token", "kind"]
    assert t["text_id"].tolist() == ["p1", "p1", "p1", "p3", "p3", "p3"]
    assert t["position"].tolist() == [0, 1, 2, 0, 1, 2]
    assert t["token"].tolist() == ["#新品#", "好用", "😀", "@小米", "转发", "@雷军"]
    assert t["kind"].tolist() == ["hashtag", "word", "emoji", "mention", "word", "repost"]
    assert list(t["kind"].cat.categories) == list(TOKEN_KINDS)
    with pytest.raises(TextInputError):
        tokens_table(["a"], text_ids=[1, 2], tokenizer=tk)


def test_memoised_hmm_cuts_exactly_like_jieba() -> None:
    from pathlib import Path

    from canyu.analytics.text._tokenize import _memo_jieba

    held = Path(__file__).parents[2] / "data" / "sentiment" / "heldout.tsv"
    lines = [ln.split("\t", 1)[1] for ln in held.read_text(encoding="utf-8").splitlines()][:600]
    memo, plain = _memo_jieba(), jieba.Tokenizer()
    memo.initialize()
    plain.initialize()
    expected = [plain.lcut(t) for t in lines]
    assert [memo.lcut(t) for t in lines] == expected
    assert len(memo._hmm_memo) > 0
    assert [memo.lcut(t) for t in lines] == expected  # from the memo


def test_without_memo_the_tokens_are_the_same(tk: TextTokenizer) -> None:
    bare = TextTokenizer(brand_words=tk.brand_words, memo=False)
    base = [
        "#新品# 小红书种草",
        "物流太慢了😡 //@客服:抱歉",
        "参与咖啡的拿铁",
        "",
        "好",
        "用了两天就坏了，退货",
    ]
    texts = [f"{base[i % 6]}{i % 700}" for i in range(1500)]
    want = tk.tokenize_many(texts, n_jobs=1)
    assert bare.tokenize_many(texts, n_jobs=1) == want
    assert bare.tokenize_many(texts, n_jobs=2, chunk_size=400) == want
    assert not bare._cache and not bare._texts and not bare._jieba._hmm_memo  # nothing was kept
    assert [bare.tokenize(t) for t in texts[:50]] == want[:50]


def test_text_memo_rolls_over_without_losing_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    from canyu.analytics.text import _tokenize

    monkeypatch.setattr(_tokenize, "_CACHE_MAX", 50)
    tk = TextTokenizer()
    plain = TextTokenizer(memo=False)
    first = [f"物流很快{i}" for i in range(40)]
    second = first[:30] + [f"质量不错{i}" for i in range(30)]  # 30 known, 30 new: the memo overflows
    assert tk.tokenize_many(first) == plain.tokenize_many(first)
    assert tk.tokenize_many(second) == plain.tokenize_many(second)
    assert len(tk._texts) <= 50
    big = [f"包装破损{i}" for i in range(80)]  # more new texts than the memo holds
    assert tk.tokenize_many(big + second) == plain.tokenize_many(big + second)
