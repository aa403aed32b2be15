"""Channel roles (渠道角色): which role each channel actually plays, against the product profile.

The playbook gives each channel a role the product needs (``broadcast``,
``service``, ``retention``, ``conversion``; ``config.product.roles``). This
module measures each channel on the four roles and flags the channels that
play another role than the one planned.

Metrics (per channel, from person-level events)
-----------------------------------------------
``reach_per_post`` (broadcast)
    ``expose`` + ``view`` events per distinct ``content_id`` seen on the
    channel. With ``content_stats``, its ``exposes + views`` per content
    replace the event counts for the channels it covers.
``share_fanout`` (broadcast)
    ``view`` and ``share`` events with a ``parent_user_id`` (people reached
    through a share; replies in a thread do not count) per ``share`` event.
``one_to_one_share`` (service)
    ``message`` + ``reply`` events over all events of the channel.
``reply_rate`` (service)
    Answered share of user messages (see :mod:`canyu.analytics.service`).
``core_retention`` (retention)
    The people active on the channel on at least ``core_min_days`` local days
    in the ``days`` days before ``as_of`` and active on it again in the ``days``
    days from ``as_of`` (default ``as_of``: ``days`` days before the last
    event), as a share of everyone active on the channel before ``as_of``: a
    channel of one-off readers does not retain, however loyal its few regulars.
``orders_per_active`` (conversion)
    Conversion events on the channel per distinct active person on it.

Scores
------
Each metric is divided by its largest value over the channels (so the best
channel scores 1, a missing value 0); a role's score is the mean of its
metrics' normalized values; the role a channel *plays* is its highest-scoring
role (ties go to the earlier role in :data:`canyu.vocab.CHANNEL_ROLES`, and a
channel that scores 0 everywhere plays none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir
import pandas as pd

from canyu import vocab
from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.registry import register_analysis
from canyu.analytics.service import message_responses

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = [
    "ROLE_METRICS",
    "ChannelRoles",
    "channel_role_metrics",
    "channel_roles",
    "score_roles",
]

ROLE_METRICS: Mapping[str, tuple[str, ...]] = {
    "broadcast": ("reach_per_post", "share_fanout"),
    "service": ("one_to_one_share", "reply_rate"),
    "retention": ("core_retention",),
    "conversion": ("orders_per_active",),
}
"""The metrics behind each role's score."""


def channel_role_metrics(
    events: ir.Table,
    *,
    content_stats: ir.Table | None = None,
    as_of: datetime | None = None,
    days: int = 30,
    core_min_days: int = 3,
    conversion_actions: Sequence[str],
    zone: Zone,
) -> ir.Table:
    """The role metrics of each channel (see the module docstring).

    Returns
    -------
    ibis.Table
        ``channel, events, reach_per_post, share_fanout, one_to_one_share,
        reply_rate, core_retention, orders_per_active`` (``active_people``: distinct
        people with an active event on the channel).
    """
    ev = events
    span = timedelta(days=days)
    base = ev.group_by("channel").aggregate(
        events=ev.count().cast("int64"),
        _reach=ev.action.isin(["expose", "view"]).sum(),
        _posts=ev.content_id.nunique(),
        _shares=(ev.action == "share").sum(),
        # reached through a share: views and re-shares naming a parent (not replies in a thread)
        _shared=(ev.parent_user_id.notnull() & ev.action.isin(["view", "share"])).sum(),
        _one2one=ev.action.isin(["message", "reply"]).sum(),
        _orders=ev.action.isin(list(conversion_actions)).sum(),
        _active=ev.person_id.nunique(where=ev.action.isin(list(ACTIVE_ACTIONS))),
    )
    base = base.mutate(
        reach_per_post=ibis.ifelse(
            base._posts > 0, base._reach.cast("float64") / base._posts, ibis.null("float64")
        ),
        share_fanout=ibis.ifelse(
            base._shares > 0, base._shared.cast("float64") / base._shares, ibis.null("float64")
        ),
        one_to_one_share=base._one2one.cast("float64") / base.events,
        orders_per_active=ibis.ifelse(
            base._active > 0, base._orders.cast("float64") / base._active, ibis.null("float64")
        ),
    )
    if content_stats is not None:
        cs = content_stats
        st = cs.group_by("channel").aggregate(
            _r=(cs.exposes.fill_null(0) + cs.views.fill_null(0)).sum(), _n=cs.content_id.nunique()
        )
        st = st.select(
            sc="channel", rpp=ibis.ifelse(st._n > 0, st._r.cast("float64") / st._n, ibis.null("float64"))
        )
        base = base.left_join(st, base.channel == st.sc).select(base, _rpp=st.rpp)
        base = base.mutate(reach_per_post=ibis.coalesce(base._rpp, base.reach_per_post))

    msgs = message_responses(ev)
    service = msgs.group_by(sc="channel").aggregate(rr=msgs.answered.cast("float64").mean())

    act = ev.filter(ev.person_id.notnull() & ev.action.isin(list(ACTIVE_ACTIONS)))
    pivot = (
        ibis.literal(as_of) if as_of is not None else (act.ts.max().as_scalar() - ibis.interval(days=days))
    )
    act = act.mutate(day=zone.local_day(act.ts), _pivot=pivot)
    before = act.filter((act.ts >= act._pivot - span) & (act.ts < act._pivot))
    core = before.group_by(["channel", "person_id"]).aggregate(n=before.day.nunique())
    core = core.filter(core.n >= core_min_days).select("channel", "person_id")
    after = act.filter((act.ts >= act._pivot) & (act.ts < act._pivot + span))
    after = after.select("channel", "person_id").distinct().mutate(_back=ibis.literal(1))
    kept = core.left_join(after, ["channel", "person_id"]).select(core.channel, back=after._back.notnull())
    kept = kept.group_by(kc="channel").aggregate(kept=kept.back.cast("int64").sum())
    # Retained core members as a share of everyone active before: a channel whose audience is
    # mostly one-off readers does not retain, however loyal its few regulars are.
    audience = before.group_by(ac="channel").aggregate(aud=before.person_id.nunique())
    retention = kept.join(audience, kept.kc == audience.ac).select(
        sc=kept.kc, cr=kept.kept.cast("float64") / audience.aud
    )

    out = base.left_join(service, base.channel == service.sc).select(base, reply_rate=service.rr)
    out = out.left_join(retention, out.channel == retention.sc).select(out, core_retention=retention.cr)
    return out.select(
        "channel",
        "events",
        "reach_per_post",
        "share_fanout",
        "one_to_one_share",
        "reply_rate",
        "core_retention",
        "orders_per_active",
        active_people=out._active.cast("int64"),
    ).order_by("channel")


