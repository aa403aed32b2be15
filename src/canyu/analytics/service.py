"""One-to-one service (一对一服务): how many user messages get a reply, and how fast.

Definitions
-----------
message
    An event with action ``message`` (a user writes to the brand).
reply
    An event with action ``reply`` (the brand writes to the user). Replies and
    messages are matched within one conversation: the same ``channel`` and
    ``user_id``.
answered
    A message is answered by the first reply in its conversation at or after
    it (several messages sent before one reply are all answered by it). With
    ``within`` set, the reply must come no later than ``within`` after the
    message.
response time
    Seconds from the message to that reply.

The first reply after each message is found with one window function
(a running minimum over the conversation's later events), not a join, so the
query stays linear in the number of events.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from canyu.analytics.calendar import Unit, Zone, period_date
from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["RESPONSE_BUCKETS", "message_responses", "service_levels"]

RESPONSE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("under_5m", 300.0),
    ("under_1h", 3600.0),
    ("under_24h", 86_400.0),
)
"""Upper bounds (seconds) of the response-time buckets; slower answers fall in ``later``."""


def message_responses(events: ir.Table, *, within: timedelta | None = None) -> ir.Table:
    """Each user message with the time of the reply that answered it.

    Returns
    -------
    ibis.Table
        ``event_id, channel, user_id, person_id, account_id, ts, reply_ts,
        response_seconds, answered``; ``reply_ts`` and ``response_seconds`` are null when unanswered.
    """
    conv = events.filter(events.action.isin(["message", "reply"]) & events.user_id.notnull())
    # Messages sort before replies at the same instant, so an instant reply answers them.
    conv = conv.mutate(
        _order=ibis.ifelse(conv.action == "message", 0, 1),
        _reply_ts=ibis.ifelse(conv.action == "reply", conv.ts, ibis.null("timestamp")),
    )
    later = ibis.window(
        group_by=["channel", "user_id"],
        order_by=[conv.ts, conv._order, conv.event_id],
        rows=(0, None),
    )
    conv = conv.mutate(reply_ts=conv._reply_ts.min().over(later))
    msgs = conv.filter(conv.action == "message")
    msgs = msgs.mutate(
        response_seconds=(msgs.reply_ts.epoch_seconds() - msgs.ts.epoch_seconds()).cast("float64")
    )
    if within is not None:
        late = msgs.response_seconds > within.total_seconds()
        msgs = msgs.mutate(
            reply_ts=ibis.ifelse(late, ibis.null("timestamp"), msgs.reply_ts),
            response_seconds=ibis.ifelse(late, ibis.null("float64"), msgs.response_seconds),
        )
    return msgs.select(
        "event_id",
        "channel",
        "user_id",
        "person_id",
        "account_id",
        "ts",
        "reply_ts",
        "response_seconds",
        answered=msgs.response_seconds.notnull(),
    )


def service_levels(
    events: ir.Table,
    *,
    within: timedelta | None = None,
    by_channel: bool = True,
    by_account: bool = False,
    period: Unit | None = None,
    zone: Zone,
) -> ir.Table:
    """Answer rate and response-time distribution of user messages.

    Parameters
    ----------
    events
        The ``events`` table.
    within
        A message counts as answered only if replied to within this time.
    by_channel
        One row per channel (default); ``False`` pools all channels.
    by_account
        Also one row per ``account_id`` (the brand account written to).
    period
        Also one row per local ``"day"``, ``"week"`` or ``"month"`` in which the
        message was sent (to follow the service level over time).
    zone
        The workspace's time zone (the analysis session's ``zone``).

    Returns
    -------
    ibis.Table
        ``[channel,] [account_id,] [period_index, period_start,] messages, answered,
        answer_rate, median_seconds, p90_seconds, under_5m, under_1h, under_24h,
        later, unanswered`` (the last five are shares of all messages and sum to 1).
        Percentiles interpolate linearly between the two nearest values.

    Examples
    --------
    >>> service_levels(ws.table("events"), within=timedelta(hours=24))  # doctest: +SKIP
    """
    m = message_responses(events, within=within)
    keys = (["channel"] if by_channel else []) + (["account_id"] if by_account else [])
    if period is not None:
        m = m.mutate(period_index=zone.period_index(m.ts, period))
        keys.append("period_index")
    secs = m.response_seconds
    buckets = {}
    lower = -1.0
    for name, upper in RESPONSE_BUCKETS:
        buckets[name] = ((secs > lower) & (secs <= upper)).sum().cast("float64") / m.count()
        lower = upper
    out = m.group_by(keys or [ibis.literal("all").name("_all")]).aggregate(
        messages=m.count().cast("int64"),
        answered=m.answered.sum().cast("int64"),
        median_seconds=secs.median(),
        p90_seconds=secs.quantile(0.9),
        **buckets,
        later=(secs > lower).sum().cast("float64") / m.count(),
        unanswered=secs.isnull().sum().cast("float64") / m.count(),
    )
    out = out.mutate(answer_rate=out.answered.cast("float64") / out.messages)
    cols = list(keys)
    if period is not None:
        out = out.mutate(period_start=period_date(out.period_index, period))
        cols.append("period_start")
    cols += ["messages", "answered", "answer_rate", "median_seconds", "p90_seconds"]
    cols += [name for name, _ in RESPONSE_BUCKETS] + ["later", "unanswered"]
    out = out.select(*cols)
    return out.order_by(keys) if keys else out


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis("service", title=("One-to-one service", "一对一服务"))
def service(session: AnalysisSession, *, by_account: bool = False) -> pd.DataFrame:
    """Per channel: messages, answered share and response times (median, p90)."""
    return session.to_pandas(service_levels(session.events(), by_account=by_account, zone=session.zone))
