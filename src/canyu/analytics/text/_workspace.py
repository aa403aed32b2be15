"""The text analyses of a workspace: ``topics`` and ``sentiment``, registered by name.

The texts come from the store, filtered in the engine (period, channels, the brand's own accounts):

* the brand's agenda: its own ``contents`` (title and text) by publish time;
* the audience's discussion: ``mentions`` (comments, community posts, listening exports) not written
  by the brand's own accounts, and user comments and community posts in ``events`` whose text is in
  their ``props`` and that no mention row already holds (the same id).

``topics`` tokenises them once (the workspace's :class:`TextTokenizer`: the shipped dictionary, the
brand's ``[text]`` words and stop words), assigns each to the ``[topics]`` taxonomy of canyu.toml and
finds emerging topics among the rest (NMF), and stores the tokens and the assignments as the derived
tables ``text_tokens`` and ``text_topics``. ``sentiment`` scores the audience's texts with the shipped
model and tests each day's negative share against its trailing baseline (舆情 spikes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = ["SentimentAnalysis", "TopicsAnalysis", "workspace_texts"]

# Actions whose events carry a user's text (in props.text).
TEXT_ACTIONS = ("comment", "post")
_TEXT_COLUMNS = ["text_id", "kind", "source", "channel", "author", "ts", "day", "text", "parent_id"]


def _has_rows(session: AnalysisSession, name: str) -> bool:
    try:
        return session.count(session.table(name).limit(1)) > 0
    except Exception:  # an older workspace without the table
        return False


def _props_text(props: object) -> str | None:
    """``props["text"]`` of an event (a JSON object as text), or None."""
    if not isinstance(props, str) or '"text"' not in props:
        return None
    try:
        value = json.loads(props).get("text")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value.strip() else None


def workspace_texts(session: AnalysisSession) -> pd.DataFrame:
    """Every text of the session: ``text_id, kind`` (``brand`` / ``audience``), ``source, channel,
    author, ts`` (UTC), ``day`` (local date), ``text, parent_id``; brand posts first, then by time."""
    own = list(session.own_accounts())
    zone = session.zone
    parts: list[pd.DataFrame] = []
    ct = session.on_channels(session.in_period("contents", "published_at"))
    ct = ct.filter(ct.published_at.notnull())
    brand = ct.select(
        text_id=ct.content_id,
        kind=ibis.literal("brand"),
        source=ibis.literal("contents"),
        channel=ct.channel,
        author=ct.account_id,
        ts=ct.published_at,
        day=zone.period_start(ct.published_at, "day"),
        text=ibis.coalesce(ct.title, ibis.literal("")).concat(
            ibis.literal(" "), ibis.coalesce(ct.text, ibis.literal(""))
        ),
        parent_id=ibis.null("string"),
    )
    parts.append(session.to_pandas(brand))
    has_mentions = _has_rows(session, "mentions")
    if has_mentions:
        mn = session.on_channels(session.in_period("mentions", "ts"))
        mn = mn.filter(mn.text.notnull())
        if own:
            mn = mn.filter(mn.author_id.isnull() | ~mn.author_id.isin(own))
        parts.append(
            session.to_pandas(
                mn.select(
                    text_id=mn.mention_id,
                    kind=ibis.literal("audience"),
                    source=ibis.coalesce(mn.source, ibis.literal("mentions")),
                    channel=mn.channel,
                    author=mn.author_id,
                    ts=mn.ts,
                    day=zone.period_start(mn.ts, "day"),
                    text=mn.text,
                    parent_id=mn.parent_id,
                )
            )
        )
    ev = session.events()
    ev = ev.filter(ev.action.isin(list(TEXT_ACTIONS)) & ev.props.notnull())
    if own:
        ev = ev.filter(~ev.user_id.isin(own))
    if has_mentions:
        ids = session.table("mentions").select(_mid=session.table("mentions").mention_id)
        ev = ev.anti_join(ids, ev.event_id == ids._mid)
    events = session.to_pandas(
        ev.select(
            text_id=ev.event_id,
            kind=ibis.literal("audience"),
            source=ibis.cases(
                (ev.action == "post", ibis.literal("community")), else_=ibis.literal("comments")
            ),
            channel=ev.channel,
            author=ev.user_id,
            ts=ev.ts,
            day=zone.period_start(ev.ts, "day"),
            props=ev.props,
            parent_id=ibis.coalesce(ev.content_id, ev.parent_event_id),
        )
    )
    # the text inside props (JSON): parsed here, not in the engine, as Spark would need a Python UDF
    events["text"] = events.pop("props").map(_props_text)
    parts.append(events[events["text"].notna()])
    frames = [p for p in parts if len(p)]
    if not frames:
        return pd.DataFrame(columns=_TEXT_COLUMNS)
    out = pd.concat(frames, ignore_index=True)[_TEXT_COLUMNS]
    out["day"] = pd.to_datetime(out["day"])
    out["ts"] = pd.to_datetime(out["ts"])
    out["text"] = out["text"].fillna("").str.strip()
    out = out.drop_duplicates("text_id", keep="first")
    # a fixed order whatever order the engine returns rows in (ties broken by id)
    order = np.lexsort(
        (out["text_id"].astype(str).to_numpy(), out["ts"].to_numpy(), (out["kind"] != "brand").to_numpy())
    )
    return out.iloc[order].reset_index(drop=True)


def workspace_tokenizer(session: AnalysisSession) -> Any:
    """The workspace's tokenizer: shipped words, ``[text]`` brand words and stop words, taxonomy seeds."""
    from canyu.analytics.text._tokenize import TextTokenizer, stop_words

    cfg = session.config
    seeds = [w for words in cfg.topics.values() for w in words]
    return TextTokenizer(
        brand_words=cfg.text.brand_words,
        extra_words=seeds,
        stopwords=stop_words() | frozenset(cfg.text.stop_words),
    )


