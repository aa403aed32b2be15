"""The ``agenda`` analysis of a workspace: does the brand's emphasis lead what its audience discusses?

It reads the ``topics`` analysis (the brand's own contents and its audience's comments, community
posts and mentions, each assigned to the ``[topics]`` taxonomy of canyu.toml), builds the daily
topic-salience series of both sides, overall and per channel, and runs :func:`agenda_setting`
(direction, lag with interval, strength 0–1, per topic and channel) and :func:`first_carriers`. It
also counts, per topic, the people who engaged with the brand's posts on it and converted within
``convert_days`` after (in the engine), for the plan's content advice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import pandas as pd

from canyu.analytics.agenda._carriers import first_carriers
from canyu.analytics.agenda._series import AgendaDataError, topic_salience
from canyu.analytics.agenda._setting import AgendaResult, agenda_setting
from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = ["ENGAGE_ACTIONS", "AgendaAnalysis"]

# Actions by which a person engages with a brand post (the start of the conversion window).
ENGAGE_ACTIONS = ("view", "like", "comment", "share", "collect", "click")
# A channel gets its own brand series when the brand posted there on at least this share of days.
CHANNEL_OWN_SERIES = 0.8
# Channels with fewer audience texts than this per day on average are not analysed on their own.
CHANNEL_MIN_TEXTS_PER_DAY = 2.0


@dataclass(frozen=True)
class AgendaAnalysis:
    """The brand's agenda-setting power, per topic and channel, with its first carriers.

    Attributes
    ----------
    result
        The :class:`AgendaResult` (None when the data are too thin: ``reason`` says why).
    reason, note
        A code (``too_short``, ``no_taxonomy``, ``no_texts`` ...) and its words, when too thin.
    brand_texts, audience_texts, days
        Brand posts and audience texts assigned to a taxonomy topic; days of the series.
    carriers
        :func:`first_carriers` of the brand's topics (not the brand's own accounts).
    conversions
        ``topic, engaged, converted, rate``: people who engaged with the brand's posts on the topic,
        and of them those who converted within ``convert_days`` after.
    """

    result: AgendaResult | None
    brand_texts: int
    audience_texts: int
    days: int
    carriers: pd.DataFrame = field(repr=False)
    conversions: pd.DataFrame = field(repr=False)
    convert_days: int = 7
    reason: str | None = None
    note: str | None = None
    note_zh: str | None = None

    def note_in(self, locale: str) -> str | None:
        """The note in ``locale`` (zh-CN or en)."""
        return self.note_zh if locale.lower().startswith("zh") and self.note_zh else self.note

    @property
    def too_thin(self) -> bool:
        return self.result is None

    @property
    def direction(self) -> str:
        return self.result.direction if self.result is not None else "none"

    @property
    def topics(self) -> pd.DataFrame:
        if self.result is None:
            return pd.DataFrame()
        return self.result.topics.merge(self.conversions, on="topic", how="left")

    def tables(self) -> dict[str, pd.DataFrame]:
        r = self.result
        summary: dict[str, Any] = {
            "direction": self.direction,
            "brand_texts": self.brand_texts,
            "audience_texts": self.audience_texts,
            "days": self.days,
            "note": self.note,
        }
        if r is not None:
            summary |= {
                "lag_days": r.lag_days,
                "lag_low": r.lag_interval[0],
                "lag_high": r.lag_interval[1],
                "strength": r.strength,
                "strength_low": r.strength_interval[0],
                "strength_high": r.strength_interval[1],
                "strength_label": r.strength_label,
                "reverse_strength": r.reverse_strength,
                "p_brand_leads": r.p_brand_leads,
                "p_audience_leads": r.p_audience_leads,
            }
        out = {"summary": pd.DataFrame([summary])}
        if r is not None:
            out |= {"topics": self.topics, "channels": r.channels, "rank_correlation": r.rank_correlation}
        out["carriers"] = self.carriers.head(50)
        return out

    def to_dict(self) -> dict[str, Any]:
        from canyu.analytics.registry import to_jsonable

        base: dict[str, Any] = (
            self.result.to_dict()
            if self.result is not None
            else {"direction": "none", "topics": [], "channels": []}
        )
        if self.result is not None:
            base["topics"] = to_jsonable(self.topics)
        base |= {
            "too_thin": self.too_thin,
            "reason": self.reason,
            "note": self.note,
            "brand_texts": self.brand_texts,
            "audience_texts": self.audience_texts,
            "convert_days": self.convert_days,
            "carriers": to_jsonable(self.carriers.head(50)),
        }
        return base


def _records(texts: pd.DataFrame, taxonomy: tuple[str, ...]) -> pd.DataFrame:
    return texts[texts["topic"].isin(taxonomy) & (texts["topic_source"] == "taxonomy")]


def _conversions(session: AnalysisSession, posts: pd.DataFrame, convert_days: int) -> pd.DataFrame:
    """Per topic: people who engaged with the brand's posts on it, and those who converted after (engine)."""
    cols = ["topic", "engaged", "converted", "rate"]
    if posts.empty or not session.conversion_actions:
        return pd.DataFrame(columns=cols)
    topic_of = ibis.memtable(
        pd.DataFrame({"_cid": posts["text_id"].astype(str), "_topic": posts["topic"].astype(str)})
    )
    ev = session.events()
    eng = ev.filter(ev.action.isin(list(ENGAGE_ACTIONS)) & ev.content_id.notnull())
    eng = eng.join(topic_of, eng.content_id == topic_of._cid)
    first = eng.group_by([eng._topic, eng.person_id]).aggregate(t0=eng.ts.min())
    conv_ev = session.events_until_end()
    conv_ev = conv_ev.filter(conv_ev.action.isin(list(session.conversion_actions)))
    conv = conv_ev.select(_pid=conv_ev.person_id, _ts=conv_ev.ts)
    window = ibis.interval(days=convert_days)
    hit = first.join(
        conv,
        (first.person_id == conv._pid) & (conv._ts >= first.t0) & (conv._ts <= first.t0 + window),
    )
    converted = hit.group_by(hit._topic).aggregate(converted=hit.person_id.nunique())
    engaged = first.group_by(first._topic).aggregate(engaged=first.person_id.nunique())
    out = session.to_pandas(engaged.left_join(converted, "_topic").select("_topic", "engaged", "converted"))
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out.rename(columns={"_topic": "topic"})
    out["converted"] = out["converted"].fillna(0).astype(int)
    out["rate"] = out["converted"] / out["engaged"].where(out["engaged"] > 0)
    return out[cols]


