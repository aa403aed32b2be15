"""Topics of posts: the brand's taxonomy (topic → seed words) and emerging topics found by NMF.

Taxonomy assignment: a text carries a topic when at least ``min_hits`` of its tokens hold one of
the topic's seed words (a hashtag ``#新品发布#`` holds ``新品发布``; a token ``咖啡豆`` holds the
seed ``咖啡``); its score is the share of the text's tokens that do, in (0, 1].

Emerging topics: the texts no taxonomy topic claims are weighted by TF-IDF over their tokens and
factorised by non-negative matrix factorisation (Lee & Seung 1999; scikit-learn's coordinate
descent with NNDSVDa initialisation, Boutsidis & Gallopoulos 2008, so a seed fixes the result).
Each topic is labelled by its top words; a text carries a topic when the topic holds at least
``min_share`` of the text's weight over all topics, with that share as the score.

References
----------
Lee, D. D. & Seung, H. S. (1999). Learning the parts of objects by non-negative matrix
factorization. Nature 401, 788–791.
Boutsidis, C. & Gallopoulos, E. (2008). SVD based initialization: a head start for non-negative
matrix factorization. Pattern Recognition 41(4), 1350–1362.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._errors import TextInputError
from ._tokenize import _CODE_KIND, TextTokenizer

__all__ = ["TopicResult", "assign_topics", "emerging_topics", "topics", "topics_from_tokens"]

_ASSIGN_COLUMNS = ["text_id", "topic", "score", "source"]
_TOPIC_COLUMNS = ["topic", "source", "top_words", "texts"]
# Kinds that say what a text is about (mentions and repost users say who, not what).
_CONTENT_KINDS = frozenset({"word", "brand", "hashtag"})


def _check_taxonomy(taxonomy: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    clean: dict[str, tuple[str, ...]] = {}
    for topic, seeds in taxonomy.items():
        if isinstance(seeds, str):
            seeds = [seeds]
        words = tuple(dict.fromkeys(s.strip().strip("#").lower() for s in seeds if s and s.strip("# ")))
        if not words:
            raise TextInputError(
                f"topic {topic!r} has no seed words", message_zh=f"话题 {topic!r} 没有种子词"
            )
        clean[str(topic)] = words
    return clean


def _content_tokens(pairs: Sequence[tuple[list[str], str]]) -> list[list[str]]:
    keep = {c for c, k in _CODE_KIND.items() if k in _CONTENT_KINDS}
    out = []
    for toks, codes in pairs:
        out.append([t for t, c in zip(toks, codes, strict=True) if c in keep])
    return out


def assign_topics(
    token_lists: Sequence[Sequence[str]],
    taxonomy: Mapping[str, Sequence[str]],
    *,
    text_ids: Sequence[Any] | None = None,
    min_hits: int = 1,
) -> pd.DataFrame:
    """Assign tokenised texts to taxonomy topics.

    Parameters
    ----------
    token_lists:
        The tokens of each text (from :meth:`TextTokenizer.tokenize_many`).
    taxonomy:
        Topic → seed words (from canyu.toml). Matching ignores case and a hashtag's ``#``.
    text_ids:
        An id per text (default 0..n-1).
    min_hits:
        Tokens holding a seed word a text needs to carry the topic.

    Returns
    -------
    pandas.DataFrame
        ``text_id, topic, score, source`` (``source`` is ``"taxonomy"``), one row per text and
        topic it carries; ``score`` is the share of its tokens holding the topic's seeds.

    Examples
    --------
    >>> assign_topics([["新品", "咖啡豆", "好喝"], ["物流"]], {"咖啡": ["咖啡"]})
       text_id topic     score    source
    0        0    咖啡  0.333333  taxonomy
    """
    seeds = _check_taxonomy(taxonomy)
    ids = list(range(len(token_lists))) if text_ids is None else list(text_ids)
    topic_names = list(seeds)
    memo: dict[str, tuple[int, ...]] = {}

    def topics_of(token: str) -> tuple[int, ...]:
        hit = memo.get(token)
        if hit is None:
            t = token.strip("#").lower()
            hit = tuple(i for i, name in enumerate(topic_names) if any(s in t for s in seeds[name]))
            memo[token] = hit
        return hit

    rows_id: list[Any] = []
    rows_topic: list[str] = []
    rows_score: list[float] = []
    for tid, toks in zip(ids, token_lists, strict=True):
        if not toks:
            continue
        counts: dict[int, int] = {}
        for tok in toks:
            for i in topics_of(tok):
                counts[i] = counts.get(i, 0) + 1
        for i, c in sorted(counts.items()):
            if c >= min_hits:
                rows_id.append(tid)
                rows_topic.append(topic_names[i])
                rows_score.append(c / len(toks))
    return pd.DataFrame(
        {"text_id": rows_id, "topic": rows_topic, "score": rows_score, "source": "taxonomy"},
        columns=_ASSIGN_COLUMNS,
    )


@dataclass(frozen=True)
class TopicResult:
    """Topics of a set of texts.

    Attributes
    ----------
    assignments:
        ``text_id, topic, score, source`` (``taxonomy`` or ``emerging``).
    topics:
        ``topic, source, top_words, texts``: every topic, with its top words (emerging) or seed
        words (taxonomy) and the number of texts carrying it.
    note:
        Why no emerging topics were fitted, when none were (too few texts or words).
    """

    assignments: pd.DataFrame
    topics: pd.DataFrame
    note: str | None = None


def emerging_topics(
    token_lists: Sequence[Sequence[str]],
    *,
    text_ids: Sequence[Any] | None = None,
    n_topics: int = 8,
    top_words: int = 5,
    min_df: int = 3,
    max_df: float = 0.5,
    min_share: float = 0.4,
    seed: int = 0,
) -> TopicResult:
    """Find topics in tokenised texts by NMF over TF-IDF, each labelled by its top words.

    Parameters
    ----------
    token_lists:
        The tokens of each text (typically those no taxonomy topic claims).
    text_ids:
        An id per text (default 0..n-1).
    n_topics:
        Topics to fit (fewer when the texts hold fewer usable words).
    top_words:
        Words in each label, heaviest first, joined by ``·``.
    min_df, max_df:
        Words in fewer than ``min_df`` texts, or more than the share ``max_df``, are ignored.
    min_share:
        Share of a text's topic weight a topic needs for the text to carry it.
    seed:
        Random state of the NMF (NNDSVDa is deterministic; the seed only fixes ties).

    Returns
    -------
    TopicResult
        Assignments with ``source == "emerging"`` and the topic table; ``note`` says why it is
        empty when there were too few texts.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = list(range(len(token_lists))) if text_ids is None else list(text_ids)
    empty = TopicResult(
        assignments=pd.DataFrame(columns=_ASSIGN_COLUMNS), topics=pd.DataFrame(columns=_TOPIC_COLUMNS)
    )
    keep = [i for i, t in enumerate(token_lists) if len(t) > 0]
    if len(keep) < max(20, 3 * n_topics):
        return TopicResult(empty.assignments, empty.topics, note=f"too few texts ({len(keep)}) for topics")
    vec = TfidfVectorizer(
        analyzer=lambda toks: toks, min_df=min_df, max_df=max_df, sublinear_tf=True, lowercase=False
    )
    try:
        x = vec.fit_transform([token_lists[i] for i in keep])
    except ValueError:  # every word pruned by min_df/max_df
        return TopicResult(empty.assignments, empty.topics, note="too few shared words for topics")
    k = min(n_topics, x.shape[1] - 1, x.shape[0] - 1)
    if k < 1:
        return TopicResult(empty.assignments, empty.topics, note="too few shared words for topics")
    nmf = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    w = nmf.fit_transform(x)
    vocab = np.asarray(vec.get_feature_names_out(), dtype=object)
    labels: list[str] = []
    words_of: list[str] = []
    for comp in nmf.components_:
        top = [str(vocab[j]) for j in np.argsort(-comp, kind="stable")[:top_words] if comp[j] > 0]
        label = "·".join(top[:3]) or "(empty)"
        while label in labels:
            label += "'"
        labels.append(label)
        words_of.append(" ".join(top))
    total = w.sum(axis=1)
    share = np.divide(w, total[:, None], out=np.zeros_like(w), where=total[:, None] > 0)
    rows_r, rows_c = np.nonzero(share >= min_share)
    assignments = pd.DataFrame(
        {
            "text_id": [ids[keep[r]] for r in rows_r],
            "topic": [labels[c] for c in rows_c],
            "score": share[rows_r, rows_c],
            "source": "emerging",
        },
        columns=_ASSIGN_COLUMNS,
    )
    counts = np.bincount(rows_c, minlength=k)
    table = pd.DataFrame(
        {"topic": labels, "source": "emerging", "top_words": words_of, "texts": counts.astype(np.int64)},
        columns=_TOPIC_COLUMNS,
    )
    return TopicResult(assignments=assignments, topics=table)


