"""A plan's levers: the operating settings a plan asks for, in one documented, versioned schema.

The plan (:mod:`canyu.plan`) writes them into ``plan.json`` under ``"levers"``; the simulator's
continuation (``canyu simulate DIR --continue --plan plan.json``) runs a world under them; ``canyu
plan track`` compares what was done against them. The schema is ``canyu.levers/1`` and is documented
in ``docs/plan.md``. All money is in the workspace's currency (yuan by default); every per-channel
map is keyed by channel code (:data:`canyu.vocab.CHANNELS`).

Fields
------
posts_per_day
    Brand posts per day per channel (articles, videos, notes, threads, group messages).
spend_per_day
    Paid promotion per day per channel, over the plan's period.
topic_mix
    Share of the brand's own content per topic (sums to 1 when given).
seeds
    Accounts to engage for a word-of-mouth event: channel, account id as stored, fee, and the day
    (ISO date, within the period) the seeding starts.
reply_minutes, reply_rate
    Service targets per channel: median first-reply minutes and the share of messages answered.
campaigns
    Participation nodes, interaction designs and word-of-mouth events on the calendar: a key, a channel,
    start and end dates (inclusive), a kind, a budget and an optional discount (0–1).

>>> lv = Levers(posts_per_day={"weibo": 2.0}, spend_per_day={"weibo": 500.0})
>>> Levers.from_dict(lv.to_dict()) == lv
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from canyu.errors import InvalidArgumentError

__all__ = ["CAMPAIGN_KINDS", "LEVERS_SCHEMA", "Campaign", "Levers", "Seed"]

LEVERS_SCHEMA: Final = "canyu.levers/1"
CAMPAIGN_KINDS: Final = ("participation_node", "interaction", "word_of_mouth", "promotion")


def _channel(value: object, where: str) -> str:
    from canyu.vocab import CHANNELS

    if not isinstance(value, str) or value not in CHANNELS:
        raise InvalidArgumentError(where, value, tuple(CHANNELS))
    return value


def _number(value: object, where: str, *, low: float = 0.0, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgumentError(where, value, f"a number in [{low:g}, {high:g}]")
    out = float(value)
    if not (math.isfinite(out) and low <= out <= high):
        raise InvalidArgumentError(where, value, f"a number in [{low:g}, {high:g}]")
    return out


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidArgumentError(where, value, "an ISO date (YYYY-MM-DD)") from None


def _per_channel(raw: object, where: str, *, high: float = math.inf) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidArgumentError(where, raw, "a table of channel -> number")
    return {
        _channel(k, f"{where}.{k}"): _number(v, f"{where}.{k}", high=high)
        for k, v in sorted(raw.items(), key=lambda kv: str(kv[0]))
    }


@dataclass(frozen=True)
class Seed:
    """One account to seed a word-of-mouth event with."""

    channel: str
    account: str
    fee: float = 0.0
    start: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "account": self.account,
            "fee": self.fee,
            "start": self.start.isoformat() if self.start else None,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "seeds[]") -> Seed:
        account = raw.get("account")
        if not isinstance(account, str) or not account:
            raise InvalidArgumentError(f"{where}.account", account, "an account id")
        start = raw.get("start")
        return cls(
            channel=_channel(raw.get("channel"), f"{where}.channel"),
            account=account,
            fee=_number(raw.get("fee", 0.0), f"{where}.fee"),
            start=_date(start, f"{where}.start") if start is not None else None,
        )


@dataclass(frozen=True)
class Campaign:
    """A dated participation node, interaction design, word-of-mouth event or promotion."""

    key: str
    channel: str
    start: dt.date
    end: dt.date
    kind: str = "participation_node"
    budget: float = 0.0
    discount: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in CAMPAIGN_KINDS:
            raise InvalidArgumentError("campaigns[].kind", self.kind, CAMPAIGN_KINDS)
        if self.end < self.start:
            raise InvalidArgumentError(
                "campaigns[].end", self.end.isoformat(), f">= {self.start.isoformat()}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "channel": self.channel,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kind": self.kind,
            "budget": self.budget,
            "discount": self.discount,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], where: str = "campaigns[]") -> Campaign:
        key = raw.get("key")
        if not isinstance(key, str) or not key:
            raise InvalidArgumentError(f"{where}.key", key, "a non-empty name")
        return cls(
            key=key,
            channel=_channel(raw.get("channel"), f"{where}.channel"),
            start=_date(raw.get("start"), f"{where}.start"),
            end=_date(raw.get("end"), f"{where}.end"),
            kind=str(raw.get("kind", "participation_node")),
            budget=_number(raw.get("budget", 0.0), f"{where}.budget"),
            discount=_number(raw.get("discount", 0.0), f"{where}.discount", high=1.0),
        )


@dataclass(frozen=True)
class Levers:
    """What a plan sets. An empty map means "as before" for that lever."""

    posts_per_day: dict[str, float] = field(default_factory=dict)
    spend_per_day: dict[str, float] = field(default_factory=dict)
    topic_mix: dict[str, float] = field(default_factory=dict)
    seeds: tuple[Seed, ...] = ()
    reply_minutes: dict[str, float] = field(default_factory=dict)
    reply_rate: dict[str, float] = field(default_factory=dict)
    campaigns: tuple[Campaign, ...] = ()

    def __post_init__(self) -> None:
        total = sum(self.topic_mix.values())
        if self.topic_mix and abs(total - 1.0) > 1e-6:
            raise InvalidArgumentError("topic_mix", round(total, 6), "shares that sum to 1")

    def to_dict(self) -> dict[str, Any]:
        """The ``canyu.levers/1`` JSON object."""
        return {
            "schema": LEVERS_SCHEMA,
            "posts_per_day": dict(self.posts_per_day),
            "spend_per_day": dict(self.spend_per_day),
            "topic_mix": dict(self.topic_mix),
            "seeds": [s.to_dict() for s in self.seeds],
            "reply_minutes": dict(self.reply_minutes),
            "reply_rate": dict(self.reply_rate),
            "campaigns": [c.to_dict() for c in self.campaigns],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Levers:
        """Read and validate a ``canyu.levers/1`` object; a bad field raises naming its path."""
        schema = raw.get("schema", LEVERS_SCHEMA)
        if schema != LEVERS_SCHEMA:
            raise InvalidArgumentError("levers.schema", schema, (LEVERS_SCHEMA,))
        topic_raw = raw.get("topic_mix") or {}
        if not isinstance(topic_raw, Mapping):
            raise InvalidArgumentError("levers.topic_mix", topic_raw, "a table of topic -> share")
        seeds_raw = raw.get("seeds") or []
        campaigns_raw = raw.get("campaigns") or []
        if not isinstance(seeds_raw, list):
            raise InvalidArgumentError("levers.seeds", seeds_raw, "a list")
        if not isinstance(campaigns_raw, list):
            raise InvalidArgumentError("levers.campaigns", campaigns_raw, "a list")
        return cls(
            posts_per_day=_per_channel(raw.get("posts_per_day"), "levers.posts_per_day"),
            spend_per_day=_per_channel(raw.get("spend_per_day"), "levers.spend_per_day"),
            topic_mix={
                str(k): _number(v, f"levers.topic_mix.{k}", high=1.0) for k, v in sorted(topic_raw.items())
            },
            seeds=tuple(Seed.from_dict(s, f"levers.seeds[{i}]") for i, s in enumerate(seeds_raw)),
            reply_minutes=_per_channel(raw.get("reply_minutes"), "levers.reply_minutes"),
            reply_rate=_per_channel(raw.get("reply_rate"), "levers.reply_rate", high=1.0),
            campaigns=tuple(
                Campaign.from_dict(c, f"levers.campaigns[{i}]") for i, c in enumerate(campaigns_raw)
            ),
        )

    @property
    def total_spend_per_day(self) -> float:
        return float(sum(self.spend_per_day.values()))
