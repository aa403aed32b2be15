"""The behaviour chain, one simulated day at a time, vectorized over people and events.

expose → view → like/comment/collect → share (an independent cascade over the
platform graph: every share names its parent) → follow → join the community
and post → message and brand reply → lead → purchase → refund.

Events are kept as integer columns (``EventLog``) and turned into channel ids,
strings and files only at export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from canyu.simulate._scenarios import Scenario
from canyu.simulate._text import TOPICS
from canyu.simulate._world import CHANNELS, GRAPH_OF, SOCIAL, World

__all__ = ["ACTIONS", "AgendaProcess", "EventLog", "Mentions", "Simulation", "agenda_series", "run"]

ACTIONS: tuple[str, ...] = (
    "expose",
    "view",
    "like",
    "comment",
    "collect",
    "share",
    "follow",
    "unfollow",
    "message",
    "reply",
    "join",
    "leave",
    "post",
    "click",
    "lead",
    "purchase",
    "refund",
)
A = {a: i for i, a in enumerate(ACTIONS)}
C = {c: i for i, c in enumerate(CHANNELS)}
TOUCH_ACTIONS = np.array(
    [A[a] for a in ("view", "like", "comment", "collect", "share", "message", "join", "post", "click")]
)
_HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2.5, 3, 3, 3.2, 4, 3.5, 3, 3, 3, 3.2, 3.8, 4.5, 5.5, 6, 5, 2.5]
)
_HOUR_CUM = np.cumsum(_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
SHARE_VIEW = 0.12  # chance that someone in a sharer's audience opens the share without sharing it on
DAY = 86400


# The event columns, their types, and the value of an event that has none.
_COLUMNS: dict[str, tuple[type, int | float]] = {
    "t": (np.int64, 0),
    "ch": (np.int8, 0),
    "act": (np.int8, 0),
    "person": (np.int32, 0),
    "content": (np.int32, -1),
    "campaign": (np.int16, -1),
    "parent_person": (np.int32, -1),
    "parent_event": (np.int64, -1),
    "product": (np.int16, -1),
    "value": (np.float64, np.nan),
    "topic": (np.int8, -1),
}


@dataclass
class EventLog:
    """Events as columns of integers; ``add`` returns the new events' ids (their row numbers).

    A batch whose column holds one value for every event (its channel, action, content, ...) is kept
    as that value, not as an array: most batches are small and most of their columns are constant.
    ``columns`` lays the batches out into one array per column (once: later calls return the same arrays).
    """

    parts: dict[str, list[np.ndarray | int | float]] = field(
        default_factory=lambda: {k: [] for k in _COLUMNS}
    )
    sizes: list[int] = field(default_factory=list)
    n: int = 0
    _laid_out: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def add(
        self,
        t: np.ndarray,
        ch: int,
        act: int,
        person: np.ndarray,
        *,
        content: int | np.ndarray = -1,
        campaign: int | np.ndarray = -1,
        parent_person: int | np.ndarray = -1,
        parent_event: int | np.ndarray = -1,
        product: int | np.ndarray = -1,
        value: float | np.ndarray = np.nan,
        topic: int | np.ndarray = -1,
    ) -> np.ndarray:
        m = len(person)
        if m == 0:
            return np.zeros(0, dtype=np.int64)
        given: dict[str, np.ndarray | int | float] = dict(
            t=t,
            ch=ch,
            act=act,
            person=person,
            content=content,
            campaign=campaign,
            parent_person=parent_person,
            parent_event=parent_event,
            product=product,
            value=value,
            topic=topic,
        )
        for key, (dtype, _) in _COLUMNS.items():
            arr = np.asarray(given[key])
            self.parts[key].append(arr.astype(dtype) if arr.ndim else arr.item())
        self.sizes.append(m)
        self._laid_out = None
        ids = np.arange(self.n, self.n + m, dtype=np.int64)
        self.n += m
        return ids

    def columns(self) -> dict[str, np.ndarray]:
        if self._laid_out is not None:
            return dict(self._laid_out)
        sizes = np.array(self.sizes, dtype=np.int64)
        ends = np.cumsum(sizes)
        out = {}
        for key, (dtype, missing) in _COLUMNS.items():
            parts = self.parts[key]
            is_array = [isinstance(v, np.ndarray) and v.ndim > 0 for v in parts]
            if all(is_array):
                col = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)  # type: ignore[arg-type]
            else:  # the constant batches by one repeat, then the arrays copied into place
                consts = [missing if arr else v for v, arr in zip(parts, is_array, strict=True)]
                col = np.repeat(np.array(consts, dtype=dtype), sizes)
                for i in np.flatnonzero(is_array):
                    col[ends[i] - sizes[i] : ends[i]] = parts[i]
            self.parts[key] = [col]  # the batches are freed column by column
            out[key] = col
        self.sizes = [self.n] if self.n else []
        self._laid_out = out
        return dict(out)


@dataclass
class Post:
    content: int
    channel: str
    day: int
    t: int
    topic: int
    campaign: int
    kind: str


@dataclass
class Simulation:
    """The outcome: events, the brand's posts and campaigns, follows and what only the simulator knows."""

    world: World
    scenario: Scenario
    days: int
    log: EventLog
    posts: list[Post]
    campaigns: list[dict[str, Any]]
    brand_follows: list[tuple[str, np.ndarray, np.ndarray]]  # (channel, person, t) of follows at start
    brand_emphasis: np.ndarray  # (days, K) topic weights of the brand's posts per day
    public_salience: np.ndarray  # (days, K) the audience's topic salience per day (before sampling)
    followers_end: dict[str, np.ndarray]
    community_end: dict[str, np.ndarray]
    agenda: AgendaProcess
    mentions: Mentions
    # paid promotion: spend per day and channel (SOCIAL order) in yuan, the spend rows behind it
    # (day, channel, campaign index or -1 for always-on, amount), the paid exposures bought each day
    spend: np.ndarray = field(default_factory=lambda: np.zeros((0, len(SOCIAL))))
    spend_rows: list[tuple[int, str, int, float]] = field(default_factory=list)
    paid_impressions: np.ndarray = field(default_factory=lambda: np.zeros((0, len(SOCIAL)), dtype=np.int64))
    adstock: np.ndarray = field(default_factory=lambda: np.zeros((0, len(SOCIAL))))
    start_day: int = 0  # first day of the period this simulation adds (0, or a continuation's first day)
    first_row: int = 0  # a continuation's first event (log row), post, public mention and campaign
    first_post: int = 0
    first_mention: int = 0
    first_campaign: int = 0
    state: Any = field(default=None, repr=False)  # the engine's state, to continue the world from


