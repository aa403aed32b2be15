"""Continuing a simulated world under a plan's levers (the closed loop).

The same people, graphs and state (followers, community members, touches, adstocked spend, the agenda
process) carry over from the world's last day; the plan's levers (:class:`canyu.plan.levers.Levers`)
replace the brand's operating settings for the new days. Every day draws from generators seeded by the
world and the day (:class:`canyu.simulate._engine.Engine`), so two continuations of one world under two
plans use the same random numbers (common random numbers): their difference is the levers'.

Lever → engine:

``posts_per_day``       the channel's brand posts per day (Poisson mean)
``spend_per_day``       the channel's always-on paid spend per day (yuan), through its adstock and curve; when
                        given, it is the whole split: a channel it leaves out spends nothing
``topic_mix``           the brand's own editorial topic weights (campaign topics still added on top)
``seeds``               the account (mapped back to its simulated person) shares the channel's latest post
                        on its start day, starting a cascade over the true graph
``reply_minutes/rate``  the channel's median reply time and answer rate (an answer raises the purchase
                        hazard for 7 days by the channel's effect times exp(-minutes / 240))
``campaigns``           dated campaigns on the channel: participation nodes and interactions lift the
                        activity of those who engage, word-of-mouth events double share probabilities
                        and sell at their discount (none unless given; the first period's own event sold
                        at 10% off), promotions raise the purchase hazard by 2 x discount and cut prices
                        by it; a campaign's budget is paid spend on its channel over its dates
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from canyu.errors import InvalidArgumentError
from canyu.simulate._engine import ACTIONS, DAY, Simulation
from canyu.simulate._ids import PREFIX, ChannelIds
from canyu.simulate._text import TOPICS
from canyu.simulate._world import CHANNELS, SOCIAL

__all__ = ["ArmOutcome", "apply_levers", "continue_run", "outcome", "seed_people"]

_KINDS = {
    "participation_node": ("participation_node", "粉丝活动"),
    "interaction": ("interaction", "粉丝活动"),
    "word_of_mouth": ("wom_event", "产品体验"),
    "promotion": ("promotion", "价格优惠"),
}
_A = {a: i for i, a in enumerate(ACTIONS)}
#: the channels where people buy: a plan's hit promotion there features its product in the shop
SHOPS = ("ecommerce", "mini_program")


def seed_people(ids: ChannelIds, channel: str, account: str) -> int | None:
    """The simulated person behind a stored account id (``wb10023817``), or None if it is nobody's."""
    prefix = PREFIX[channel]
    if not account.startswith(prefix) or not account[len(prefix) :].isdigit():
        return None
    number = int(account[len(prefix) :])
    row = ids.numbers[CHANNELS.index(channel)]
    hit = np.flatnonzero(row == number)
    return int(hit[0]) if len(hit) else None


def apply_levers(sim: Simulation, levers: Any, *, days: int, start: dt.date, ids: ChannelIds) -> Any:
    """A copy of the world's engine state with the levers set for the ``days`` after its last day.

    Returns the engine, ready to step; ``engine.ignored`` lists levers the simulator has no channel for.
    """
    state = sim.state
    if state is None:
        raise InvalidArgumentError("simulation", "a simulation without its engine state", "one from run()")
    eng = copy.deepcopy(state, memo={id(state.world): state.world, id(state.scenario): state.scenario})
    first = eng.day
    ignored: list[str] = []
    channels = dict(eng.channels)
    for lever, attr in (
        ("posts_per_day", "posts_per_day"),
        ("reply_minutes", "reply_minutes"),
        ("reply_rate", "reply_rate"),
    ):
        for ch, value in getattr(levers, lever).items():
            if ch not in channels:
                ignored.append(f"{lever}.{ch}")
                continue
            if attr == "reply_minutes":
                value = max(float(value), 1.0)
            channels[ch] = replace(channels[ch], **{attr: float(value)})
    eng.channels = channels
    if levers.spend_per_day:
        # the plan's split is the whole always-on budget: a channel it leaves out gets no spend (keeping the
        # scenario's spend there would spend money the plan moved elsewhere a second time)
        always = dict.fromkeys(SOCIAL, 0.0)
        for ch, value in levers.spend_per_day.items():
            if ch not in always:
                ignored.append(f"spend_per_day.{ch}")
                continue
            always[ch] = float(value)
        eng.always_on = always
    mix = None
    if levers.topic_mix:
        unknown = [t for t in levers.topic_mix if t not in TOPICS]
        if unknown:
            raise InvalidArgumentError("levers.topic_mix", unknown[0], TOPICS)
        mix = np.array([float(levers.topic_mix.get(t, 0.0)) for t in TOPICS])
    first_campaign = len(eng.campaigns)
    for c in levers.campaigns:
        lo, hi = (c.start - start).days, (c.end - start).days
        lo, hi = max(lo, first), min(hi, first + days - 1)
        if hi < lo:
            ignored.append(f"campaigns.{c.key} (outside the period)")
            continue
        if c.channel in SHOPS and c.kind == "promotion" and c.key.startswith("hit:"):
            # a hit promotion in the shop: features the product its key names (hit:<product_id>)
            names = eng.world.product_names
            product = c.key[len("hit:") :]
            if product in names:
                eng.featured.append((lo, hi, names.index(product), float(c.discount)))
                continue
            ignored.append(f"campaigns.{c.key} (no product {product})")
            continue
        if c.channel not in SOCIAL:
            ignored.append(f"campaigns.{c.key} (channel {c.channel})")
            continue
        kind, topic = _KINDS[c.kind]
        eng.campaigns.append(
            {
                "campaign_id": c.key,
                "name": c.key,
                "kind": kind,
                "start": lo,
                "end": hi,
                "channels": (c.channel,),
                "topic": TOPICS.index(topic),
                "budget": float(c.budget),
                "discount": float(c.discount),
                # what the plan's event sells at: its own discount (the first period's word-of-mouth
                # event gave 10% off; a plan's gives the cut its lever names, none by default)
                "price_cut": float(c.discount),
            }
        )
    eng.seeds = {}
    for s in levers.seeds:
        person = seed_people(ids, s.channel, s.account) if s.channel in SOCIAL else None
        if person is None:
            ignored.append(f"seeds.{s.channel}.{s.account}")
            continue
        day = first if s.start is None else min(max((s.start - start).days, first), first + days - 1)
        eng.seeds.setdefault(day, []).append((s.channel, person))
    eng.agenda.extend(eng.rng(first, 4), days, eng.campaigns[first_campaign:], first, mix)
    eng.ignored = ignored
    eng.first = (eng.log.n, len(eng.posts), eng.mentions.n, first_campaign)
    return eng