@dataclass(frozen=True)
class TopicsAnalysis:
    """What the brand and its audience write about, per topic, day and channel.

    Attributes
    ----------
    texts
        One row per text (:func:`workspace_texts`) with ``topic`` (its best-scoring topic, or None)
        and ``topic_source`` (``taxonomy`` / ``emerging``).
    assignments
        ``text_id, topic, score, source``: every topic a text carries.
    topics
        ``topic, source, top_words, brand_texts, audience_texts, brand_share, audience_share``:
        each taxonomy topic (its seed words) and emerging topic (its top words); shares are of the
        texts that carry any topic.
    daily
        ``day, channel, kind, topic, texts``: texts per day, channel and side (a text on several
        topics counts once, split by score).
    note
        Why a part could not be computed (no taxonomy, too few texts for emerging topics), or None.
    saved
        Derived tables written (name → version), when saved.
    """

    texts: pd.DataFrame = field(repr=False)
    assignments: pd.DataFrame = field(repr=False)
    topics: pd.DataFrame
    daily: pd.DataFrame = field(repr=False)
    brand_texts: int
    audience_texts: int
    assigned_texts: int
    note: str | None = None
    saved: dict[str, int] = field(default_factory=dict)

    @property
    def taxonomy(self) -> tuple[str, ...]:
        return tuple(self.topics.loc[self.topics["source"] == "taxonomy", "topic"])

    def tables(self) -> dict[str, pd.DataFrame]:
        summary = pd.DataFrame(
            [
                {
                    "brand_texts": self.brand_texts,
                    "audience_texts": self.audience_texts,
                    "assigned_texts": self.assigned_texts,
                    "note": self.note,
                }
            ]
        )
        compact = self.topics[["topic", "source", "brand_texts", "audience_texts", "audience_share"]]
        out = {"summary": summary, "topics": compact}
        emerging = self.topics[self.topics["source"] == "emerging"]
        if len(emerging):
            out["emerging"] = emerging[["topic", "top_words", "audience_texts"]]
        return out

    def to_dict(self) -> dict[str, Any]:
        from canyu.analytics.registry import to_jsonable

        return {
            "brand_texts": self.brand_texts,
            "audience_texts": self.audience_texts,
            "assigned_texts": self.assigned_texts,
            "note": self.note,
            "saved": dict(self.saved),
            "topics": to_jsonable(self.topics),
        }


def _with_quoted(
    tk: Any, texts: list[str], pairs: list[tuple[list[str], str]], *, n_jobs: int
) -> list[tuple[list[str], str]]:
    """Each text's tokens plus, for a repost, the tokens of the texts it quotes (``//@user:`` chain).

    The tokenizer keeps only the reposter's own words (``转发微博``, ``同感``) and the users of the
    chain; a repost is about what it reposts, so its topics are read from both.
    """
    from canyu.analytics.text._tokenize import parse_repost

    at = [i for i, t in enumerate(texts) if "//@" in t]
    if not at:
        return pairs
    quoted = [" ".join(txt for _, txt in parse_repost(texts[i]).chain) for i in at]
    extra = tk.tokenize_many_kinds(quoted, n_jobs=n_jobs)
    out = list(pairs)
    for i, (toks, kinds) in zip(at, extra, strict=True):
        out[i] = (pairs[i][0] + toks, pairs[i][1] + kinds)
    return out


