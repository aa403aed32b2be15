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
        return cls(scenario, plan, own, np.zeros((days, k)), np.zeros((days, k)))

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


def run(rng: np.random.Generator, world: World, scenario: Scenario, days: int) -> Simulation:
    n = world.n
    k = len(TOPICS)
    log = EventLog()
    campaigns = _campaigns(scenario, days)
    follows = {
        ch: (world.member[ch] & (rng.random(n) < scenario.channels[ch].initial_followers)) for ch in SOCIAL
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
    last_touch = np.full((len(CHANNELS), n), -10_000, dtype=np.int32)
    lift = np.ones(
        n, dtype=np.float32
    )  # activity lift after taking part in a participation node / interaction
    posts: list[Post] = []
    agenda = AgendaProcess.draw(rng, scenario, days, campaigns)
    mentions = Mentions()
    seen = np.zeros(n, dtype=bool)
    viewed = np.zeros(n, dtype=bool)
    hit_boost = np.ones(len(world.prices))
    effects = {ch: scenario.channels[ch].effect for ch in SOCIAL}

    for day in range(days):
        active = [c for c in campaigns if int(c["start"]) <= day <= int(c["end"])]  # type: ignore[operator]
        # -- the brand's agenda today: what its posts talk about, and what the audience talks about
        w = agenda.brand_weights(day)
        day_topics = {
            ch: _topics_of_day(rng, w, int(rng.poisson(scenario.channels[ch].posts_per_day))) for ch in SOCIAL
        }
        sal = agenda.posted(day, np.concatenate(list(day_topics.values())))
        if day == min(scenario.launch_day, days - 1):
            hit_boost[world.hit_products[0]] = 3.0
        online = rng.random(n) < np.clip(0.35 * world.activity * lift, 0, 1)

        for ch in SOCIAL:
            prm = scenario.channels[ch]
            ci = C[ch]
            g = world.graphs[GRAPH_OF[ch]]
            for topic in day_topics[ch].tolist():
                camp_here = [c for c in active if ch in c["channels"]]  # type: ignore[operator]
                camp = campaigns.index(camp_here[int(rng.integers(len(camp_here)))]) if camp_here else -1
                kind = {"wechat_oa": "article", "douyin": "video", "forum": "thread", "wecom": "post"}.get(
                    ch, "post"
                )
                t0 = int(_times(rng, day, 1)[0])
                post = Post(len(posts), ch, day, t0, topic, camp, kind)
                posts.append(post)
                boost = (
                    scenario.launch_share_boost if camp >= 0 and campaigns[camp]["kind"] == "launch" else 1.0
                )
                if camp >= 0 and campaigns[camp]["kind"] == "wom_event":
                    boost *= 2.0
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
                if len(exposed) == 0:
                    continue
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
                last_touch[ci, viewers] = day
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
                        lift[who] = np.maximum(lift[who], 1.3)
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
                if ch in community and prm.join:
                    jn = viewers[follows[ch][viewers] & ~community[ch][viewers]]
                    jn = jn[rng.random(len(jn)) < prm.join]
                    log.add(_times(rng, day, len(jn)), ci, A["join"], jn, campaign=camp)
                    community[ch][jn] = True
                # share → independent cascade over the platform graph
                smask = rng.random(len(viewers)) < np.clip(prm.share * boost * aff, 0, 1)
                sharers, ts_sh = viewers[smask], tv[smask] + rng.integers(60, 1800, smask.sum())
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

        # -- community life: members post, others reply
        for ch, members in community.items():
            prm = scenario.channels[ch]
            ci = C[ch]
            mem = np.flatnonzero(members)
            if len(mem) == 0:
                continue
            # the quiet-community scenario: posting halves every community_half_life days
            decay = 0.5 ** (day / scenario.community_half_life) if scenario.community_half_life > 0 else 1.0
            posters = mem[rng.random(len(mem)) < prm.community_post * decay * world.activity[mem] * lift[mem]]
            tp = _times(rng, day, len(posters))
            topics = _topics_of_day(rng, sal, len(posters))
            post_ids = log.add(tp, ci, A["post"], posters, topic=topics)
            last_touch[ci, posters] = day
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
                last_touch[ci, repliers] = day
            leavers = mem[rng.random(len(mem)) < 0.002 + (0.02 if prm.community_post < 0.01 else 0)]
            log.add(_times(rng, day, len(leavers)), ci, A["leave"], leavers)
            community[ch][leavers] = False

        # -- public discussion outside the brand's posts (what a listening tool collects)
        _mentions_of_day(rng, world, online, scenario.mention_rate, day, sal, mentions)

        # -- one-to-one service: followers message, the brand replies (or not)
        for ch in SOCIAL:
            prm = scenario.channels[ch]
            ci = C[ch]
            fol = np.flatnonzero(follows[ch])
            senders = fol[rng.random(len(fol)) < prm.message * world.activity[fol]]
            tm = _times(rng, day, len(senders))
            msg_ids = log.add(tm, ci, A["message"], senders)
            last_touch[ci, senders] = day
            answered = rng.random(len(senders)) < prm.reply_rate
            delay = (rng.lognormal(np.log(prm.reply_minutes), 0.8, int(answered.sum())) * 60).astype(np.int64)
            log.add(tm[answered] + delay, ci, A["reply"], senders[answered], parent_event=msg_ids[answered])

        # -- conversion: a daily hazard raised by recent touches on each channel (the true effects)
        hazard = (scenario.base_purchase * world.activity * lift * (1.5 - world.price_sensitivity)).astype(
            np.float64
        )
        for ch, eff in effects.items():
            hazard[np.flatnonzero(last_touch[C[ch]] > day - 7)] += eff  # touched in the last 7 days
        can_buy = world.member["ecommerce"] | world.member["mini_program"]
        buyers = np.flatnonzero(can_buy & (rng.random(n) < hazard))
        if len(buyers):
            promo = any(c["kind"] in ("launch", "wom_event") for c in active)
            cum = np.cumsum(world.appeal * hit_boost)
            product = np.searchsorted(cum, rng.random(len(buyers)) * cum[-1], side="right")
            value = world.prices[product] * (0.9 if promo else 1.0)
            in_shop = world.member["ecommerce"][buyers] & (
                (rng.random(len(buyers)) < 0.7) | ~world.member["mini_program"][buyers]
            )
            tb = _times(rng, day, len(buyers))
            camp_ids = np.full(len(buyers), -1)
            for ch_name, mask in (("ecommerce", in_shop), ("mini_program", ~in_shop)):
                who = buyers[mask]
                lead = rng.random(len(who)) < 0.35
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
                refund = rng.random(len(who)) < scenario.refund_rate
                log.add(
                    tb[mask][refund] + rng.integers(1, 10, int(refund.sum())) * DAY,
                    C[ch_name],
                    A["refund"],
                    who[refund],
                    product=product[mask][refund],
                    value=value[mask][refund],
                    parent_event=ids[refund],
                )

    return Simulation(
        world,
        scenario,
        days,
        log,
        posts,
        campaigns,
        brand_follows,
        agenda.emphasis,
        agenda.salience,
        {ch: np.flatnonzero(f) for ch, f in follows.items()},
        {ch: np.flatnonzero(m) for ch, m in community.items()},
        agenda,
        mentions,
    )