def continue_run(sim: Simulation, levers: Any, *, days: int, start: dt.date, ids: ChannelIds) -> Simulation:
    """Continue ``sim``'s world for ``days`` under ``levers``; the result holds the whole log, its period first.

    ``start`` is the date of the world's day 0, ``ids`` the world's account ids (to map seeds to people).
    """
    if days < 1:
        raise InvalidArgumentError("days", days, ">= 1")
    eng = apply_levers(sim, levers, days=days, start=start, ids=ids)
    first = eng.day
    for _ in range(days):
        eng.step()
    out = eng.simulation(start_day=first, first=eng.first)
    return out


@dataclass(frozen=True)
class ArmOutcome:
    """What a period under a plan produced: orders (purchases) and their revenue, people active, spend."""

    conversions: int
    revenue: float
    active_people: int
    spend: float
    paid_exposures: int
    expected_conversions: float = float("nan")  # the sum of the period's purchase probabilities (truth)
    # the sum of those probabilities x an order's expected value (truth)
    expected_revenue: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversions": self.conversions,
            "revenue": round(self.revenue, 2),
            "active_people": self.active_people,
            "spend": round(self.spend, 2),
            "paid_exposures": self.paid_exposures,
            "expected_conversions": round(self.expected_conversions, 4),
            "expected_revenue": round(self.expected_revenue, 2),
        }


def outcome(sim: Simulation) -> ArmOutcome:
    """The continuation period's outcome (the days from ``sim.start_day``), counted on the simulator's log.

    Conversions count purchases (orders) in the period, revenue their paid value (refunds not deducted);
    active people are those with any action but an exposure or a brand reply in the period; expected
    conversions are the sum of the period's daily purchase probabilities (the simulator's own
    expectation of the orders, without the purchase draws' noise), expected revenue that sum with each
    day's probabilities times the expected value of an order that day (the products' appeal-weighted mean
    price at the day's price cut and discount; who buys does not change which product).
    """
    cols = sim.log.columns()
    lo = sim.start_day * DAY
    hi = sim.days * DAY
    t, act = cols["t"], cols["act"]
    rows = np.flatnonzero((t >= lo) & (t < hi))
    a = act[rows]
    buy = rows[a == _A["purchase"]]
    active = rows[(a != _A["expose"]) & (a != _A["reply"])]
    return ArmOutcome(
        conversions=len(buy),
        revenue=float(np.nansum(cols["value"][buy])),
        active_people=len(np.unique(cols["person"][active])),
        spend=float(sim.spend[sim.start_day :].sum()),
        paid_exposures=int(sim.paid_impressions[sim.start_day :].sum()),
        expected_conversions=float(sum(getattr(sim.state, "expected", [])[sim.start_day :]))
        if sim.state is not None
        else float("nan"),
        expected_revenue=float(sum(getattr(sim.state, "expected_revenue", [])[sim.start_day :]))
        if sim.state is not None
        else float("nan"),
    )