def _best_topic(assignments: pd.DataFrame) -> pd.DataFrame:
    """Per text: its taxonomy topic with the highest score, else its emerging topic."""
    if assignments.empty:
        return pd.DataFrame(columns=["text_id", "topic", "topic_source"])
    a = assignments.assign(_tax=(assignments["source"] == "taxonomy").astype(int))
    a = a.sort_values(["_tax", "score"], ascending=False, kind="stable").drop_duplicates("text_id")
    return a[["text_id", "topic", "source"]].rename(columns={"source": "topic_source"})


@register_analysis("topics", title=("Topics of posts and discussion", "内容与讨论话题"))
def topics_analysis(
    session: AnalysisSession, *, n_emerging: int = 8, min_hits: int = 1, save: bool = True, n_jobs: int = 1
) -> TopicsAnalysis:
    """Topics of the brand's posts and its audience's comments and mentions, per day and channel."""
    from canyu.errors import InvalidArgumentError

    if n_emerging < 0:
        raise InvalidArgumentError("n_emerging", n_emerging, ">= 0 (0 skips emerging topics)")
    if min_hits < 1:
        raise InvalidArgumentError("min_hits", min_hits, ">= 1")
    from canyu.analytics.text._topics import topics_from_tokens

    texts = workspace_texts(session)
    taxonomy = dict(session.config.topics)
    notes = []
    if not taxonomy:
        notes.append(
            "no [topics] taxonomy in canyu.toml: only emerging topics (the taxonomy's topics are what the"
            " agenda compares)"
        )
    tk = workspace_tokenizer(session)
    ids = texts["text_id"].tolist()
    pairs = tk.tokenize_many_kinds(texts["text"].tolist(), n_jobs=n_jobs)
    result = topics_from_tokens(
        _with_quoted(tk, texts["text"].tolist(), pairs, n_jobs=n_jobs),
        taxonomy=taxonomy,
        text_ids=ids,
        n_emerging=n_emerging,
        min_hits=min_hits,
    )
    if result.note:
        notes.append(f"emerging topics: {result.note}")
    assignments = result.assignments
    best = _best_topic(assignments)
    texts = texts.merge(best, on="text_id", how="left")
    kind = texts.set_index("text_id")["kind"]
    table = result.topics.copy()
    if len(assignments):
        per = assignments.assign(kind=assignments["text_id"].map(kind))
        counts = per.groupby(["topic", "kind"]).size().unstack(fill_value=0)
    else:
        counts = pd.DataFrame()
    for side in ("brand", "audience"):
        n = counts[side] if side in counts else pd.Series(dtype=float)
        table[f"{side}_texts"] = table["topic"].map(n).fillna(0).astype(int)
        carried = texts.loc[(texts["kind"] == side) & texts["topic"].notna()]
        table[f"{side}_share"] = table[f"{side}_texts"] / max(len(carried), 1)
    table = table.rename(columns={"texts": "all_texts"})
    # daily texts per topic, a text's weight split over its topics by score
    if len(assignments):
        w = assignments.assign(
            _w=assignments["score"] / assignments.groupby("text_id")["score"].transform("sum")
        )
        w = w.merge(texts[["text_id", "day", "channel", "kind"]], on="text_id")
        daily = w.groupby(["day", "channel", "kind", "topic"], as_index=False)["_w"].sum()
        daily = daily.rename(columns={"_w": "texts"})
    else:
        daily = pd.DataFrame(columns=["day", "channel", "kind", "topic", "texts"])
    saved: dict[str, int] = {}
    if save and len(texts):
        saved = _save(
            session, pairs, ids, assignments, params={"n_emerging": n_emerging, "min_hits": min_hits}
        )
    return TopicsAnalysis(
        texts=texts,
        assignments=assignments,
        topics=table,
        daily=daily,
        brand_texts=int((texts["kind"] == "brand").sum()),
        audience_texts=int((texts["kind"] == "audience").sum()),
        assigned_texts=int(texts["topic"].notna().sum()),
        note="; ".join(notes) or None,
        saved=saved,
    )