def _times(rng: np.random.Generator, day: int, m: int) -> np.ndarray:
    hour = np.searchsorted(_HOUR_CUM, rng.random(m), side="right")
    return day * DAY + np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, m)


def _campaigns(scenario: Scenario, days: int) -> list[dict[str, Any]]:
    """The four kinds of campaign, placed on the calendar in proportion to its length."""

    def at(frac: float) -> int:
        return min(days - 1, round(frac * days))

    launch = min(scenario.launch_day, days - 1)
    return [
        {
            "campaign_id": "C01",
            "name": "粉丝共创征集",
            "kind": "participation_node",
            "start": at(0.11),
            "end": at(0.22),
            "channels": ("forum", "weibo", "xiaohongshu", "wecom"),
            "topic": TOPICS.index("粉丝活动"),
            "budget": 30000.0,
        },
        {
            "campaign_id": "C02",
            "name": "新品首发",
            "kind": "launch",
            "start": launch,
            "end": min(days - 1, launch + 7),
            "channels": ("weibo", "douyin", "xiaohongshu", "wechat_oa", "qzone"),
            "topic": TOPICS.index("新品发布"),
            "budget": 120000.0,
        },
        {
            "campaign_id": "C03",
            "name": "投票抽奖",
            "kind": "interaction",
            "start": at(0.5),
            "end": at(0.58),
            "channels": ("wechat_oa", "douyin", "wecom"),
            "topic": TOPICS.index("粉丝活动"),
            "budget": 20000.0,
        },
        {
            "campaign_id": "C04",
            "name": "晒单有礼",
            "kind": "wom_event",
            "start": at(0.62),
            "end": at(0.78),
            "channels": ("weibo", "xiaohongshu", "forum", "qzone"),
            "topic": TOPICS.index("产品体验"),
            "budget": 40000.0,
        },
    ]


def _topics_of_day(rng: np.random.Generator, weights: np.ndarray, m: int) -> np.ndarray:
    """``m`` topics drawn from one day's topic weights."""
    cum = np.cumsum(weights)
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(m), side="right"), len(weights) - 1).astype(
        np.int8
    )


