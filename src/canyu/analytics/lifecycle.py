"""Fan lifecycle (粉丝生命周期): each person's stage as of a date, and transitions between two dates.

Stages, lowest first (:data:`STAGES`), judged on the events strictly before ``as_of``:

``exposed``
    The person has any event at all (an impression is enough).
``engaged``
    At least one interaction: ``like``, ``comment``, ``collect``, ``share`` or ``message``.
``follower``
    Follows the brand on at least one channel: on that channel their latest
    ``follow``/``unfollow`` event is a ``follow``.
``active_fan``
    A follower who was active (see :mod:`canyu.analytics.activity`) on at least
    ``active_days`` distinct local days in the ``window_days`` days before ``as_of``.
``core_fan``
    A follower who posted in, or is a member of, a community channel (``forum``,
    ``wecom``: latest ``join``/``leave`` there is a ``join``), or who has made at
    least ``core_interactions`` interactions.
``advocate``
    Another person acted (any active action) on an event whose
    ``parent_user_id`` names this person's user id on that channel: their
    shares led others to act.

The stage is the highest rung whose own condition holds, so an advocate who
never followed is still an advocate (word of mouth does not need a follow).
People with no event before ``as_of`` have stage ``none``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from canyu.analytics.activity import ACTIVE_ACTIONS
from canyu.analytics.calendar import Zone
from canyu.analytics.community import COMMUNITY_CHANNELS
from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["ENGAGE_ACTIONS", "STAGES", "fan_stages", "stage_transitions"]

STAGES: tuple[str, ...] = ("none", "exposed", "engaged", "follower", "active_fan", "core_fan", "advocate")
ENGAGE_ACTIONS: tuple[str, ...] = ("like", "comment", "collect", "share", "message")


def _net_state(ev: ir.Table, on: str, off: str) -> ir.Table:
    """Per person: True when on some channel the latest ``on``/``off`` event is ``on``."""
    pair = ev.filter(ev.action.isin([on, off]))
    per_channel = pair.group_by(["person_id", "channel"]).aggregate(
        last_on=pair.ts.max(where=pair.action == on),
        last_off=pair.ts.max(where=pair.action == off),
    )
    state = per_channel.last_on.notnull() & (
        per_channel.last_off.isnull() | (per_channel.last_on > per_channel.last_off)
    )
    per_channel = per_channel.mutate(state=state.cast("int64"))
    return per_channel.group_by("person_id").aggregate(flag=per_channel.state.max() > 0)


def fan_stages(
    events: ir.Table,
    *,
    as_of: datetime,
    active_days: int = 3,
    window_days: int = 30,
    core_interactions: int = 10,
    community_channels: Sequence[str] = COMMUNITY_CHANNELS,
    zone: Zone,
) -> ir.Table:
    """Each person's fan stage as of ``as_of`` (a UTC time; see the module docstring).

    Returns
    -------
    ibis.Table
        ``person_id, interactions, active_days, led, exposed, engaged, follower,
        active_fan, core_fan, advocate, stage, stage_rank`` (``stage_rank`` is the
        index in :data:`STAGES`).

    Examples
    --------
    >>> fan_stages(ws.table("events"), as_of=datetime(2026, 10, 1))  # doctest: +SKIP
    """
    ev = events.filter(events.person_id.notnull() & (events.ts < as_of))
    base = ev.group_by("person_id").aggregate(
        interactions=ev.action.isin(list(ENGAGE_ACTIONS)).sum().cast("int64"),
        posted=(ev.action.isin(["post"]) & ev.channel.isin(list(community_channels))).sum() > 0,
    )
    recent = ev.filter(ev.action.isin(list(ACTIVE_ACTIONS)) & (ev.ts >= as_of - timedelta(days=window_days)))
    recent = recent.group_by("person_id").aggregate(days=zone.local_day(recent.ts).nunique().cast("int64"))
    following = _net_state(ev, "follow", "unfollow")
    member = _net_state(ev.filter(ev.channel.isin(list(community_channels))), "join", "leave")
    # Who a parent_user_id is: (channel, user_id) -> person_id, from all events.
    who = (
        events.filter(events.person_id.notnull())
        .select(channel="channel", parent_user_id="user_id", parent_person="person_id")
        .distinct()
    )
    led = ev.filter(ev.parent_user_id.notnull() & ev.action.isin(list(ACTIVE_ACTIONS)))
    led = led.join(who, ["channel", "parent_user_id"])
    led = led.filter(led.parent_person != led.person_id)
    led = led.group_by("parent_person").aggregate(led=led.person_id.nunique().cast("int64"))

    t = base.left_join(recent, "person_id").select(base, active_days=recent.days.fill_null(0))
    t = t.left_join(following, "person_id").select(t, follower=following.flag.fill_null(False))
    t = t.left_join(member, "person_id").select(t, member=member.flag.fill_null(False))
    t = t.left_join(led, t.person_id == led.parent_person).select(t, led=led.led.fill_null(0))
    t = t.mutate(
        exposed=ibis.literal(True),
        engaged=t.interactions > 0,
        active_fan=t.follower & (t.active_days >= active_days),
        core_fan=t.follower & (t.posted | t.member | (t.interactions >= core_interactions)),
        advocate=t.led > 0,
    )
    rank = ibis.cases(
        (t.advocate, 6),
        (t.core_fan, 5),
        (t.active_fan, 4),
        (t.follower, 3),
        (t.engaged, 2),
        else_=1,
    ).cast("int64")
    t = t.mutate(stage_rank=rank)
    stage = ibis.cases(*[(t.stage_rank == i, name) for i, name in enumerate(STAGES)], else_="none")
    return t.select(
        "person_id",
        "interactions",
        "active_days",
        "led",
        "exposed",
        "engaged",
        "follower",
        "active_fan",
        "core_fan",
        "advocate",
        stage=stage,
        stage_rank="stage_rank",
    ).order_by("person_id")


def stage_transitions(
    events: ir.Table,
    *,
    start: datetime,
    end: datetime,
    active_days: int = 3,
    window_days: int = 30,
    core_interactions: int = 10,
    community_channels: Sequence[str] = COMMUNITY_CHANNELS,
    zone: Zone,
) -> ir.Table:
    """How many people moved from each stage at ``start`` to each stage at ``end``.

    Returns
    -------
    ibis.Table
        ``from_stage, to_stage, people, rate`` where ``rate`` is the share of the
        ``from_stage`` people (those with stage ``none`` at ``start`` included)
        who are in ``to_stage`` at ``end``.
    """
    if end <= start:
        raise InvalidArgumentError("end", end, f"after start {start}")
    stages = functools.partial(
        fan_stages,
        events,
        active_days=active_days,
        window_days=window_days,
        core_interactions=core_interactions,
        community_channels=community_channels,
        zone=zone,
    )
    a = stages(as_of=start).select("person_id", r0="stage_rank")
    b = stages(as_of=end).select(pid="person_id", r1="stage_rank")
    j = b.left_join(a, b.pid == a.person_id).select(r0=a.r0.fill_null(0), r1=b.r1)
    counts = j.group_by(["r0", "r1"]).aggregate(people=ibis._.count().cast("int64"))
    total = counts.people.sum().over(ibis.window(group_by="r0"))
    counts = counts.mutate(rate=counts.people.cast("float64") / total)
    names = dict(enumerate(STAGES))
    return (
        counts.select(
            from_stage=counts.r0.cases(*names.items(), else_="none"),
            to_stage=counts.r1.cases(*names.items(), else_="none"),
            people="people",
            rate="rate",
            _r0="r0",
            _r1="r1",
        )
        .order_by(["_r0", "_r1"])
        .drop("_r0", "_r1")
    )


# -- workspace-level analyses ------------------------------------------------------------
def _as_of(session: AnalysisSession) -> datetime | None:
    """The end of the session's period (or just after its last event) as a naive UTC instant."""
    _, hi = session.utc_bounds()
    if hi is not None:
        return hi
    _, last = session.data_bounds()
    return None if last is None else last + timedelta(seconds=1)


@register_analysis("lifecycle", title=("Fan lifecycle", "粉丝生命周期"))
def lifecycle(session: AnalysisSession, *, active_days: int = 3, window_days: int = 30) -> pd.DataFrame:
    """People per fan stage (exposed → engaged → follower → active fan → core fan → advocate) at the period's end."""
    import pandas as pd

    as_of = _as_of(session)
    if as_of is None:
        return pd.DataFrame({"stage": list(STAGES[1:]), "people": 0, "share": 0.0})
    stages = fan_stages(
        session.events_until_end(),
        as_of=as_of,
        active_days=active_days,
        window_days=window_days,
        zone=session.zone,
    )
    counts = session.to_pandas(stages.group_by("stage").aggregate(people=stages.count()))
    found = dict(zip(counts["stage"], counts["people"], strict=True))
    out = pd.DataFrame({"stage": list(STAGES[1:])})
    out["people"] = [int(found.get(s, 0)) for s in out["stage"]]
    total = int(out["people"].sum())
    out["share"] = out["people"] / total if total else 0.0
    out["of_people"] = total
    return out