def _save(
    session: AnalysisSession,
    pairs: list[tuple[list[str], str]],
    ids: list[Any],
    assignments: pd.DataFrame,
    *,
    params: dict[str, Any],
) -> dict[str, int]:
    """Store the tokens and topic assignments as derived tables (skipped where the store is read-only)."""
    import pyarrow as pa

    from canyu.analytics.text._tokenize import tokens_frame
    from canyu.errors import CanyuError

    tokens = tokens_frame(pairs, [str(i) for i in ids])
    tokens["kind"] = tokens["kind"].astype(str)
    params = {**params, "period": session.period.to_dict(), "channels": list(session.channels or ())}
    store = session.workspace.store
    try:
        return {
            "text_tokens": store.write_derived(
                "text_tokens", pa.Table.from_pandas(tokens, preserve_index=False), params=params
            ),
            "text_topics": store.write_derived(
                "text_topics",
                pa.Table.from_pandas(assignments.astype({"text_id": str}), preserve_index=False),
                params=params,
            ),
        }
    except (CanyuError, OSError):  # a read-only or locked store: the analysis stands without them
        return {}


# -- sentiment -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SentimentAnalysis:
    """How the audience feels: share positive per day and channel, and negative spikes (舆情).

    Attributes
    ----------
    daily
        ``day, channel, texts, positive, share_positive`` (a text is positive when the shipped model's
        probability is at least 0.5).
    spikes
        Days whose negative share is significantly above its trailing baseline (one-sided Fisher exact test,
        Benjamini–Hochberg across days): ``day, posts, negative, share, baseline_share, ratio, p_value,
        q_value, post_ids``, and ``examples`` (up to 5 of the day's most negative texts).
    test
        The spike test, in words.
    note
        ``"too thin: ..."`` when there was too little data to test, else None.
    """

    texts: int
    positive: int
    share_positive: float
    daily: pd.DataFrame
    spikes: pd.DataFrame
    test: str
    note: str | None = None
    scores: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def too_thin(self) -> bool:
        return self.note is not None and self.note.startswith("too thin")

    def tables(self) -> dict[str, pd.DataFrame]:
        summary = pd.DataFrame(
            [
                {
                    "texts": self.texts,
                    "positive": self.positive,
                    "share_positive": self.share_positive,
                    "spikes": len(self.spikes),
                    "note": self.note,
                }
            ]
        )
        spikes = self.spikes.drop(columns=["post_ids"], errors="ignore")
        return {"summary": summary, "daily": self.daily, "spikes": spikes}

    def to_dict(self) -> dict[str, Any]:
        from canyu.analytics.registry import to_jsonable

        return {
            "texts": self.texts,
            "positive": self.positive,
            "share_positive": self.share_positive,
            "test": self.test,
            "note": self.note,
            "daily": to_jsonable(self.daily),
            "spikes": to_jsonable(self.spikes),
        }


@register_analysis("sentiment", title=("Audience sentiment", "受众情绪"))
def sentiment_analysis(
    session: AnalysisSession, *, threshold: float = 0.5, alpha: float = 0.05, n_jobs: int = 1
) -> SentimentAnalysis:
    """Share of positive audience texts per day and channel, and spikes of negative discussion (舆情)."""
    from canyu.errors import InvalidArgumentError

    for name, value in (("threshold", threshold), ("alpha", alpha)):
        if not 0 < value < 1:
            raise InvalidArgumentError(name, value, "between 0 and 1")
    from canyu.analytics.text._sentiment import sentiment
    from canyu.analytics.text._spikes import negative_spikes

    topics = session.run("topics")
    talk = topics.texts[topics.texts["kind"] == "audience"].reset_index(drop=True)
    p = sentiment(talk["text"].tolist(), n_jobs=n_jobs) if len(talk) else np.zeros(0)
    talk = talk.assign(sentiment=p, positive=(p >= threshold).astype(int))
    daily = (
        talk.groupby(["day", "channel"], as_index=False)
        .agg(texts=("text_id", "size"), positive=("positive", "sum"))
        .assign(share_positive=lambda d: d["positive"] / d["texts"])
    )
    spikes = negative_spikes(
        talk.rename(columns={"text_id": "post_id"}), sentiment="sentiment", threshold=threshold, alpha=alpha
    )
    table = spikes.spikes.copy()
    by_id = talk.set_index("text_id")
    table["examples"] = [
        by_id.loc[[i for i in ids if i in by_id.index]].sort_values("sentiment")["text"].head(5).tolist()
        for ids in table.get("post_ids", pd.Series([], dtype=object))
    ]
    n = len(talk)
    return SentimentAnalysis(
        texts=n,
        positive=int(talk["positive"].sum()),
        share_positive=float(talk["positive"].mean()) if n else float("nan"),
        daily=daily,
        spikes=table,
        test=spikes.test,
        note=spikes.note,
        scores=talk[["text_id", "day", "channel", "topic", "sentiment", "positive"]],
    )
