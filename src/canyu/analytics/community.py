"""Community health (社区健康度): members, posters, replies, growth and core-member retention.

A community is a channel where users talk to each other: the brand's
``forum`` and ``wecom`` groups by default.

Definitions (per community channel and local period, see
:mod:`canyu.analytics.activity` for periods)
--------------------------------------------------------------------------
``joins``, ``leaves``
    Number of ``join`` / ``leave`` events in the period.
``members``
    Members at the end of the period: all joins minus all leaves up to and
    including the period (a running sum over the periods with events).
``posts``, ``posters``
    ``post`` events, and distinct people who posted, in the period.
``poster_share``
    ``posters / members`` (null when there are no members).
``replies``, ``replies_per_post``
    ``comment`` events in the community (replies in threads) and ``replies / posts``.
``growth``
    ``members / members of the previous period with events - 1``.
core member retention
    Core members as of ``as_of`` posted at least ``min_posts`` times in the
    community in the ``days`` days before ``as_of``; the retained are those of
    them active in the same community in the ``days`` days from ``as_of``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from canyu import vocab
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Unit, Zone, period_date
from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["COMMUNITY_CHANNELS", "community_growth", "community_health", "core_member_retention"]

# The channels people join and leave groups on (``vocab.Channel.community``): WeCom groups, the forum.
COMMUNITY_CHANNELS: tuple[str, ...] = tuple(code for code, c in vocab.CHANNEL_INFO.items() if c.community)


def community_health(
    events: ir.Table,
    *,
    channels: Sequence[str] = COMMUNITY_CHANNELS,
    period: Unit = "week",
    zone: Zone,
) -> ir.Table:
    """Membership and participation of each community channel per period.

    Returns
    -------
    ibis.Table
        ``channel, period_index, period_start, joins, leaves, members, posts,
        posters, poster_share, replies, replies_per_post, growth``.

    Examples
    --------
    >>> community_health(ws.table("events"), period="month")  # doctest: +SKIP
    """
    ev = events.filter(events.channel.isin(list(channels)))
    ev = ev.mutate(period_index=zone.period_index(ev.ts, period))
    per = ev.group_by(["channel", "period_index"]).aggregate(
        joins=(ev.action == "join").sum().cast("int64"),
        leaves=(ev.action == "leave").sum().cast("int64"),
        posts=(ev.action == "post").sum().cast("int64"),
        replies=(ev.action == "comment").sum().cast("int64"),
    )
    # Posters from the post events alone: a distinct count filtered inside the
    # main aggregate hashed every community event.
    posted = ev.filter(ev.action == "post")
    posters = posted.group_by(["channel", "period_index"]).aggregate(posters=posted.person_id.nunique())
    per = per.left_join(posters, ["channel", "period_index"]).select(
        per,
        posters=posters.posters.fill_null(0).cast("int64"),
        period_start=period_date(per.period_index, period),
    )
    running = ibis.window(group_by="channel", order_by="period_index", preceding=None, following=0)
    per = per.mutate(members=(per.joins - per.leaves).sum().over(running).cast("int64"))
    prev = ibis.window(group_by="channel", order_by="period_index")
    per = per.mutate(
        poster_share=ibis.ifelse(
            per.members > 0, per.posters.cast("float64") / per.members, ibis.null("float64")
        ),
        replies_per_post=ibis.ifelse(
            per.posts > 0, per.replies.cast("float64") / per.posts, ibis.null("float64")
        ),
        _prev=per.members.lag().over(prev),
    )
    per = per.mutate(
        growth=ibis.ifelse(per._prev > 0, per.members.cast("float64") / per._prev - 1, ibis.null("float64"))
    )
    return per.select(
        "channel",
        "period_index",
        "period_start",
        "joins",
        "leaves",
        "members",
        "posts",
        "posters",
        "poster_share",
        "replies",
        "replies_per_post",
        "growth",
    ).order_by(["channel", "period_index"])


def core_member_retention(
    events: ir.Table,
    *,
    as_of: datetime,
    channels: Sequence[str] = COMMUNITY_CHANNELS,
    min_posts: int = 3,
    days: int = 30,
) -> ir.Table:
    """The share of core members still active in their community ``days`` days later.

    Returns
    -------
    ibis.Table
        ``channel, core_members, retained, retention``.
    """
    ev = events.filter(events.channel.isin(list(channels)) & events.person_id.notnull())
    span = timedelta(days=days)
    before = ev.filter((ev.action == "post") & (ev.ts >= as_of - span) & (ev.ts < as_of))
    core = before.group_by(["channel", "person_id"]).aggregate(posts=ibis._.count())
    core = core.filter(core.posts >= min_posts).select("channel", "person_id")
    after = ev.filter(ev.action.isin(list(ACTIVE_ACTIONS)) & (ev.ts >= as_of) & (ev.ts < as_of + span))
    after = after.select("channel", "person_id").distinct().mutate(_back=ibis.literal(1))
    j = core.left_join(after, ["channel", "person_id"]).select(core.channel, core.person_id, back=after._back)
    out = j.group_by("channel").aggregate(
        core_members=ibis._.count().cast("int64"), retained=j.back.notnull().sum().cast("int64")
    )
    out = out.mutate(retention=out.retained.cast("float64") / out.core_members)
    return out.order_by("channel")


def community_growth(
    events: ir.Table,
    *,
    start: datetime,
    end: datetime,
    channels: Sequence[str] = COMMUNITY_CHANNELS,
) -> ir.Table:
    """Members at ``start`` and at ``end`` (UTC) of each community, and what happened in between.

    Members at a time are the joins minus the leaves before it (as in
    :func:`community_health`). ``poster_share`` is the distinct posters of
    ``[start, end)`` over the members at ``end``.

    Returns
    -------
    ibis.Table
        ``channel, members_start, members_end, joins, leaves, growth, posts, posters,
        poster_share`` (``growth`` is ``members_end / members_start - 1``).
    """
    if end <= start:
        raise InvalidArgumentError("end", end, f"after start {start}")
    ev = events.filter(events.channel.isin(list(channels)) & (events.ts < end))
    sign = ibis.cases((ev.action == "join", 1), (ev.action == "leave", -1), else_=0)
    inside = ev.ts >= start
    out = ev.group_by("channel").aggregate(
        members_start=sign.sum(where=~inside).fill_null(0).cast("int64"),
        members_end=sign.sum().cast("int64"),
        joins=((ev.action == "join") & inside).sum().cast("int64"),
        leaves=((ev.action == "leave") & inside).sum().cast("int64"),
        posts=((ev.action == "post") & inside).sum().cast("int64"),
        posters=ev.person_id.nunique(where=(ev.action == "post") & inside).cast("int64"),
    )
    out = out.mutate(
        growth=ibis.ifelse(
            out.members_start > 0,
            out.members_end.cast("float64") / out.members_start - 1,
            ibis.null("float64"),
        ),
        poster_share=ibis.ifelse(
            out.members_end > 0, out.posters.cast("float64") / out.members_end, ibis.null("float64")
        ),
    )
    return out.select(
        "channel",
        "members_start",
        "members_end",
        "joins",
        "leaves",
        "growth",
        "posts",
        "posters",
        "poster_share",
    ).order_by("channel")


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis(
    "community", title=("Community health", "社群健康度"), choices={"unit": ("day", "week", "month")}
)
def community(session: AnalysisSession, *, unit: str = "week") -> pd.DataFrame:
    """Forum and WeCom groups per period: members, joins, leaves, posts, poster share, replies per post, growth."""
    from canyu.analytics.calendar import check_period

    check_period(unit)
    return session.to_pandas(community_health(session.events_until_end(), period=unit, zone=session.zone))  # type: ignore[arg-type]
