"""Scenarios: named parameter sets for the simulated brand.

Each knob is a documented number; a scenario changes a few of them and says
what it should do to the data (the tests check each one does).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Final

from canyu.errors import CanyuError, UnknownNameError
from canyu.simulate._text import TOPICS

__all__ = [
    "AGENDA_LEADERS",
    "SCENARIOS",
    "ChannelParams",
    "Scenario",
    "ScenarioError",
    "check_scenario",
    "get_scenario",
]


@dataclass(frozen=True)
class ChannelParams:
    """How one brand channel behaves. The channel's role emerges from these numbers."""

    members: float  # share of people with an account on the platform
    posts_per_day: float  # brand posts (articles, videos, notes, threads, group messages)
    follower_reach: float  # share of brand followers exposed to a post
    discovery_reach: float  # share of non-following members exposed (recommendation feeds)
    view: float  # base probability that an exposure becomes a view
    engage: float  # base probability that a view becomes a like/comment/collect
    share: float  # base probability that a view becomes a share
    edge_p: float  # mean true spread probability along the platform graph
    follow: float  # probability that a view by a non-follower becomes a follow
    message: float  # daily probability that a follower with intent messages the brand
    reply_rate: float  # share of messages the brand answers
    reply_minutes: float  # median response time
    join: float  # probability that an engaged follower joins the community (forum/wecom)
    community_post: float  # daily probability that a community member posts
    effect: float  # true incremental daily purchase probability of a touch in the last 7 days
    initial_followers: float  # share of members following the brand at the start
    directed: bool = True  # follow graph (True) or friend graph (False)
    out_degree: float = 25.0  # mean accounts a member follows (or friends)
    # paid promotion (docs/simulate.md, "Spend"): always-on spend and the curve it buys exposures on
    spend: float = 0.0  # always-on paid spend, yuan per day per 1,000 people of the population
    paid_reach: float = 0.0  # the most of the channel's members paid promotion reaches in a day (saturation)
    paid_half: float = 10.0  # adstocked daily spend (yuan per 1,000 people) that reaches half of paid_reach
    paid_shape: float = 1.0  # Hill slope (unused by the logistic curve)
    paid_decay: float = 0.4  # geometric adstock: the share of yesterday's adstocked spend carried over
    paid_curve: str = "hill"  # saturation form: "hill" or "logistic"


def _ch(**kw: float | bool | str) -> ChannelParams:
    base: dict[str, float | bool | str] = dict(
        members=0.5,
        posts_per_day=1.0,
        follower_reach=0.25,
        discovery_reach=0.002,
        view=0.25,
        engage=0.15,
        share=0.02,
        edge_p=0.03,
        follow=0.01,
        message=0.0005,
        reply_rate=0.3,
        reply_minutes=240.0,
        join=0.0,
        community_post=0.0,
        effect=0.0005,
        initial_followers=0.06,
    )
    base.update(kw)
    return ChannelParams(**base)  # type: ignore[arg-type]