@dataclass
class AgendaProcess:
    """Who sets whose agenda, day by day (McCombs & Shaw 1972: the media's emphasis on a topic raises
    its salience for the audience).

    Two latent daily topic agendas drift as independent AR(1) processes on the log scale
    (``agenda_persistence``, ``agenda_volatility``): the brand's editorial plan (plus the active
    campaigns' topics) and the audience's own interests. The brand's emphasis on a day is the topic
    share of what it actually posted that day. With ``agenda_leader == "brand"`` the audience's
    salience is ``(1 - s) * own + s * emphasis[day - lag]``; with ``"audience"`` the brand's posting
    weights are ``(1 - s) * plan + s * salience[day - lag]`` and the audience keeps its own agenda;
    ``s = 0`` is the null (no agenda effect either way). Every text of the audience (comments,
    community posts, public mentions) draws its topic from the day's salience.
    """

    scenario: Scenario
    plan: np.ndarray  # (days, K) the brand's own editorial weights, campaigns included
    own: np.ndarray  # (days, K) the audience's own agenda
    emphasis: np.ndarray  # (days, K) topic share of the brand's posts each day
    salience: np.ndarray  # (days, K) the audience's topic salience each day
    z: np.ndarray | None = None  # (2, days, K) the latent log weights (to continue the process)

    @classmethod
    def draw(
        cls, rng: np.random.Generator, scenario: Scenario, days: int, campaigns: list[dict[str, Any]]
    ) -> AgendaProcess:
        k = len(TOPICS)
        phi, sd = scenario.agenda_persistence, scenario.agenda_volatility
        shocks = rng.standard_normal((2, days, k)) * sd * np.sqrt(1 - phi**2)
        z = np.zeros((2, days, k))
        z[:, 0] = rng.standard_normal((2, k)) * sd
        for d in range(1, days):
            z[:, d] = phi * z[:, d - 1] + shocks[:, d]
        plan = np.exp(z[0])
        plan /= plan.sum(axis=1, keepdims=True)
        for c in campaigns:  # a campaign's topic dominates the brand's plan while it runs
            lo, hi = int(c["start"]), int(c["end"])
            plan[lo : hi + 1, int(c["topic"])] += 0.5
        plan /= plan.sum(axis=1, keepdims=True)
        own = np.exp(z[1])
        own /= own.sum(axis=1, keepdims=True)
        return cls(scenario, plan, own, np.zeros((days, k)), np.zeros((days, k)), z)

    def extend(
        self,
        rng: np.random.Generator,
        days: int,
        campaigns: list[dict[str, Any]],
        first: int,
        topic_mix: np.ndarray | None = None,
    ) -> None:
        """Continue both AR(1) agendas for ``days`` more days (a continuation's period).

        ``topic_mix`` (a plan's lever) replaces the brand's own editorial weights over the new days;
        campaigns starting at or after ``first`` put their topic on top, as in :meth:`draw`.
        """
        k = self.plan.shape[1]
        phi, sd = self.scenario.agenda_persistence, self.scenario.agenda_volatility
        z = self.z if self.z is not None else np.log(np.stack([self.plan, self.own]))
        new = np.zeros((2, days, k))
        shocks = rng.standard_normal((2, days, k)) * sd * np.sqrt(1 - phi**2)
        prev = z[:, -1]
        for d in range(days):
            prev = phi * prev + shocks[:, d]
            new[:, d] = prev
        plan = np.exp(new[0])
        if topic_mix is not None:
            plan = np.tile(topic_mix, (days, 1)) + 1e-9
        plan /= plan.sum(axis=1, keepdims=True)
        for c in campaigns:
            lo, hi = int(c["start"]) - first, int(c["end"]) - first
            if hi >= 0 and lo < days:
                plan[max(lo, 0) : hi + 1, int(c["topic"])] += 0.5
        plan /= plan.sum(axis=1, keepdims=True)
        own = np.exp(new[1])
        own /= own.sum(axis=1, keepdims=True)
        self.z = np.concatenate([z, new], axis=1)
        self.plan = np.vstack([self.plan, plan])
        self.own = np.vstack([self.own, own])
        self.emphasis = np.vstack([self.emphasis, np.zeros((days, k))])
        self.salience = np.vstack([self.salience, np.zeros((days, k))])

    @property
    def direction(self) -> str:
        if self.scenario.agenda_strength <= 0:
            return "none"
        return f"{self.scenario.agenda_leader}_leads"

    def brand_weights(self, day: int) -> np.ndarray:
        """The topic weights of the brand's posts on ``day``."""
        sc = self.scenario
        if sc.agenda_leader == "audience" and day >= sc.agenda_lag_days:
            s = sc.agenda_strength
            return (1 - s) * self.plan[day] + s * self.salience[day - sc.agenda_lag_days]
        return self.plan[day]

    def posted(self, day: int, topics: np.ndarray) -> np.ndarray:
        """Record the topics the brand posted on ``day``; return the audience's salience that day."""
        sc = self.scenario
        counts = np.bincount(np.asarray(topics, dtype=np.int64), minlength=self.plan.shape[1])
        self.emphasis[day] = counts / counts.sum() if counts.sum() else self.brand_weights(day)
        lag, s = sc.agenda_lag_days, sc.agenda_strength
        if sc.agenda_leader == "brand" and s > 0:
            lagged = self.emphasis[day - lag] if day >= lag else self.plan[0]
            self.salience[day] = (1 - s) * self.own[day] + s * lagged
        else:
            self.salience[day] = self.own[day]
        if self.in_crisis(day):  # a public-opinion crisis (舆情): half of the talk is about one topic
            crisis = np.zeros(self.plan.shape[1])
            crisis[TOPICS.index(sc.crisis_topic)] = 1.0
            self.salience[day] = 0.5 * self.salience[day] + 0.5 * crisis
        return self.salience[day]

    def in_crisis(self, day: int | np.ndarray) -> Any:
        """Whether ``day`` falls in the scenario's crisis (``crisis_start`` .. + ``crisis_days`` - 1)."""
        start = self.scenario.crisis_start
        return (start >= 0) & (day >= start) & (day < start + self.scenario.crisis_days)


def agenda_series(
    rng: np.random.Generator,
    scenario: Scenario,
    days: int,
    *,
    posts_per_day: float = 11.5,
    texts_per_day: float = 60.0,
) -> tuple[np.ndarray, np.ndarray, AgendaProcess]:
    """The agenda process alone: daily topic counts of the brand's posts and of the audience's texts.

    The same process ``run`` uses, without people, for tests and benchmarks that need many seeds;
    ``posts_per_day`` and ``texts_per_day`` are Poisson means (the default scenario's brand posts
    about 11.5 times a day across its channels).
    """
    k = len(TOPICS)
    agenda = AgendaProcess.draw(rng, scenario, days, _campaigns(scenario, days))
    brand = np.zeros((days, k), dtype=np.int64)
    audience = np.zeros((days, k), dtype=np.int64)
    for day in range(days):
        topics = _topics_of_day(rng, agenda.brand_weights(day), int(rng.poisson(posts_per_day)))
        sal = agenda.posted(day, topics)
        brand[day] = np.bincount(topics, minlength=k)
        audience[day] = rng.multinomial(int(rng.poisson(texts_per_day)), sal)
    return brand, audience, agenda


MENTION_CHANNELS = ("weibo", "douyin", "xiaohongshu", "qzone")  # where public discussion is listened to
REPOST_SHARE = 0.15  # share of public mentions that repost an earlier one


@dataclass
class Mentions:
    """Public discussion about the brand and its category, outside the brand's own posts (listening data)."""

    t: list[np.ndarray] = field(default_factory=list)
    ch: list[np.ndarray] = field(default_factory=list)
    person: list[np.ndarray] = field(default_factory=list)
    topic: list[np.ndarray] = field(default_factory=list)
    parent: list[np.ndarray] = field(default_factory=list)  # index of the reposted mention, -1 for none
    n: int = 0

    def add(
        self, t: np.ndarray, ch: np.ndarray, person: np.ndarray, topic: np.ndarray, parent: np.ndarray
    ) -> None:
        for name, arr in (("t", t), ("ch", ch), ("person", person), ("topic", topic), ("parent", parent)):
            getattr(self, name).append(arr)
        self.n += len(t)

    def columns(self) -> dict[str, np.ndarray]:
        empty = {"t": np.int64, "ch": np.int8, "person": np.int32, "topic": np.int8, "parent": np.int64}
        return {
            name: (np.concatenate(getattr(self, name)).astype(dt) if getattr(self, name) else np.zeros(0, dt))
            for name, dt in empty.items()
        }