def topics(
    texts: Sequence[str] | pd.Series,
    *,
    taxonomy: Mapping[str, Sequence[str]],
    text_ids: Sequence[Any] | None = None,
    tokenizer: TextTokenizer | None = None,
    n_emerging: int = 8,
    min_hits: int = 1,
    seed: int = 0,
    n_jobs: int | None = 1,
) -> TopicResult:
    """Taxonomy topics for every text, and emerging topics among the texts the taxonomy misses.

    Parameters
    ----------
    texts:
        The posts; a Series' index is the default ``text_id``.
    taxonomy:
        Topic → seed words (canyu.toml); may be empty, then every text goes to the NMF.
    text_ids:
        An id per text.
    tokenizer:
        The workspace's :class:`TextTokenizer` (the taxonomy's seed words are added to it, so
        they come out whole); by default a new one without brand words.
    n_emerging:
        Emerging topics to fit (0 skips the NMF).
    min_hits, seed:
        As in :func:`assign_topics` and :func:`emerging_topics`.
    n_jobs:
        Tokeniser processes.

    Examples
    --------
    >>> r = topics(["#新品发布# 拿铁好喝", "物流太慢"], taxonomy={"新品": ["新品"]}, n_emerging=0)
    >>> r.assignments[["text_id", "topic"]].values.tolist()
    [[0, '新品']]
    """
    seeds = _check_taxonomy(taxonomy) if taxonomy else {}
    if text_ids is None:
        text_ids = list(texts.index) if isinstance(texts, pd.Series) else list(range(len(texts)))
    ids = list(text_ids)
    if len(ids) != len(texts):
        raise TextInputError(
            f"{len(ids)} text ids for {len(texts)} texts",
            message_zh=f"文本编号 {len(ids)} 个，文本 {len(texts)} 条，数量不一致",
        )
    seed_words = [s for ws in seeds.values() for s in ws]
    if tokenizer is None:
        tk = TextTokenizer(extra_words=seed_words)
    else:
        tk = tokenizer
        tk.add_words(seed_words)  # the workspace's own tokenizer: seeds must come out whole
    pairs = tk.tokenize_many_kinds(list(texts), n_jobs=n_jobs)
    return topics_from_tokens(
        pairs, taxonomy=taxonomy, text_ids=ids, n_emerging=n_emerging, min_hits=min_hits, seed=seed
    )