# The playbook's healthy set-up: Weibo/QZone/Douyin/Xiaohongshu spread, WeChat serves one-to-one,
# the forum keeps core users, the shop converts.
_DEFAULT_CHANNELS: dict[str, ChannelParams] = {
    "weibo": _ch(
        spend=2.0,
        paid_reach=0.06,
        paid_half=4.0,
        paid_decay=0.3,
        members=0.45,
        posts_per_day=3,
        follower_reach=0.18,
        discovery_reach=0.02,
        share=0.05,
        edge_p=0.02,
        follow=0.012,
        message=0.0001,
        reply_rate=0.15,
        effect=0.0006,
        out_degree=20,
    ),
    "qzone": _ch(
        spend=1.0,
        paid_reach=0.04,
        paid_half=3.0,
        paid_decay=0.4,
        members=0.3,
        posts_per_day=1,
        follower_reach=0.2,
        discovery_reach=0.01,
        share=0.04,
        edge_p=0.014,
        message=0.00005,
        reply_rate=0.1,
        effect=0.0003,
        directed=False,
        out_degree=15,
    ),
    "douyin": _ch(
        spend=2.0,
        paid_reach=0.05,
        paid_half=3.5,
        paid_decay=0.5,
        paid_curve="logistic",
        members=0.55,
        posts_per_day=2,
        follower_reach=0.15,
        discovery_reach=0.025,
        view=0.35,
        share=0.03,
        edge_p=0.0175,
        follow=0.015,
        message=0.0001,
        reply_rate=0.2,
        effect=0.0008,
        out_degree=20,
    ),
    "xiaohongshu": _ch(
        spend=2.0,
        paid_reach=0.05,
        paid_half=4.0,
        paid_decay=0.6,
        paid_shape=1.2,
        members=0.35,
        posts_per_day=2,
        follower_reach=0.2,
        discovery_reach=0.015,
        engage=0.22,
        share=0.03,
        edge_p=0.025,
        follow=0.012,
        message=0.0001,
        reply_rate=0.25,
        effect=0.0012,
        out_degree=15,
    ),
    "wechat_oa": _ch(
        spend=0.0,  # a service account: no paid promotion (paid exposures would make it a broadcaster)
        paid_reach=0.0,
        paid_half=3.0,
        paid_decay=0.2,
        members=0.9,
        posts_per_day=1,
        follower_reach=0.12,
        discovery_reach=0.0,
        view=0.3,
        share=0.008,
        edge_p=0.01,
        follow=0.02,
        message=0.008,
        reply_rate=0.85,
        reply_minutes=30.0,
        effect=0.002,
        initial_followers=0.08,
        directed=False,
        out_degree=12,
    ),
    "wecom": _ch(
        members=0.9,
        posts_per_day=0.5,
        follower_reach=0.6,
        discovery_reach=0.0,
        view=0.4,
        engage=0.1,
        share=0.01,
        edge_p=0.01,
        follow=0.0,
        message=0.01,
        reply_rate=0.95,
        reply_minutes=8.0,
        join=0.03,
        community_post=0.01,
        effect=0.004,
        initial_followers=0.01,
        directed=False,
        out_degree=12,
    ),
    "forum": _ch(
        members=0.1,
        posts_per_day=2,
        follower_reach=0.5,
        discovery_reach=0.0,
        view=0.5,
        engage=0.3,
        share=0.01,
        edge_p=0.03,
        follow=0.03,
        message=0.0005,
        reply_rate=0.6,
        reply_minutes=120.0,
        join=0.08,
        community_post=0.05,
        effect=0.0015,
        initial_followers=0.2,
        out_degree=10,
    ),
}

TRUE_ROLES_DEFAULT: dict[str, str] = {
    "weibo": "broadcast",
    "qzone": "broadcast",
    "douyin": "broadcast",
    "xiaohongshu": "broadcast",
    "wechat_oa": "service",
    "wecom": "service",
    "forum": "retention",
    "ecommerce": "conversion",
}


@dataclass(frozen=True)
class Scenario:
    """A simulated brand: its channels, agenda, products and campaigns."""

    name: str
    description: str
    channels: dict[str, ChannelParams] = field(default_factory=lambda: dict(_DEFAULT_CHANNELS))
    true_roles: dict[str, str] = field(default_factory=lambda: dict(TRUE_ROLES_DEFAULT))
    agenda_lag_days: int = 3  # the follower's topics follow the leader's this many days later
    agenda_strength: float = 0.6  # share of the follower's topic weights that follow the leader (0..1)
    agenda_leader: str = "brand"  # "brand": the audience follows the brand; "audience": the brand follows
    agenda_volatility: float = (
        0.6  # sd of the log daily topic weights of the brand's plan and the audience's own agenda
    )
    agenda_persistence: float = 0.7  # AR(1) coefficient of those log weights from one day to the next
    mention_rate: float = 0.05  # daily probability that an online person posts publicly about the category
    crisis_start: int = -1  # day a public-opinion crisis (舆情) starts; -1 for none
    crisis_days: int = 5  # its length: half of the audience's talk is about crisis_topic, mostly negative
    crisis_topic: str = "售后服务"
    crisis_positive_share: float = 0.1  # share of positive texts on the crisis topic during the crisis
    base_purchase: float = 0.0004  # daily purchase probability with no touch, for an average person
    refund_rate: float = 0.08
    launch_day: int = 30  # the hit product's launch (day index)
    launch_share_boost: float = 1.0  # multiplies share probabilities during the launch campaign
    n_products: int = 12
    n_hit_products: int = 2
    spend_noise: float = 0.3  # sd of the log day-to-day multiplier of each channel's always-on spend
    spend_correlation: float = 0.0  # share of that log variance common to all channels (0..1)
    community_half_life: float = 0.0  # days over which community posting halves (0: no decay)


_DEFAULT = Scenario(
    "default", "The playbook set-up: broadcast channels spread, WeChat serves, the forum retains."
)


