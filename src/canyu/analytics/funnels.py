"""Conversion funnels (转化漏斗): ordered steps, windows, exclusions, breakdowns, time to convert.

Definitions
-----------
step
    A :class:`FunnelStep`: an ``action``, optionally restricted to a
    ``channel``, optionally with its own window ``within`` (a
    :class:`datetime.timedelta` from the previous step).
entry
    A person enters the funnel at their *first* event matching step 1
    (ties broken by ``event_id``); ``t1`` is its time. Only that entry is
    followed (no re-entry), as in Mixpanel's default "first" funnels.
reaching step k (k > 1)
    ``t_k`` is the earliest event matching step ``k`` with
    ``t_{k-1} <= t_k <= t1 + window`` and, when the step has ``within``,
    ``t_k <= t_{k-1} + within``. A person reaches step ``k`` only if they
    reached step ``k - 1``. When step ``k`` repeats step ``k - 1`` (same action
    and channel), ``t_k > t_{k-1}`` strictly, so one event fills one step.
exclusion
    An :class:`Exclusion` ``(action, channel, after, before)``: a person with
    a matching event strictly between ``t_after`` and ``t_before`` is counted
    as having stopped at step ``after`` (steps are 1-based; ``before``
    defaults to ``after + 1``).
breakdown
    ``"channel"`` or ``"campaign"`` of the entry event, or ``"first_touch"``:
    the channel of the person's first event of any action.
time to convert
    ``t_k - t1`` in seconds; the result reports its median per step.

All of it is built from joins and aggregates on the engine (one join per step
and exclusion), never a Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import ibis
import ibis.expr.types as ir

from canyu.analytics.activity import earliest
from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["BREAKDOWNS", "Exclusion", "FunnelStep", "funnel"]

Breakdown = Literal["channel", "campaign", "first_touch"]
BREAKDOWNS: tuple[str, ...] = ("channel", "campaign", "first_touch")


@dataclass(frozen=True)
class FunnelStep:
    """One step: an action, optionally on one channel, optionally within a time of the previous step."""

    action: str
    channel: str | None = None
    within: timedelta | None = None
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or (f"{self.channel}:{self.action}" if self.channel else self.action)


@dataclass(frozen=True)
class Exclusion:
    """Drop people who do ``action`` (on ``channel``) between steps ``after`` and ``before`` (1-based)."""

    action: str
    after: int
    before: int | None = None
    channel: str | None = None


def _as_step(step: FunnelStep | str | tuple[str, str]) -> FunnelStep:
    if isinstance(step, FunnelStep):
        return step
    if isinstance(step, str):
        return FunnelStep(step)
    channel, action = step
    return FunnelStep(action, channel)


def _matching(events: ir.Table, action: str, channel: str | None) -> ir.Table:
    cond = events.action == action
    if channel is not None:
        cond &= events.channel == channel
    return events.filter(cond & events.person_id.notnull())


def _seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    return ts.epoch_seconds().cast("int64")


def funnel(
    events: ir.Table,
    steps: Sequence[FunnelStep | str | tuple[str, str]],
    *,
    window: timedelta = timedelta(days=7),
    exclusions: Sequence[Exclusion] = (),
    breakdown: Breakdown | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> ir.Table:
    """People reaching each step of an ordered funnel.

    Parameters
    ----------
    events
        The ``events`` table.
    steps
        :class:`FunnelStep` objects, action names, or ``(channel, action)`` pairs.
    window
        The conversion window from step 1 to the last step.
    exclusions
        :class:`Exclusion` rules.
    breakdown
        ``"channel"``, ``"campaign"`` (of the entry event), ``"first_touch"`` or ``None``.
    start, end
        Only entries with ``start <= t1 < end`` (UTC timestamps) are counted.

    Returns
    -------
    ibis.Table
        ``[breakdown,] step, label, people, rate_from_start, rate_from_previous,
        median_seconds`` with one row per (breakdown value and) step; step 1 has
        ``rate_from_previous = 1`` and ``median_seconds = 0``.

    Examples
    --------
    >>> funnel(ws.table("events"), ["view", "click", ("ecommerce", "purchase")],
    ...        window=timedelta(days=3), breakdown="channel")  # doctest: +SKIP
    """
    if len(steps) < 2:
        raise InvalidArgumentError(
            "steps",
            len(steps),
            ">= 2 steps",
            reason="a funnel needs at least two steps",
            reason_zh="漏斗至少需要两个步骤",
        )
    if breakdown is not None and breakdown not in BREAKDOWNS:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("breakdown", breakdown, BREAKDOWNS)
    fsteps = [_as_step(s) for s in steps]
    for ex in exclusions:
        before = ex.before or ex.after + 1
        if not 1 <= ex.after < before <= len(fsteps):
            raise InvalidArgumentError("exclusions", ex, f"steps 1..{len(fsteps)} with after < before")

    ev = events.filter(events.person_id.notnull())
    # Step 1: each person's first matching event.
    first = _matching(ev, fsteps[0].action, fsteps[0].channel)
    if start is not None:
        first = first.filter(first.ts >= start)
    if end is not None:
        first = first.filter(first.ts < end)
    entry_column = {"channel": "channel", "campaign": "campaign_id"}.get(breakdown or "")
    first = earliest(first, ["person_id"], [entry_column] if entry_column else [])
    people = first.select(
        "person_id",
        t1=_seconds(first.ts),
        bd=(first[entry_column] if entry_column else ibis.null("string")).cast("string"),
    )
    if breakdown == "first_touch":
        touch = earliest(ev, ["person_id"], ["channel"])
        people = people.left_join(touch, "person_id").select(people.person_id, people.t1, bd=touch.channel)
    people = people.mutate(t_1=people.t1)
    limit = int(window.total_seconds())

    for k, step in enumerate(fsteps[1:], start=2):
        cand = _matching(ev, step.action, step.channel).select("person_id", s=_seconds(ibis._.ts))
        joined = people.join(cand, "person_id")
        prev_step = fsteps[k - 2]
        if (prev_step.action, prev_step.channel) == (step.action, step.channel):
            # A repeated step needs a later event: one event cannot fill two steps.
            after = joined.s > joined[f"t_{k - 1}"]
        else:
            after = joined.s >= joined[f"t_{k - 1}"]
        cond = after & (joined.s <= joined.t1 + limit)
        if step.within is not None:
            cond &= joined.s <= joined[f"t_{k - 1}"] + int(step.within.total_seconds())
        reached = (
            joined.filter(cond & joined[f"t_{k - 1}"].notnull())
            .group_by("person_id")
            .aggregate(_t=ibis._.s.min())
        )
        people = people.left_join(reached, "person_id").select(
            *[people[c] for c in people.columns], **{f"t_{k}": reached._t}
        )
        for ex in exclusions:
            if (ex.before or ex.after + 1) != k:
                continue
            bad = _matching(ev, ex.action, ex.channel).select("person_id", x=_seconds(ibis._.ts))
            j = people.join(bad, "person_id")
            hit = (
                j.filter((j.x > j[f"t_{ex.after}"]) & (j.x < j[f"t_{k}"]))
                .select("person_id")
                .distinct()
                .mutate(_excluded=ibis.literal(True))
            )
            people = people.left_join(hit, "person_id").select(
                *[people[c] for c in people.columns if c != f"t_{k}"],
                **{f"t_{k}": ibis.ifelse(hit._excluded.notnull(), ibis.null("int64"), people[f"t_{k}"])},
            )

    keys = ["bd"] if breakdown else ["_all"]
    if not breakdown:
        people = people.mutate(_all=ibis.literal(1))
    agg = people.group_by(keys).aggregate(
        **{f"n{k}": people[f"t_{k}"].count().cast("int64") for k in range(1, len(fsteps) + 1)},
        **{
            f"m{k}": (people[f"t_{k}"] - people.t1).cast("float64").median()
            for k in range(1, len(fsteps) + 1)
        },
    )
    parts = [
        agg.select(
            *keys,
            step=ibis.literal(k, type="int64"),
            label=ibis.literal(step.name),
            people=agg[f"n{k}"],
            rate_from_start=agg[f"n{k}"].cast("float64") / agg.n1,
            rate_from_previous=agg[f"n{k}"].cast("float64") / agg[f"n{max(k - 1, 1)}"],
            median_seconds=agg[f"m{k}"],
        )
        for k, step in enumerate(fsteps, start=1)
    ]
    out = ibis.union(*parts)
    out = out.rename({breakdown: "bd"}) if breakdown else out.drop("_all")
    return out.order_by([*([breakdown] if breakdown else []), "step"])


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis("funnels", title=("Conversion funnel", "转化漏斗"))
def funnels(
    session: AnalysisSession,
    *,
    steps: tuple[str, ...] = (),
    window_days: int = 14,
    breakdown: str | None = None,
) -> pd.DataFrame:
    """People reaching each step in order within ``window_days`` of the first (default view → follow → conversion)."""
    chosen = list(steps) or ["view", "follow", session.conversion_actions[0]]
    if window_days < 1:
        from canyu.errors import InvalidArgumentError

        raise InvalidArgumentError("window_days", window_days, ">= 1")
    return session.to_pandas(
        funnel(
            session.events(),
            chosen,
            window=timedelta(days=window_days),
            breakdown=breakdown,  # type: ignore[arg-type]
        )
    )