@register_analysis("agenda", title=("Agenda setting", "议程设置"), choices={"ic": ("aic", "bic")})
def agenda_analysis(
    session: AnalysisSession,
    *,
    max_lag: int = 10,
    alpha: float = 0.05,
    ic: str = "aic",
    convert_days: int = 7,
    carrier_hours: float = 72.0,
    seed: int = 0,
) -> AgendaAnalysis:
    """Whether the brand's topic emphasis leads its audience's discussion: direction, lag, strength, per topic and channel."""
    from canyu.errors import InvalidArgumentError

    for name, value, ok, valid in (
        ("max_lag", max_lag, 1 <= max_lag <= 60, "1..60 days"),
        ("alpha", alpha, 0 < alpha < 1, "between 0 and 1"),
        ("convert_days", convert_days, convert_days >= 1, ">= 1 day"),
        ("carrier_hours", carrier_hours, carrier_hours > 0, "> 0 hours"),
    ):
        if not ok:
            raise InvalidArgumentError(name, value, valid)
    topics = session.run("topics")
    taxonomy = topics.taxonomy
    texts = topics.texts
    empty = pd.DataFrame()
    if not taxonomy:
        return AgendaAnalysis(
            None, 0, 0, 0, empty, empty, convert_days, "no_taxonomy",
            "no [topics] taxonomy in canyu.toml: declare the brand's topics (topic = [seed words]) to compare agendas",
            "canyu.toml 中没有 [topics] 话题体系：请声明品牌的话题（话题 = [种子词]）以比较议程",
        )  # fmt: skip
    rec = _records(texts, taxonomy)
    brand, talk = rec[rec["kind"] == "brand"], rec[rec["kind"] == "audience"]
    if brand.empty or talk.empty:
        return AgendaAnalysis(
            None, len(brand), len(talk), 0, empty, empty, convert_days, "no_texts",
            f"too thin: {len(brand):,} brand posts and {len(talk):,} audience texts carry a taxonomy topic",
            f"数据不足：仅 {len(brand):,} 条品牌内容与 {len(talk):,} 条受众讨论归入话题体系",
        )  # fmt: skip
    lo, hi = max(brand["day"].min(), talk["day"].min()), min(brand["day"].max(), talk["day"].max())
    if session.period.start is not None:
        lo = max(lo, pd.Timestamp(session.period.start))
    if session.period.end is not None:
        hi = min(hi, pd.Timestamp(session.period.end))
    days = pd.date_range(lo, hi, freq="D") if lo <= hi else pd.DatetimeIndex([])
    b = topic_salience(brand, topics=taxonomy, days=days)
    a = topic_salience(talk, topics=taxonomy, days=days)
    assert isinstance(b, pd.DataFrame) and isinstance(a, pd.DataFrame)
    per_day = talk.groupby("day").size()
    channels: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}
    by_ch = topic_salience(talk, by="channel", topics=taxonomy, days=days)
    brand_by_ch = topic_salience(brand, by="channel", topics=taxonomy, days=days)
    assert isinstance(by_ch, dict) and isinstance(brand_by_ch, dict)
    for ch, series in by_ch.items():
        n = int((talk["channel"] == ch).sum())
        if len(days) == 0 or n / len(days) < CHANNEL_MIN_TEXTS_PER_DAY:
            continue
        own_days = brand.loc[brand["channel"] == ch, "day"].nunique()
        own = brand_by_ch.get(ch) if own_days >= CHANNEL_OWN_SERIES * len(days) else None
        channels[ch] = (own if own is not None else b, series)
    try:
        result = agenda_setting(
            b, a, channels=channels, audience_texts=per_day, max_lag=max_lag, alpha=alpha, ic=ic, seed=seed
        )
    except AgendaDataError as err:
        return AgendaAnalysis(
            None, len(brand), len(talk), len(days), empty, empty, convert_days, err.reason, f"too thin: {err}",
            f"数据不足：{err.message_zh or err}",
        )  # fmt: skip
    own = set(session.own_accounts())
    audience = talk[~talk["author"].isin(own)].dropna(subset=["author"])
    carriers = first_carriers(
        brand[["ts", "topic"]], audience[["ts", "topic", "author", "channel"]], window_hours=carrier_hours
    )
    conversions = _conversions(session, brand, convert_days)
    return AgendaAnalysis(result, len(brand), len(talk), len(days), carriers, conversions, convert_days)
