"""Participation nodes and interaction design (参与节点与互动方式): who took part, and what it changed.

Each row of ``campaigns`` (kind ``participation_node``, ``interaction``,
``wom_event`` or ``launch``) is measured against the events.

Definitions (for a campaign with start ``S``)
----------------------------------------------
participant
    A person with an active event (see :mod:`canyu.analytics.activity`)
    carrying the campaign's ``campaign_id``.
window
    ``pre = [S - days, S)`` and ``post = [S, S + days)``.
audience
    Participants plus everyone active (on any channel) in ``pre`` or ``post``;
    ``participation_rate = participants / audience``.
matched groups
    To compare like with like, the lift is measured on people who were already
    active in ``pre``: participants (``part_*``) against non-participants of the
    audience (``other_*``). People new in ``post`` are counted as participants
    but not in the lift.
activity
    Mean number of distinct local active days per person in ``pre`` and ``post``.
conversion
    Share of the group with at least one conversion event in ``pre`` / ``post``.
lift
    Difference in differences: ``(part_post - part_pre) - (other_post - other_pre)``,
    for active days (``activity_lift``) and conversion share (``conversion_lift``).
    A positive lift says participants gained more than comparable people who did
    not take part over the same days; it is an observational estimate, not a
    randomized one (people who join campaigns may be keener to begin with).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["campaign_participation", "interaction_effects"]


def campaign_participation(
    events: ir.Table,
    campaigns: ir.Table,
    *,
    days: int = 14,
    kinds: Sequence[str] | None = None,
    conversion_actions: Sequence[str],
    zone: Zone,
) -> ir.Table:
    """Participants, participation rate and the lift in activity and conversion per campaign.

    Parameters
    ----------
    events, campaigns
        The ``events`` and ``campaigns`` tables.
    days
        Length of the ``pre`` and ``post`` windows.
    kinds
        Only campaigns of these kinds (default all).
    conversion_actions
        What counts as a conversion.
    zone
        The workspace's time zone (the analysis session's ``zone``).

    Returns
    -------
    ibis.Table
        ``campaign_id, name, kind, starts, participants, audience, participation_rate,
        matched_participants, matched_others, part_days_pre, part_days_post,
        other_days_pre, other_days_post, activity_lift, part_conv_pre, part_conv_post,
        other_conv_pre, other_conv_post, conversion_lift``.

    Examples
    --------
    >>> campaign_participation(ws.table("events"), ws.table("campaigns"), days=14)  # doctest: +SKIP
    """
    span = timedelta(days=days)
    camp = campaigns.filter(campaigns.starts.notnull())
    if kinds is not None:
        camp = camp.filter(camp.kind.isin(list(kinds)))
    camp = camp.select("campaign_id", "name", "kind", S="starts")
    ev = events.filter(events.person_id.notnull())
    acts = list(dict.fromkeys([*ACTIVE_ACTIONS, *conversion_actions]))
    ev = ev.filter(ev.action.isin(acts))

    tagged = ev.filter(ev.campaign_id.notnull() & ev.action.isin(list(ACTIVE_ACTIONS)))
    part = tagged.select(pc="campaign_id", pid="person_id").distinct()

    near = camp.join(ev, [ev.ts >= camp.S - span, ev.ts < camp.S + span]).select(
        camp.campaign_id,
        camp.S,
        pid=ev.person_id,
        ts=ev.ts,
        action=ev.action,
    )
    near = near.mutate(
        day=zone.local_day(near.ts),
        pre=near.ts < near.S,
        conv=near.action.isin(list(conversion_actions)),
        act=near.action.isin(list(ACTIVE_ACTIONS)),
    )
    per = near.group_by(["campaign_id", "pid"]).aggregate(
        days_pre=near.day.nunique(where=near.pre & near.act).cast("int64"),
        days_post=near.day.nunique(where=~near.pre & near.act).cast("int64"),
        conv_pre=(near.pre & near.conv).cast("int64").max(),
        conv_post=(~near.pre & near.conv).cast("int64").max(),
    )
    # Everyone in the audience: active near the start, or a participant.
    people = per.select(c="campaign_id", p="pid").union(part.select(c="pc", p="pid")).distinct()
    people = people.left_join(part, [people.c == part.pc, people.p == part.pid]).select(
        people.c, people.p, is_part=part.pid.notnull()
    )
    people = people.left_join(per, [people.c == per.campaign_id, people.p == per.pid]).select(
        people.c,
        people.is_part,
        days_pre=per.days_pre.fill_null(0),
        days_post=per.days_post.fill_null(0),
        conv_pre=per.conv_pre.fill_null(0),
        conv_post=per.conv_post.fill_null(0),
    )
    m = people.days_pre > 0

    def mean(col: ir.NumericValue, part_flag: bool) -> ir.FloatingValue:
        sel = m & (people.is_part if part_flag else ~people.is_part)
        return col.cast("float64").mean(where=sel)

    stats = people.group_by("c").aggregate(
        participants=people.is_part.sum().cast("int64"),
        audience=people.count().cast("int64"),
        matched_participants=(m & people.is_part).sum().cast("int64"),
        matched_others=(m & ~people.is_part).sum().cast("int64"),
        part_days_pre=mean(people.days_pre, True),
        part_days_post=mean(people.days_post, True),
        other_days_pre=mean(people.days_pre, False),
        other_days_post=mean(people.days_post, False),
        part_conv_pre=mean(people.conv_pre, True),
        part_conv_post=mean(people.conv_post, True),
        other_conv_pre=mean(people.conv_pre, False),
        other_conv_post=mean(people.conv_post, False),
    )
    out = camp.left_join(stats, camp.campaign_id == stats.c).select(
        camp.campaign_id,
        camp.name,
        camp.kind,
        starts=camp.S,
        participants=stats.participants.fill_null(0),
        audience=stats.audience.fill_null(0),
        **{c: stats[c] for c in stats.columns if c not in ("c", "participants", "audience")},
    )
    out = out.mutate(
        participation_rate=ibis.ifelse(
            out.audience > 0, out.participants.cast("float64") / out.audience, ibis.null("float64")
        ),
        activity_lift=(out.part_days_post - out.part_days_pre) - (out.other_days_post - out.other_days_pre),
        conversion_lift=(out.part_conv_post - out.part_conv_pre) - (out.other_conv_post - out.other_conv_pre),
    )
    cols = ["campaign_id", "name", "kind", "starts", "participants", "audience", "participation_rate"]
    cols += ["matched_participants", "matched_others"]
    cols += ["part_days_pre", "part_days_post", "other_days_pre", "other_days_post", "activity_lift"]
    cols += ["part_conv_pre", "part_conv_post", "other_conv_pre", "other_conv_post", "conversion_lift"]
    return out.select(*cols).order_by(["starts", "campaign_id"])


def interaction_effects(participation: ir.Table) -> ir.Table:
    """Campaign results by kind (interaction type), from :func:`campaign_participation`.

    Rates are pooled (participants over audience, summed over the kind's
    campaigns); lifts are averaged with the matched participants as weights.

    Returns
    -------
    ibis.Table
        ``kind, campaigns, participants, audience, participation_rate,
        activity_lift, conversion_lift``, highest activity lift first.
    """
    p = participation
    w = p.matched_participants.cast("float64")
    ok = p.activity_lift.notnull() & (p.matched_participants > 0)
    okc = p.conversion_lift.notnull() & (p.matched_participants > 0)
    out = p.group_by("kind").aggregate(
        campaigns=p.count().cast("int64"),
        participants=p.participants.sum().cast("int64"),
        audience=p.audience.sum().cast("int64"),
        _a=(p.activity_lift * w).sum(where=ok),
        _aw=w.sum(where=ok),
        _c=(p.conversion_lift * w).sum(where=okc),
        _cw=w.sum(where=okc),
    )
    out = out.mutate(
        participation_rate=ibis.ifelse(
            out.audience > 0, out.participants.cast("float64") / out.audience, ibis.null("float64")
        ),
        activity_lift=out._a / out._aw,
        conversion_lift=out._c / out._cw,
    )
    return out.select(
        "kind",
        "campaigns",
        "participants",
        "audience",
        "participation_rate",
        "activity_lift",
        "conversion_lift",
    ).order_by(ibis.desc("activity_lift"))


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis("campaigns", title=("Campaign participation", "活动参与"))
def campaigns(session: AnalysisSession, *, days: int = 14) -> pd.DataFrame:
    """Per campaign: participants against comparable non-participants, activity and conversion lift."""
    return session.to_pandas(
        campaign_participation(
            session.events(),
            session.table("campaigns"),
            days=days,
            conversion_actions=session.conversion_actions,
            zone=session.zone,
        )
    )