def topics_from_tokens(
    pairs: Sequence[tuple[list[str], str]],
    *,
    taxonomy: Mapping[str, Sequence[str]],
    text_ids: Sequence[Any],
    n_emerging: int = 8,
    min_hits: int = 1,
    seed: int = 0,
) -> TopicResult:
    """:func:`topics` from texts already tokenised with kinds (:meth:`TextTokenizer.tokenize_many_kinds`,
    with the taxonomy's seed words added to the tokenizer), so a caller that also stores the tokens
    tokenises once."""
    seeds = _check_taxonomy(taxonomy) if taxonomy else {}
    ids = list(text_ids)
    toks = _content_tokens(pairs)
    parts = []
    tables = []
    if seeds:
        tax = assign_topics(toks, seeds, text_ids=ids, min_hits=min_hits)
        parts.append(tax)
        n = tax.groupby("topic").size()
        tables.append(
            pd.DataFrame(
                {
                    "topic": list(seeds),
                    "source": "taxonomy",
                    "top_words": [" ".join(ws) for ws in seeds.values()],
                    "texts": [int(n.get(t, 0)) for t in seeds],
                },
                columns=_TOPIC_COLUMNS,
            )
        )
        claimed = set(tax["text_id"])
    else:
        claimed = set()
    note = None
    if n_emerging > 0:
        rest = [i for i, tid in enumerate(ids) if tid not in claimed]
        em = emerging_topics(
            [toks[i] for i in rest], text_ids=[ids[i] for i in rest], n_topics=n_emerging, seed=seed
        )
        parts.append(em.assignments)
        tables.append(em.topics)
        note = em.note
    assignments = (
        pd.concat([p for p in parts if len(p)], ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=_ASSIGN_COLUMNS)
    )
    table = (
        pd.concat([t for t in tables if len(t)], ignore_index=True)
        if any(len(t) for t in tables)
        else pd.DataFrame(columns=_TOPIC_COLUMNS)
    )
    return TopicResult(assignments=assignments, topics=table, note=note)