# A channel whose best role score is below this (about a seventh of the strongest channel's level) plays
# no clear role; scores closer than TIE are tied.
MIN_ROLE_SCORE = 0.15
TIE = 0.02


def score_roles(metrics: pd.DataFrame) -> pd.DataFrame:
    """Normalized role scores and the role each channel plays, from :func:`channel_role_metrics`.

    Returns
    -------
    pandas.DataFrame
        ``channel, broadcast, service, retention, conversion, actual_role``
        (``actual_role`` is ``None`` for a channel that scores 0 on every role).
    """
    frame = metrics.set_index("channel")
    roles = list(vocab.CHANNEL_ROLES)
    scores = pd.DataFrame(index=frame.index)
    for role in roles:
        parts = []
        for metric in ROLE_METRICS[role]:
            col = pd.to_numeric(frame[metric], errors="coerce").astype(float).clip(lower=0)
            top = col.max()
            parts.append((col / top).fillna(0.0) if top and top > 0 else pd.Series(0.0, index=frame.index))
        scores[role] = sum(parts) / len(parts)
    values = scores[roles].to_numpy()
    top_score = scores[roles].max(axis=1)
    # Scores within TIE of the best count as ties, which go to the earlier role.
    best = (values >= values.max(axis=1, keepdims=True) - TIE).argmax(axis=1) if len(scores) else []
    scores["actual_role"] = [
        roles[i] if s >= MIN_ROLE_SCORE else None for i, s in zip(best, top_score, strict=True)
    ]
    scores["top_score"] = top_score
    return scores.reset_index()


@dataclass(frozen=True)
class ChannelRoles:
    """Role metrics and scores of every channel, and the role each should play (the product profile).

    Judging a gap between ``actual`` and ``expected`` is diagnosis: see the
    ``channel_roles`` rule in :mod:`canyu.plan`.
    """

    metrics: pd.DataFrame
    scores: pd.DataFrame
    expected: Mapping[str, str] = field(default_factory=dict)

    @property
    def actual(self) -> dict[str, str | None]:
        """The role each channel plays (None: no clear role)."""
        return {
            c: (r if isinstance(r, str) else None)
            for c, r in zip(self.scores.channel, self.scores.actual_role, strict=True)
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        scores = self.scores.copy()
        scores["planned"] = scores["channel"].map(self.expected)
        return {"scores": scores, "metrics": self.metrics}


def channel_roles(metrics: pd.DataFrame, *, expected: Mapping[str, str]) -> ChannelRoles:
    """Score the executed :func:`channel_role_metrics` and compare with ``expected``.

    Examples
    --------
    >>> m = ws.to_pandas(channel_role_metrics(ws.table("events")))          # doctest: +SKIP
    >>> roles = channel_roles(m, expected=ws.config.product.roles)          # doctest: +SKIP
    >>> roles.actual["weibo"]                                               # doctest: +SKIP
    'broadcast'
    """
    return ChannelRoles(metrics=metrics, scores=score_roles(metrics), expected=dict(expected))


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis("roles", title=("Channel roles", "渠道角色"))
def roles(session: AnalysisSession, *, days: int = 30) -> ChannelRoles:
    """Which role each channel plays (broadcast, service, retention, conversion) against the product profile."""
    _, hi = session.utc_bounds()
    metrics = session.to_pandas(
        channel_role_metrics(
            session.events_until_end(),
            content_stats=session.content_stats(),
            as_of=None if hi is None else hi - timedelta(days=days),
            days=days,
            conversion_actions=session.conversion_actions,
            zone=session.zone,
        )
    )
    return channel_roles(metrics, expected=session.config.product.roles)