def _mentions_of_day(
    rng: np.random.Generator,
    world: World,
    online: np.ndarray,
    rate: float,
    day: int,
    salience: np.ndarray,
    mentions: Mentions,
) -> None:
    """Online people post about the brand's category on a platform they use; some repost earlier posts."""
    who = np.flatnonzero(online & (rng.random(world.n) < rate))
    member = np.stack([world.member[c][who] for c in MENTION_CHANNELS], axis=1)
    who, member = who[member.any(axis=1)], member[member.any(axis=1)]
    if len(who) == 0:
        return
    pick = (member * rng.random(member.shape)).argmax(axis=1)  # a random platform of each
    ch = np.array([C[c] for c in MENTION_CHANNELS], dtype=np.int8)[pick]
    topic = _topics_of_day(rng, salience, len(who))
    t = _times(rng, day, len(who))
    # reposts of the day's original mentions (what is in people's feeds): originals first, so a parent
    # always comes before its reposts; a repost stays on its parent's platform, keeps its topic and
    # follows it by a few hours
    repost = rng.random(len(who)) < REPOST_SHARE
    originals = np.flatnonzero(~repost)
    if len(originals) == 0:
        repost[:] = False
    order = np.r_[np.flatnonzero(~repost), np.flatnonzero(repost)]
    who, ch, topic, t, repost = who[order], ch[order], topic[order], t[order], repost[order]
    parent = np.full(len(who), -1, dtype=np.int64)
    n_orig = int((~repost).sum())
    src = rng.integers(0, max(n_orig, 1), int(repost.sum()))
    parent[n_orig:] = mentions.n + src
    ch[n_orig:], topic[n_orig:] = ch[src], topic[src]
    delay = rng.exponential(2 * 3600, len(src)).astype(np.int64) + 60
    t[n_orig:] = np.minimum(t[src] + delay, (day + 1) * DAY - 1)
    mentions.add(t, ch, who.astype(np.int32), topic, parent)


REFERENCE_PEOPLE = (
    150_000  # the campaigns' budgets are a brand of this size's; scaled to the simulated population
)
SERVICE_MINUTES = 240.0  # an answer's purchase gain decays as exp(-reply minutes / this)
_KIND = {"wechat_oa": "article", "douyin": "video", "forum": "thread", "wecom": "post"}


def paid_curve(prm: Any, people: int, spend: np.ndarray | float) -> np.ndarray:
    """The share of a channel's members reached by paid exposures in a day: ``paid_reach * sat(x)``.

    ``x`` is the adstocked daily spend in yuan; the half-saturation point ``paid_half`` is given per 1,000
    people of the simulated population, so a world ten times larger needs ten times the spend for the same
    share. Multiply by the channel's members for the expected exposures.
    """
    from canyu.simulate._media_mix import saturate

    half = np.asarray(prm.paid_half * people / 1000.0, dtype=float)
    x = np.asarray(spend, dtype=float)
    if prm.paid_reach <= 0 or prm.paid_half <= 0:
        return np.zeros_like(x)
    return prm.paid_reach * saturate(x, kind=prm.paid_curve, half=half, shape=np.asarray(prm.paid_shape))


#: A product the shop features (a plan's hit promotion on ecommerce or the mini program) sells as the
#: launch's hit does: its appeal times this while the promotion runs
FEATURE_BOOST = 3.0