def _wrong_roles() -> Scenario:
    ch = dict(_DEFAULT_CHANNELS)
    # Weibo is run as a help desk (answers everyone, barely spreads); WeChat OA as a megaphone
    # (mass pushes, few answers); the forum is left alone (nobody joins or stays).
    ch["weibo"] = replace(
        ch["weibo"],
        posts_per_day=0.5,
        follower_reach=0.05,
        discovery_reach=0.0003,
        share=0.005,
        message=0.004,
        reply_rate=0.9,
        reply_minutes=20.0,
    )
    ch["wechat_oa"] = replace(
        ch["wechat_oa"],
        posts_per_day=4,
        follower_reach=0.6,
        discovery_reach=0.2,  # mass pushes and paid promotion to non-followers
        share=0.05,
        edge_p=0.03,
        message=0.0003,
        reply_rate=0.1,
        reply_minutes=1440.0,
    )
    ch["forum"] = replace(
        ch["forum"], posts_per_day=0.3, join=0.002, community_post=0.002, follower_reach=0.05
    )
    roles = dict(TRUE_ROLES_DEFAULT, weibo="service", wechat_oa="broadcast")
    del roles["forum"]  # left idle, the forum plays no role at all: in particular not retention
    return replace(
        _DEFAULT,
        name="wrong-roles",
        description="Weibo answers, WeChat OA broadcasts, the forum is idle.",
        channels=ch,
        true_roles=roles,
    )


def _slow_service() -> Scenario:
    ch = dict(_DEFAULT_CHANNELS)
    # WeChat OA, the planned one-to-one channel, is under-staffed: a third of messages answered,
    # the answers half a day late (median 12 hours instead of 30 minutes).
    ch["wechat_oa"] = replace(ch["wechat_oa"], reply_rate=0.35, reply_minutes=720.0)
    return replace(
        _DEFAULT,
        name="slow-service",
        description="WeChat OA answers 35% of messages, after a median 12 hours (default 85% after 30 minutes).",
        channels=ch,
    )


def _quiet_community() -> Scenario:
    ch = dict(_DEFAULT_CHANNELS)
    # A community must be lively before it can go quiet: the default forum has about 6 members at
    # 1,000 people (10 posts a month), too few for any test to see a decay. Here the forum starts
    # lively (members post 3x as often, engaged followers join 3x as readily), so the plant is
    # visible at 1,000 people as at 50,000; then posting halves every 30 days.
    ch["forum"] = replace(ch["forum"], community_post=0.15, join=0.25)
    return replace(
        _DEFAULT,
        name="quiet-community",
        channels=ch,
        community_half_life=30.0,
        description="A lively community goes quiet: the forum starts with members posting 3x as often as the "
        "default (0.15 a day) and followers joining 3x as readily (0.25), then members' daily posting "
        "probability halves every 30 days (forum and WeCom groups).",
    )


_BASE_SCENARIOS = MappingProxyType(
    {
        "default": _DEFAULT,
        "wrong-roles": _wrong_roles(),
        # x4, twice the x2 of the default's own word-of-mouth campaign (晒单有礼): cascades on every
        # broadcast platform turn supercritical (edge_p x out_degree x 4 = 1.2-1.6 on Weibo, Douyin,
        # Xiaohongshu). At x2.5 they sat at the critical point (about 1.0 on Weibo), so whether the
        # launch went viral was a coin toss at 1,000 people (4.4x the usual sharers in one seed, 11x in another).
        "viral-launch": replace(
            _DEFAULT,
            name="viral-launch",
            launch_share_boost=4.0,
            description="The launch goes viral: share and spread probabilities x4 during the launch campaign "
            "(twice the default's word-of-mouth campaign), so its cascades are supercritical.",
        ),
        "weak-agenda": replace(
            _DEFAULT,
            name="weak-agenda",
            agenda_strength=0.1,
            description="The brand barely moves what its audience talks about (agenda strength 0.1).",
        ),
        "audience-leads": replace(
            _DEFAULT,
            name="audience-leads",
            agenda_leader="audience",
            description="The audience sets the agenda: the brand's posts follow what its audience discussed 3 days "
            "earlier (strength 0.6); the audience does not follow the brand.",
        ),
        "crisis": replace(
            _DEFAULT,
            name="crisis",
            crisis_start=40,
            description="A public-opinion crisis (舆情) on after-sales from day 40 for 5 days: half of the "
            "audience's texts are about 售后服务, 90% of them negative.",
        ),
        "slow-service": _slow_service(),
        "quiet-community": _quiet_community(),
        "no-agenda": replace(
            _DEFAULT,
            name="no-agenda",
            agenda_strength=0.0,
            description="The null: neither side's topics follow the other's (agenda strength 0).",
        ),
    }
)