@dataclass
class Engine:
    """The simulated world's state between days, so a run can be continued (``continue_days``).

    Every day draws from generators of its own, seeded by the run's ``base`` and the day
    (``[base, day, 0]`` the brand's posts and people's behaviour, ``[base, day, 1]`` purchases,
    ``[base, day, 2]`` paid exposures, ``[base, day, 3]`` spend noise): two continuations of the same
    world under different levers use the same random numbers day by day (common random numbers), so
    they differ by their levers, and the purchase draws of a person on a day are the same in both.
    """

    world: World
    scenario: Scenario
    channels: dict[str, Any]  # the ChannelParams in force (a continuation's levers replace some)
    base: int
    day: int
    log: EventLog
    posts: list[Post]
    campaigns: list[dict[str, Any]]
    follows: dict[str, np.ndarray]
    community: dict[str, np.ndarray]
    last_touch: np.ndarray
    lift: np.ndarray
    agenda: AgendaProcess
    mentions: Mentions
    hit_boost: np.ndarray
    brand_follows: list[tuple[str, np.ndarray, np.ndarray]]
    adstock: np.ndarray  # (len(SOCIAL),) adstocked daily spend going into the next day
    spend: list[np.ndarray] = field(default_factory=list)
    spend_rows: list[tuple[int, str, int, float]] = field(default_factory=list)
    paid: list[np.ndarray] = field(default_factory=list)
    adstock_path: list[np.ndarray] = field(default_factory=list)
    always_on: dict[str, float] | None = None  # a continuation's spend per day per channel (None: scenario's)
    seeds: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # day -> (channel, person)
    ignored: list[str] = field(default_factory=list)  # levers the simulator has no channel for
    # a plan's shop promotions of one product (first day, last day, product, discount): while one runs the
    # shop features the product (its appeal x FEATURE_BOOST, as the launch's hit) at its discount
    featured: list[tuple[int, int, int, float]] = field(default_factory=list)
    first: tuple[int, int, int, int] = (0, 0, 0, 0)  # a continuation's first (row, post, mention, campaign)
    # each day's expected purchases (the sum of the day's purchase probabilities of those who can buy):
    # the truth's own expectation, free of the purchase draws' noise (an oracle searches on it)
    expected: list[float] = field(default_factory=list)
    # each day's expected revenue (yuan): expected purchases x the expected value of an order that day
    expected_revenue: list[float] = field(default_factory=list)

    # -- set-up ---------------------------------------------------------------------------------
    @classmethod
    def start(cls, rng: np.random.Generator, world: World, scenario: Scenario, days: int) -> Engine:
        n = world.n
        log = EventLog()
        campaigns = _campaigns(scenario, days)
        follows = {
            ch: (world.member[ch] & (rng.random(n) < scenario.channels[ch].initial_followers))
            for ch in SOCIAL
        }
        brand_follows = [
            (ch, np.flatnonzero(f), rng.integers(-14 * DAY, 0, int(f.sum()))) for ch, f in follows.items()
        ]
        for ch, who, t_follow in brand_follows:  # the follows that made them followers, before the period
            log.add(t_follow, C[ch], A["follow"], who)
        # founding members: a share of followers, smaller for a community the brand neglects
        community = {
            ch: follows[ch] & (rng.random(n) < min(0.3, 6 * scenario.channels[ch].community_post))
            for ch in ("forum", "wecom")
        }
        for ch, members in community.items():  # the founding members join on the first day
            founders = np.flatnonzero(members)
            log.add(_times(rng, 0, len(founders)), C[ch], A["join"], founders)
        agenda = AgendaProcess.draw(rng, scenario, days, campaigns)
        for c in campaigns:  # budgets in proportion to the population (paid media: they buy exposures)
            c["budget"] = round(float(c["budget"]) * n / REFERENCE_PEOPLE, 2)
        base = int(rng.integers(0, 2**62))
        # adstock starts at the steady state of the always-on spend (no warm-up from zero)
        adstock = np.array([scenario.channels[ch].spend * n / 1000.0 for ch in SOCIAL])
        return cls(
            world=world,
            scenario=scenario,
            channels=dict(scenario.channels),
            base=base,
            day=0,
            log=log,
            posts=[],
            campaigns=campaigns,
            follows=follows,
            community=community,
            last_touch=np.full((len(CHANNELS), n), -10_000, dtype=np.int32),
            lift=np.ones(n, dtype=np.float32),  # activity lift after taking part in a node / interaction
            agenda=agenda,
            mentions=Mentions(),
            hit_boost=np.ones(len(world.prices)),
            brand_follows=brand_follows,
            adstock=adstock,
        )

    def rng(self, day: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.base, day, stream])

    # -- spend ----------------------------------------------------------------------------------
    def _spend_today(self, day: int, active: list[dict[str, Any]]) -> np.ndarray:
        """Each channel's paid spend today: always-on promotion plus the running campaigns' budgets."""
        sc, n = self.scenario, self.world.n
        out = np.zeros(len(SOCIAL))
        if self.always_on is None:  # the scenario's budget, with day-to-day flighting noise
            noise = self.rng(day, 3).standard_normal(len(SOCIAL) + 1)
            rho = sc.spend_correlation
            z = np.sqrt(rho) * noise[-1] + np.sqrt(1 - rho) * noise[:-1]
            mult = np.exp(sc.spend_noise * z - sc.spend_noise**2 / 2)
            for i, ch in enumerate(SOCIAL):
                amount = self.channels[ch].spend * n / 1000.0 * mult[i]
                if amount > 0:
                    out[i] += amount
                    self.spend_rows.append((day, ch, -1, float(amount)))
        else:
            for i, ch in enumerate(SOCIAL):
                amount = float(self.always_on.get(ch, 0.0))
                if amount > 0:
                    out[i] += amount
                    self.spend_rows.append((day, ch, -1, amount))
        for c in active:
            budget = float(c["budget"])
            if budget <= 0:
                continue
            chans = [ch for ch in c["channels"] if ch in SOCIAL and self.channels[ch].paid_reach > 0]
            if not chans:
                continue
            daily = budget / (int(c["end"]) - int(c["start"]) + 1) / len(chans)
            for ch in chans:
                out[SOCIAL.index(ch)] += daily
                self.spend_rows.append((day, ch, self.campaigns.index(c), daily))
        return out

    # -- one day --------------------------------------------------------------------------------
    def step(self) -> None:
        day = self.day
        rng = self.rng(day, 0)
        world, sc, n = self.world, self.scenario, self.world.n
        campaigns, follows, lift = self.campaigns, self.follows, self.lift
        active = [c for c in campaigns if int(c["start"]) <= day <= int(c["end"])]
        # -- the brand's agenda today: what its posts talk about, and what the audience talks about
        w = self.agenda.brand_weights(day)
        day_topics = {
            ch: _topics_of_day(rng, w, int(rng.poisson(self.channels[ch].posts_per_day))) for ch in SOCIAL
        }
        all_topics = np.concatenate(list(day_topics.values()))
        sal = self.agenda.posted(day, all_topics)
        if day == min(sc.launch_day, len(self.agenda.plan) - 1):
            self.hit_boost[world.hit_products[0]] = FEATURE_BOOST
        online = rng.random(n) < np.clip(0.35 * world.activity * lift, 0, 1)
        latest: dict[str, Post] = {}
        for p in reversed(self.posts):
            if p.channel not in latest:
                latest[p.channel] = p
            if len(latest) == len(SOCIAL):
                break

        for ch in SOCIAL:
            prm = self.channels[ch]
            for topic in day_topics[ch].tolist():
                camp_here = [c for c in active if ch in c["channels"]]
                camp = campaigns.index(camp_here[int(rng.integers(len(camp_here)))]) if camp_here else -1
                t0 = int(_times(rng, day, 1)[0])
                post = Post(len(self.posts), ch, day, t0, topic, camp, _KIND.get(ch, "post"))
                self.posts.append(post)
                latest[ch] = post
                # exposure: followers, plus discovery among members who do not follow
                fol = np.flatnonzero(follows[ch] & online)
                fol = fol[rng.random(len(fol)) < prm.follower_reach * np.clip(world.activity[fol], 0, 3)]
                n_disc = (
                    rng.binomial(int(world.member[ch].sum()), prm.discovery_reach)
                    if prm.discovery_reach
                    else 0
                )
                disc = rng.integers(0, n, n_disc) if n_disc else np.zeros(0, dtype=np.int64)
                disc = disc[world.member[ch][disc] & ~follows[ch][disc]]
                exposed = np.unique(np.concatenate([fol, disc]))
                self._expose(rng, day, ch, post, camp, exposed, t0, sal)

        # -- paid promotion: today's spend, carried over (geometric adstock) and saturating, buys
        # exposures of the channel's latest post to members who do not follow the brand
        spend = self._spend_today(day, active)
        prng = self.rng(day, 2)
        paid = np.zeros(len(SOCIAL), dtype=np.int64)
        for i, ch in enumerate(SOCIAL):
            prm = self.channels[ch]
            self.adstock[i] = prm.paid_decay * self.adstock[i] + (1 - prm.paid_decay) * spend[i]
            members = world.member[ch]
            m = int(members.sum())
            share = float(paid_curve(prm, n, self.adstock[i]))
            if share <= 0 or ch not in latest or m == 0:
                continue
            want = int(prng.poisson(share * m))
            pool = np.flatnonzero(members & ~follows[ch])
            if want == 0 or len(pool) == 0:
                continue
            exposed = np.unique(pool[prng.integers(0, len(pool), want)])
            paid[i] = len(exposed)
            post = latest[ch]
            t0 = int(_times(prng, day, 1)[0])
            self._expose(prng, day, ch, post, post.campaign if post.day == day else -1, exposed, t0, sal)
        self.spend.append(spend)
        self.paid.append(paid)
        self.adstock_path.append(self.adstock.copy())

        # -- seeded shares (a plan's word-of-mouth seeds): the account shares the latest post today
        for ch, person in self.seeds.get(day, []):
            if ch in latest:
                post = latest[ch]
                t0 = int(_times(rng, day, 1)[0])
                self._cascade(rng, day, ch, post, -1, np.array([person], dtype=np.int64), np.array([t0]), 1.0)

        self._community_day(rng, day, sal)
        # -- public discussion outside the brand's posts (what a listening tool collects)
        _mentions_of_day(rng, world, online, sc.mention_rate, day, sal, self.mentions)
        self._service_day(rng, day)
        self._purchases(day, active)
        self.day += 1

    def _expose(
        self,
        rng: np.random.Generator,
        day: int,
        ch: str,
        post: Post,
        camp: int,
        exposed: np.ndarray,
        t0: int,
        sal: np.ndarray,
    ) -> None:
        """One post's exposures and what follows: view, engage, follow, join, share and its cascade."""
        if len(exposed) == 0:
            return
        world, log, follows, campaigns = self.world, self.log, self.follows, self.campaigns
        prm = self.channels[ch]
        ci = C[ch]
        k = len(TOPICS)
        topic = post.topic
        boost = self.scenario.launch_share_boost if camp >= 0 and campaigns[camp]["kind"] == "launch" else 1.0
        if camp >= 0 and campaigns[camp]["kind"] == "wom_event":
            boost *= 2.0
        te = t0 + rng.integers(0, 6 * 3600, len(exposed))
        log.add(te, ci, A["expose"], exposed, content=post.content, campaign=camp)
        affinity = np.clip(k * world.interests[exposed, topic], 0.2, 3.0)
        vmask = rng.random(len(exposed)) < np.clip(prm.view * affinity, 0, 1)
        viewers, tv, aff = (
            exposed[vmask],
            te[vmask] + rng.integers(0, 600, vmask.sum()),
            affinity[vmask],
        )
        log.add(tv, ci, A["view"], viewers, content=post.content, campaign=camp)
        self.last_touch[ci, viewers] = day
        # engagement; comments carry a topic of public discussion (agenda setting)
        for act, share_of in (("like", 1.0), ("comment", 0.3), ("collect", 0.4)):
            m = rng.random(len(viewers)) < np.clip(prm.engage * share_of * aff, 0, 1)
            who = viewers[m]
            topics = _topics_of_day(rng, sal, len(who)) if act == "comment" and len(who) else None
            log.add(
                tv[m] + rng.integers(0, 900, m.sum()),
                ci,
                A[act],
                who,
                content=post.content,
                campaign=camp,
                topic=topics if topics is not None else -1,
            )
            if camp >= 0 and campaigns[camp]["kind"] in ("participation_node", "interaction"):
                self.lift[who] = np.maximum(self.lift[who], 1.3)
        # follow
        nf = viewers[~follows[ch][viewers]]
        nf = nf[rng.random(len(nf)) < prm.follow * np.clip(world.activity[nf], 0, 3)]
        if len(nf):
            log.add(
                tv[np.isin(viewers, nf)][: len(nf)] + 60,
                ci,
                A["follow"],
                nf,
                content=post.content,
                campaign=camp,
            )
            follows[ch][nf] = True
        # join the community (forum, WeCom groups)
        if ch in self.community and prm.join:
            jn = viewers[follows[ch][viewers] & ~self.community[ch][viewers]]
            jn = jn[rng.random(len(jn)) < prm.join]
            log.add(_times(rng, day, len(jn)), ci, A["join"], jn, campaign=camp)
            self.community[ch][jn] = True
        # share → independent cascade over the platform graph
        smask = rng.random(len(viewers)) < np.clip(prm.share * boost * aff, 0, 1)
        sharers, ts_sh = viewers[smask], tv[smask] + rng.integers(60, 1800, smask.sum())
        self._cascade(rng, day, ch, post, camp, sharers, ts_sh, boost)

    def _cascade(
        self,
        rng: np.random.Generator,
        day: int,
        ch: str,
        post: Post,
        camp: int,
        sharers: np.ndarray,
        ts_sh: np.ndarray,
        boost: float,
    ) -> None:
        """Shares of ``post`` by ``sharers`` and the independent cascade they start over the platform graph."""
        log, follows, last_touch = self.log, self.follows, self.last_touch
        prm = self.channels[ch]
        ci = C[ch]
        g = self.world.graphs[GRAPH_OF[ch]]
        seen, viewed = self._seen, self._viewed
        sh_ids = log.add(ts_sh, ci, A["share"], sharers, content=post.content, campaign=camp)
        last_touch[ci, sharers] = day
        touched = [sharers]
        seen[sharers] = True
        frontier, f_ids, f_t = sharers, sh_ids, ts_sh
        for _gen in range(25):
            if len(frontier) == 0:
                break
            starts = g.indptr[frontier]
            counts = g.indptr[frontier + 1] - starts
            total = int(counts.sum())
            if total == 0:
                break
            offsets = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(total)
            targets = g.audience[offsets]
            src = np.repeat(np.arange(len(frontier)), counts)
            success = (rng.random(total) < g.p[offsets] * boost) & ~seen[targets]
            # activated: the first successful edge into each new node is its parent
            t_succ, first = np.unique(targets[success], return_index=True)
            parent = src[np.flatnonzero(success)[first]]
            seen[t_succ] = True
            touched.append(t_succ)
            # others open the share without passing it on
            vm = (rng.random(total) < SHARE_VIEW) & ~seen[targets] & ~viewed[targets]
            t_view, vfirst = np.unique(targets[vm], return_index=True)
            vparent = src[np.flatnonzero(vm)[vfirst]]
            viewed[t_view] = True
            touched.append(t_view)
            dt_view = rng.exponential(3 * 3600, len(t_view)).astype(np.int64) + 60
            log.add(
                f_t[vparent] + dt_view,
                ci,
                A["view"],
                t_view,
                content=post.content,
                campaign=camp,
                parent_person=frontier[vparent],
                parent_event=f_ids[vparent],
            )
            last_touch[ci, t_view] = day
            dt = rng.exponential(2 * 3600, len(t_succ)).astype(np.int64) + 60
            tv2 = f_t[parent] + dt
            log.add(
                tv2,
                ci,
                A["view"],
                t_succ,
                content=post.content,
                campaign=camp,
                parent_person=frontier[parent],
                parent_event=f_ids[parent],
            )
            ids2 = log.add(
                tv2 + 120,
                ci,
                A["share"],
                t_succ,
                content=post.content,
                campaign=camp,
                parent_person=frontier[parent],
                parent_event=f_ids[parent],
            )
            last_touch[ci, t_succ] = day
            frontier, f_ids, f_t = t_succ, ids2, tv2 + 120
        # people who discovered the brand through a friend's share may follow it
        reached = np.concatenate(touched[1:]) if len(touched) > 1 else np.zeros(0, dtype=np.int64)
        reached = reached[~follows[ch][reached]]
        reached = reached[rng.random(len(reached)) < prm.follow]
        if len(reached):
            log.add(
                _times(rng, day, len(reached)),
                ci,
                A["follow"],
                reached,
                content=post.content,
                campaign=camp,
            )
            follows[ch][reached] = True
        for arr in touched:
            seen[arr] = False
            viewed[arr] = False

    def __post_init__(self) -> None:
        self._seen = np.zeros(self.world.n, dtype=bool)
        self._viewed = np.zeros(self.world.n, dtype=bool)
        self.served_until = np.full(self.world.n, -1, dtype=np.int32)
        self.served_gain = np.zeros(self.world.n, dtype=np.float32)

    def _community_day(self, rng: np.random.Generator, day: int, sal: np.ndarray) -> None:
        """Community life: members post, others reply, some leave."""
        world, log, lift = self.world, self.log, self.lift
        for ch, members in self.community.items():
            prm = self.channels[ch]
            ci = C[ch]
            mem = np.flatnonzero(members)
            if len(mem) == 0:
                continue
            # the quiet-community scenario: posting halves every community_half_life days
            decay = (
                0.5 ** (day / self.scenario.community_half_life)
                if self.scenario.community_half_life > 0
                else 1.0
            )
            posters = mem[rng.random(len(mem)) < prm.community_post * decay * world.activity[mem] * lift[mem]]
            tp = _times(rng, day, len(posters))
            topics = _topics_of_day(rng, sal, len(posters))
            post_ids = log.add(tp, ci, A["post"], posters, topic=topics)
            self.last_touch[ci, posters] = day
            n_rep = rng.poisson(1.5, len(posters))
            if n_rep.sum():
                rep_post = np.repeat(np.arange(len(posters)), n_rep)
                repliers = mem[rng.integers(0, len(mem), len(rep_post))]
                log.add(
                    tp[rep_post] + rng.integers(60, 7200, len(rep_post)),
                    ci,
                    A["comment"],
                    repliers,
                    parent_person=posters[rep_post],
                    parent_event=post_ids[rep_post],
                    topic=topics[rep_post],
                )
                self.last_touch[ci, repliers] = day
            leavers = mem[rng.random(len(mem)) < 0.002 + (0.02 if prm.community_post < 0.01 else 0)]
            log.add(_times(rng, day, len(leavers)), ci, A["leave"], leavers)
            self.community[ch][leavers] = False

    def _service_day(self, rng: np.random.Generator, day: int) -> None:
        """One-to-one service: followers message, the brand replies (or not)."""
        world, log = self.world, self.log
        for ch in SOCIAL:
            prm = self.channels[ch]
            ci = C[ch]
            fol = np.flatnonzero(self.follows[ch])
            senders = fol[rng.random(len(fol)) < prm.message * world.activity[fol]]
            tm = _times(rng, day, len(senders))
            msg_ids = log.add(tm, ci, A["message"], senders)
            self.last_touch[ci, senders] = day
            answered = rng.random(len(senders)) < prm.reply_rate
            delay = (rng.lognormal(np.log(prm.reply_minutes), 0.8, int(answered.sum())) * 60).astype(np.int64)
            log.add(tm[answered] + delay, ci, A["reply"], senders[answered], parent_event=msg_ids[answered])
            who = senders[answered]
            gain = (prm.effect * np.exp(-delay / 60.0 / SERVICE_MINUTES)).astype(np.float32)
            self.served_gain[who] = np.where(
                self.served_until[who] >= day, np.maximum(self.served_gain[who], gain), gain
            )
            self.served_until[who] = day + 6

    def _purchases(self, day: int, active: list[dict[str, Any]]) -> None:
        """Conversion: a daily hazard raised by recent touches on each channel (the true effects)."""
        world, sc, log, n = self.world, self.scenario, self.log, self.world.n
        rng = self.rng(day, 1)
        # uniforms per person and day (buy?, which product, shop or mini program, lead first, refund): the
        # same in every arm of a continuation, whoever else buys that day
        u, pu, su, lu, ru = rng.random((5, n))
        hazard = (sc.base_purchase * world.activity * self.lift * (1.5 - world.price_sensitivity)).astype(
            np.float64
        )
        shop = [f for f in self.featured if f[0] <= day <= f[1]]
        discount = max(
            [float(c.get("discount", 0.0)) for c in active if c["kind"] == "promotion"] + [f[3] for f in shop]
            or [0.0]
        )
        for ch in SOCIAL:  # touched in the last 7 days
            hazard[np.flatnonzero(self.last_touch[C[ch]] > day - 7)] += self.channels[ch].effect
        # answered messages: for 7 days, up to the channel's effect again, less the slower the reply
        served = self.served_until >= day
        hazard[served] += self.served_gain[served]
        if discount > 0:  # a promotion's discount raises the purchase hazard (price elasticity 2)
            hazard *= 1.0 + 2.0 * discount
        can_buy = world.member["ecommerce"] | world.member["mini_program"]
        # a launch or word-of-mouth event sells at its price cut while it runs: 10% off for the first
        # period's own (晒单有礼's incentive, the launch offer); a plan's event at the cut its lever names
        cut = max(
            [float(c.get("price_cut", 0.1)) for c in active if c["kind"] in ("launch", "wom_event")] or [0.0]
        )
        boost = self.hit_boost
        if shop:
            boost = boost.copy()
            for f in shop:
                boost[f[2]] = max(boost[f[2]], FEATURE_BOOST)
        weight = world.appeal * boost
        expected = float(np.minimum(hazard[can_buy], 1.0).sum())
        self.expected.append(expected)
        # the product is drawn by appeal (x the hit boost) whoever buys, so an order's expected value is
        # the appeal-weighted mean price at the day's cut and discount
        mean_value = float(weight @ world.prices / weight.sum()) * (1.0 - cut) * (1.0 - discount)
        self.expected_revenue.append(expected * mean_value)
        buyers = np.flatnonzero(can_buy & (u < hazard))
        if len(buyers) == 0:
            return
        cum = np.cumsum(weight)
        product = np.minimum(np.searchsorted(cum, pu[buyers] * cum[-1], side="right"), len(cum) - 1)
        value = world.prices[product] * (1.0 - cut) * (1.0 - discount)
        in_shop = world.member["ecommerce"][buyers] & (
            (su[buyers] < 0.7) | ~world.member["mini_program"][buyers]
        )
        tb = _times(rng, day, len(buyers))
        camp_ids = np.full(len(buyers), -1)
        for ch_name, mask in (("ecommerce", in_shop), ("mini_program", ~in_shop)):
            who = buyers[mask]
            lead = lu[who] < 0.35
            log.add(
                tb[mask][lead] - rng.integers(300, 7200, int(lead.sum())),
                C["mini_program"],
                A["lead"],
                who[lead],
            )
            ids = log.add(
                tb[mask],
                C[ch_name],
                A["purchase"],
                who,
                product=product[mask],
                value=value[mask],
                campaign=camp_ids[mask],
            )
            refund = ru[who] < sc.refund_rate
            log.add(
                tb[mask][refund] + rng.integers(1, 10, int(refund.sum())) * DAY,
                C[ch_name],
                A["refund"],
                who[refund],
                product=product[mask][refund],
                value=value[mask][refund],
                parent_event=ids[refund],
            )

    # -- the outcome ----------------------------------------------------------------------------
    def simulation(self, start_day: int = 0, first: tuple[int, int, int, int] = (0, 0, 0, 0)) -> Simulation:
        """The outcome so far; a continuation gives its first day and its first (row, post, mention, campaign)."""
        days = self.day
        return Simulation(
            self.world,
            self.scenario,
            days,
            self.log,
            self.posts,
            self.campaigns,
            self.brand_follows,
            self.agenda.emphasis[:days],
            self.agenda.salience[:days],
            {ch: np.flatnonzero(f) for ch, f in self.follows.items()},
            {ch: np.flatnonzero(m) for ch, m in self.community.items()},
            self.agenda,
            self.mentions,
            spend=np.array(self.spend).reshape(-1, len(SOCIAL)),
            spend_rows=list(self.spend_rows),
            paid_impressions=np.array(self.paid, dtype=np.int64).reshape(-1, len(SOCIAL)),
            adstock=np.array(self.adstock_path).reshape(-1, len(SOCIAL)),
            start_day=start_day,
            first_row=first[0],
            first_post=first[1],
            first_mention=first[2],
            first_campaign=first[3],
            state=self,
        )


def run(rng: np.random.Generator, world: World, scenario: Scenario, days: int) -> Simulation:
    """Simulate ``days`` days of the world from its start."""
    eng = Engine.start(rng, world, scenario, days)
    for _ in range(days):
        eng.step()
    return eng.simulation()