def _overspent() -> Scenario:
    ch = dict(_DEFAULT_CHANNELS)
    ch["douyin"] = replace(ch["douyin"], spend=20.0)  # ten times the default, far past its half-saturation
    return replace(
        _DEFAULT,
        name="overspent",
        channels=ch,
        description="Douyin's paid spend is ten times the default (20 yuan a day per 1,000 people), far past "
        "its saturation: its ROAS and marginal ROAS are a fraction of the other channels'.",
    )


_SPEND_SCENARIOS = {
    "correlated-spend": replace(
        _DEFAULT,
        name="correlated-spend",
        spend_noise=0.5,
        spend_correlation=0.8,
        description="One marketing calendar drives every channel's paid spend: 80% of the day-to-day "
        "log variance is shared (the confounded case for a media-mix model).",
    ),
    "overspent": _overspent(),
}
SCENARIOS: Final = MappingProxyType({**_BASE_SCENARIOS, **_SPEND_SCENARIOS})

AGENDA_LEADERS = ("brand", "audience")


def get_scenario(name: str, **overrides: object) -> Scenario:
    """The scenario called ``name``, with any of its knobs replaced (``agenda_strength=0.2``, ...).

    Raises
    ------
    UnknownNameError
        For an unknown scenario or knob.
    ScenarioError
        For a knob out of its range.
    """
    if name not in SCENARIOS:
        raise UnknownNameError("scenario", name, tuple(SCENARIOS))
    sc = SCENARIOS[name]
    knobs = tuple(f.name for f in fields(Scenario) if f.name not in ("name", "description"))
    for key in overrides:
        if key not in knobs:
            raise UnknownNameError("scenario knob", key, knobs)
    sc = replace(sc, **overrides) if overrides else sc  # type: ignore[arg-type]
    check_scenario(sc)
    return sc


def check_scenario(sc: Scenario) -> None:
    """Reject agenda knobs out of range, naming the knob and the value."""
    problems: list[tuple[str, object, str]] = []
    if not 0.0 <= float(sc.agenda_strength) <= 1.0:
        problems.append(("agenda_strength", sc.agenda_strength, "0..1"))
    if int(sc.agenda_lag_days) != sc.agenda_lag_days or sc.agenda_lag_days < 1:
        problems.append(("agenda_lag_days", sc.agenda_lag_days, "a whole number of days >= 1"))
    if sc.agenda_leader not in AGENDA_LEADERS:
        problems.append(("agenda_leader", sc.agenda_leader, " / ".join(AGENDA_LEADERS)))
    if not 0.0 <= float(sc.agenda_persistence) < 1.0:
        problems.append(("agenda_persistence", sc.agenda_persistence, "0..1 (1 excluded)"))
    if sc.agenda_volatility < 0 or not 0.0 <= sc.mention_rate <= 1.0:
        problems.append(
            ("agenda_volatility / mention_rate", (sc.agenda_volatility, sc.mention_rate), ">= 0 / 0..1")
        )
    if sc.crisis_topic not in TOPICS:
        problems.append(("crisis_topic", sc.crisis_topic, " / ".join(TOPICS)))
    if sc.crisis_days < 1 or not 0.0 <= sc.crisis_positive_share <= 1.0:
        problems.append(
            ("crisis_days / crisis_positive_share", (sc.crisis_days, sc.crisis_positive_share), ">= 1 / 0..1")
        )
    if not 0.0 <= sc.spend_correlation <= 1.0 or sc.spend_noise < 0:
        problems.append(
            ("spend_correlation / spend_noise", (sc.spend_correlation, sc.spend_noise), "0..1 / >= 0")
        )
    for name, prm in sc.channels.items():
        if prm.paid_curve not in ("hill", "logistic") or not 0.0 <= prm.paid_decay < 1.0 or prm.spend < 0:
            problems.append(
                (
                    f"channels.{name}.paid_curve / paid_decay / spend",
                    (prm.paid_curve, prm.paid_decay, prm.spend),
                    "hill or logistic / 0..1 (1 excluded) / >= 0",
                )
            )
    if sc.community_half_life < 0:
        problems.append(("community_half_life", sc.community_half_life, ">= 0 (0: no decay)"))
    if problems:
        key, value, valid = problems[0]
        raise ScenarioError(
            f"scenario knob {key} = {value!r} is out of range; valid: {valid}",
            message_zh=f"场景参数 {key} = {value!r} 超出范围；有效值：{valid}",
            knob=key,
            value=value,
        )


class ScenarioError(CanyuError):
    """A scenario knob out of its range (``knob``, ``value``)."""

    def __init__(self, message: str, *, knob: str, value: object, message_zh: str | None = None) -> None:
        super().__init__(message, message_zh=message_zh)
        self.knob = knob
        self.value = value
