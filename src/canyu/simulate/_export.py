"""Writing a simulation as the files a brand would really have, plus the ground truth.

Person-level events go to ``events.csv`` (the collector's format, contract
headers); shop orders and refunds to Tmall-style exports in GB18030 with
Chinese headers; daily per-content figures to one export per platform with
the platforms' Chinese headers (per-day deltas). Everything is loaded through
the real importer with the shipped mappings.

The events stay integer columns until a batch of rows is written: strings are
made by Arrow (takes from small lookup tables, integer casts, joins) for a
million rows at a time and written with Arrow's CSV writer, so memory does not
grow with the size of the simulation. Aggregates (content figures, campaign
impressions) are counted with ``np.bincount`` over the same batches.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from canyu.simulate._engine import ACTIONS, DAY, Simulation
from canyu.simulate._ids import ChannelIds, draw_phones, phone_strings
from canyu.simulate._text import POSITIVE_SHARE, TOPICS, compose_texts, repost_texts, titles
from canyu.simulate._truth import lifecycle, truth, write_truth_tables
from canyu.simulate._world import CHANNELS, GRAPH_OF, SOCIAL

__all__ = ["FILES", "TEXT_FILES", "write_files"]

# file -> (table, mapping) in import order
FILES: dict[str, tuple[str, str | None]] = {
    "products.csv": ("products", None),
    "campaigns.csv": ("campaigns", None),
    "contents.csv": ("contents", None),
    "spend.csv": ("spend", None),
    "follows.csv": ("follows", None),
    "identity_links.csv": ("identity_links", None),
    "phone_links.csv": ("identity_links", "phone_links"),
    "events.csv": ("events", "generic_events"),
    "orders_tmall.csv": ("events", "tmall_orders"),
    "refunds_tmall.csv": ("events", "tmall_refunds"),
    "wechat_article_daily.csv": ("content_stats", "wechat_article_daily"),
    "weibo_daily.csv": ("content_stats", "weibo_daily"),
    "douyin_daily.csv": ("content_stats", "douyin_daily"),
    "xiaohongshu_daily.csv": ("content_stats", "xiaohongshu_daily"),
}

# the files a continuation writes (the others stay those of the world's first period)
CONTINUATION_FILES = tuple(
    name for name in FILES if name not in ("follows.csv", "identity_links.csv", "phone_links.csv")
)
BRAND_ACCOUNT = {ch: f"brand_{ch}" for ch in CHANNELS}
CHUNK = 1_000_000  # rows built and written at a time
A = {a: i for i, a in enumerate(ACTIONS)}
C = {c: i for i, c in enumerate(CHANNELS)}
_CSV = pacsv.WriteOptions(quoting_style="needed")
_CHANNEL_NAMES = pa.array(CHANNELS, pa.string())
_ACTION_NAMES = pa.array(ACTIONS, pa.string())
_ACCOUNTS = pa.array([BRAND_ACCOUNT[c] for c in CHANNELS], pa.string())
_TOPIC_NAMES = pa.array(TOPICS, pa.string())
# The texts of the audience: written to mentions.csv (a comment / listening export, topic-free) and,
# for events, into their props; their topic and sentiment only to truth_texts.parquet.
TEXT_FILES: dict[str, tuple[str, str | None]] = {"mentions.csv": ("mentions", "generic_mentions")}
_URL = {
    "weibo": "https://weibo.com",
    "douyin": "https://www.douyin.com/note",
    "xiaohongshu": "https://www.xiaohongshu.com/explore",
    "qzone": "https://user.qzone.qq.com",
}


@dataclass(frozen=True)
class _Texts:
    """Every text of the audience: events with a topic first (in log order), then public mentions."""

    event_rows: np.ndarray  # log rows of the events with a text
    index: np.ndarray  # per log row: its text's position, -1 for none
    text: pa.Array
    topic: np.ndarray
    sentiment: np.ndarray
    props: pa.Array  # {"topic", "text"} JSON of the events' texts (kept in props as before)


def _draw_texts(sim: Simulation, cols: dict[str, np.ndarray], ids: ChannelIds, seed: int) -> _Texts:
    """Texts and sentiments from their own generator, so the other files do not depend on them."""
    rng = np.random.default_rng([seed, 2])
    rows = np.flatnonzero(cols["topic"] >= 0)
    index = np.full(len(cols["topic"]), -1, dtype=np.int64)
    index[rows] = np.arange(len(rows))
    m = sim.mentions.columns()
    topic = np.concatenate([cols["topic"][rows], m["topic"]]).astype(np.int64)
    p_positive = None
    sc = sim.scenario
    if sc.crisis_start >= 0:  # the crisis topic's texts during the crisis are mostly negative
        day = np.concatenate([cols["t"][rows], m["t"]]) // DAY
        p_positive = np.array([POSITIVE_SHARE[t] for t in TOPICS])[topic]
        hit = sim.agenda.in_crisis(day) & (topic == TOPICS.index(sc.crisis_topic))
        p_positive[hit] = sc.crisis_positive_share
    text, sentiment = compose_texts(rng, topic, p_positive=p_positive)
    # reposts: a reaction, ``//@author:`` and the parent's text (whole chains), with the parent's sentiment
    parent = m["parent"]
    if (parent >= 0).any():
        at = len(rows)
        authors = ids.on(m["ch"], m["person"])
        depth = np.zeros(len(parent), dtype=np.int64)
        for i in np.flatnonzero(parent >= 0):  # parents come first, so one pass sets every depth
            depth[i] = depth[parent[i]] + 1
        for level in range(1, int(depth.max()) + 1):
            child = np.flatnonzero(depth == level)
            par = parent[child]
            new = repost_texts(rng, authors.take(pa.array(par)), text.take(pa.array(at + par)))
            mask = np.zeros(len(topic), dtype=bool)
            mask[at + child] = True
            text = pc.replace_with_mask(text, pa.array(mask), new)
            sentiment[at + child] = sentiment[at + par]
    head = text.slice(0, len(rows))
    props = pc.binary_join_element_wise(
        '{"topic":"', _TOPIC_NAMES.take(pa.array(topic[: len(rows)])), '","text":"', head, '"}', ""
    )
    return _Texts(rows, index, text, topic, sentiment, props)


@dataclass(frozen=True)
class _Export:
    """What the writing steps share: the simulation, its events as columns, ids and the export's generator."""

    sim: Simulation
    out: Path
    start: dt.date
    rng: np.random.Generator
    cols: dict[str, np.ndarray]
    ids: ChannelIds
    phones: np.ndarray  # each person's phone number, as an integer
    texts: _Texts
    post_ids: list[str]
    days: int  # day indices with a date: the period and 15 days more, or through the last event's day

    @property
    def n(self) -> int:
        return len(self.cols["t"])

    def chunks(self) -> Iterator[slice]:
        """The event log in runs of ``CHUNK`` rows (one empty run for an empty log).

        A continuation's files hold only the events it added: the log's rows from ``sim.first_row``.
        """
        first = self.sim.first_row
        for lo in range(first, max(self.n, first + 1), CHUNK):
            yield slice(lo, min(lo + CHUNK, self.n))

    def dates(self) -> pa.Array:
        """'YYYY-MM-DD' of each day index."""
        return pa.array(
            [(self.start + dt.timedelta(days=d)).isoformat() for d in range(self.days)], pa.string()
        )


class _CsvFile:
    """A CSV file written a table at a time: the same bytes as writing all its rows as one table."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pacsv.CSVWriter | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            self._writer = pacsv.CSVWriter(self.path, table.schema, write_options=_CSV)
        self._writer.write_table(table)

    def __enter__(self) -> _CsvFile:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._writer is not None:
            self._writer.close()


def _write_csv(path: Path, table: pa.Table, *, encoding: str = "utf-8") -> None:
    if encoding == "utf-8":
        pacsv.write_csv(table, path, write_options=_CSV)
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=_CSV)
    path.write_bytes(sink.getvalue().to_pybytes().decode("utf-8").encode(encoding))


def _local_times(start: dt.date, seconds: np.ndarray) -> pa.Array:
    """Local times as 'YYYY-MM-DD HH:MM:SS' (a cast: several times faster than strftime)."""
    base = np.datetime64(start.isoformat(), "s")
    return pc.cast(pa.array(base + seconds.astype("timedelta64[s]")), pa.string())


def _masked(index: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Take indices, null where not ``valid`` (a take with a null index gives null)."""
    return pa.array(np.where(valid, index, 0), mask=~valid)


def _numbered(prefix: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """``prefix`` and the number, as strings (null where not ``valid``)."""
    nums = pa.array(numbers, mask=None if valid is None else ~valid)
    return pc.binary_join_element_wise(prefix, pc.cast(nums, pa.string()), "")


def _prepare(sim: Simulation, out: Path, *, seed: int, start: dt.date) -> _Export:
    rng = np.random.default_rng([seed, 1])
    ids = ChannelIds.draw(rng, sim.world.n)
    phones = draw_phones(rng, sim.world.n)
    cols = sim.log.columns()
    texts = _draw_texts(sim, cols, ids, seed)  # drawn once for all events: batches change nothing
    post_ids = [f"{p.channel}_{p.day:03d}_{p.content:05d}" for p in sim.posts]
    last_day = int(cols["t"].max()) // DAY if len(cols["t"]) else 0
    return _Export(sim, out, start, rng, cols, ids, phones, texts, post_ids, max(sim.days + 15, last_day + 1))


def _event_table(ex: _Export, rows: np.ndarray) -> pa.Table:
    """The events ``rows`` (row numbers of the log) as the collector's file has them."""
    c = ex.cols
    ch = c["ch"][rows]
    content, campaign, product = c["content"][rows], c["campaign"][rows], c["product"][rows]
    parent_person, parent_event, text = (
        c["parent_person"][rows],
        c["parent_event"][rows],
        ex.texts.index[rows],
    )
    has_content = content >= 0
    post_names = pa.array(ex.post_ids or [""], pa.string())
    campaign_names = pa.array([str(x["campaign_id"]) for x in ex.sim.campaigns] or [""], pa.string())
    return pa.table(
        {
            "event_id": _numbered("ev", rows),
            "ts": _local_times(ex.start, c["t"][rows]),
            "channel": _CHANNEL_NAMES.take(pa.array(ch)),
            "action": _ACTION_NAMES.take(pa.array(c["act"][rows])),
            "user_id": ex.ids.on(ch, c["person"][rows]),
            "account_id": _ACCOUNTS.take(_masked(ch, has_content)),
            "content_id": post_names.take(_masked(content, has_content)),
            "campaign_id": campaign_names.take(_masked(campaign, campaign >= 0)),
            "parent_user_id": ex.ids.on(ch, parent_person, valid=parent_person >= 0),
            "parent_event_id": _numbered("ev", parent_event, parent_event >= 0),
            "product_id": pa.array(ex.sim.world.product_names, pa.string()).take(
                _masked(product, product >= 0)
            ),
            "value": pa.array(np.round(c["value"][rows], 2), from_pandas=True),
            "props": ex.texts.props.take(_masked(text, text >= 0)),
        }
    )


def _shop(ex: _Export, part: slice) -> np.ndarray:
    """Which events of ``part`` are the shop's orders and refunds (written to the Tmall exports)."""
    act = ex.cols["act"][part]
    return (ex.cols["ch"][part] == C["ecommerce"]) & ((act == A["purchase"]) | (act == A["refund"]))


def _write_events(ex: _Export) -> None:
    """events.csv: every event but the shop's orders and refunds."""
    with _CsvFile(ex.out / "events.csv") as f:
        for part in ex.chunks():
            f.write(_event_table(ex, part.start + np.flatnonzero(~_shop(ex, part))))


def _write_shop(ex: _Export) -> None:
    """Tmall orders and refunds (GB18030, Chinese headers, phone numbers in clear as the shop exports them)."""
    c = ex.cols
    shop = np.concatenate([part.start + np.flatnonzero(_shop(ex, part)) for part in ex.chunks()])
    p_idx = shop[c["act"][shop] == A["purchase"]]
    p_ev = _event_table(ex, p_idx)
    orders = pa.table(
        {
            "订单编号": _numbered("3", p_idx + 10**17),
            "买家会员名": p_ev.column("user_id"),
            "联系手机": phone_strings(ex.phones[c["person"][p_idx]]),
            "买家实际支付金额": pa.array(np.round(c["value"][p_idx], 2)),
            "订单状态": pa.repeat("交易成功", len(p_idx)),
            "订单创建时间": _local_times(ex.start, c["t"][p_idx] - 120),
            "订单付款时间": p_ev.column("ts"),
            "宝贝标题": p_ev.column("product_id"),
        }
    )
    _write_csv(ex.out / "orders_tmall.csv", orders, encoding="gb18030")
    r_idx = shop[c["act"][shop] == A["refund"]]
    r_ev = _event_table(ex, r_idx)
    refunds = pa.table(
        {
            "退款编号": _numbered("R", r_idx),
            "订单编号": _numbered("3", c["parent_event"][r_idx] + 10**17),
            "买家会员名": r_ev.column("user_id"),
            "买家退款金额": pa.array(np.round(c["value"][r_idx], 2)),
            "退款完结时间": r_ev.column("ts"),
            "宝贝标题": r_ev.column("product_id"),
        }
    )
    _write_csv(ex.out / "refunds_tmall.csv", refunds, encoding="gb18030")


# the platforms' daily content exports: Chinese header -> what it counts
_STAT_HEADERS: dict[str, dict[str, str]] = {
    "wechat_oa": {
        "日期": "date",
        "msgid": "id",
        "送达人数": "expose",
        "阅读人数": "view",
        "分享人数": "share",
        "收藏人数": "collect",
        "点赞人数": "like",
        "留言数": "comment",
        "阅读后关注人数": "follow",
    },
    "weibo": {
        "日期": "date",
        "微博ID": "id",
        "阅读数": "view",
        "转发数": "share",
        "评论数": "comment",
        "点赞数": "like",
        "涨粉数": "follow",
    },
    "douyin": {
        "日期": "date",
        "作品ID": "id",
        "播放量": "view",
        "点赞量": "like",
        "评论量": "comment",
        "分享量": "share",
        "收藏量": "collect",
        "粉丝增量": "follow",
    },
    "xiaohongshu": {
        "日期": "date",
        "笔记ID": "id",
        "曝光": "expose",
        "观看量": "view",
        "点赞": "like",
        "评论": "comment",
        "收藏": "collect",
        "分享": "share",
        "涨粉": "follow",
    },
}
_STAT_FILE = {
    "wechat_oa": "wechat_article_daily.csv",
    "weibo": "weibo_daily.csv",
    "douyin": "douyin_daily.csv",
    "xiaohongshu": "xiaohongshu_daily.csv",
}
_STATS = ("expose", "view", "like", "comment", "collect", "share", "follow")


def _content_counts(ex: _Export) -> tuple[np.ndarray, np.ndarray]:
    """Each (day, post) pair with any event on the post, as ``day * posts + post``, and its count of each of ``_STATS``."""
    n_posts = len(ex.sim.posts)
    if n_posts == 0:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(_STATS)), dtype=np.int64)
    width = len(_STATS) + 1  # the last slot counts the other actions
    slot = np.full(len(ACTIONS), len(_STATS), dtype=np.int64)
    slot[[A[a] for a in _STATS]] = np.arange(len(_STATS))
    size = ex.days * n_posts * width  # small (about a million for 90 days): counted by bincount
    flat = np.zeros(size, dtype=np.int64)
    for part in ex.chunks():
        content = ex.cols["content"][part]
        on = content >= 0
        day = ex.cols["t"][part][on] // DAY
        flat += np.bincount(
            (day * n_posts + content[on]) * width + slot[ex.cols["act"][part][on]], minlength=size
        )
    counts = flat.reshape(-1, width)
    keys = np.flatnonzero(counts.any(axis=1))
    return keys, counts[keys, : len(_STATS)]


def _write_content_stats(ex: _Export) -> None:
    """content_stats per platform: per-day deltas counted from the person-level events."""
    keys, counts = _content_counts(ex)
    n_posts = max(len(ex.sim.posts), 1)
    stat_day, stat_post = keys // n_posts, keys % n_posts
    post_channel = np.array([p.channel for p in ex.sim.posts] or [""], dtype=object)[stat_post]
    dates, post_ids = ex.dates(), pa.array(ex.post_ids, pa.string())
    for platform, header in _STAT_HEADERS.items():
        m = np.flatnonzero(post_channel == platform)
        data: dict[str, pa.Array] = {}
        for zh, src in header.items():
            if src == "date":
                data[zh] = dates.take(pa.array(stat_day[m]))
            elif src == "id":
                data[zh] = post_ids.take(pa.array(stat_post[m]))
            else:
                data[zh] = pa.array(counts[m, _STATS.index(src)])
        _write_csv(ex.out / _STAT_FILE[platform], pa.table(data))


def _write_catalogue(ex: _Export) -> None:
    """contents.csv, campaigns.csv and products.csv."""
    sim, start, w = ex.sim, ex.start, ex.sim.world
    posts = sim.posts
    topic_of_post = np.array([p.topic for p in posts], dtype=np.int64)
    contents = pa.table(
        {
            "content_id": pa.array(ex.post_ids, pa.string()),
            "channel": pa.array([p.channel for p in posts], pa.string()),
            "account_id": pa.array([BRAND_ACCOUNT[p.channel] for p in posts], pa.string()),
            "published_at": _local_times(start, np.array([p.t for p in posts], dtype=np.int64)),
            "kind": pa.array([p.kind for p in posts], pa.string()),
            "title": pa.array(titles(ex.rng, topic_of_post), pa.string()),
            "campaign_id": pa.array(
                [str(sim.campaigns[p.campaign]["campaign_id"]) if p.campaign >= 0 else None for p in posts],
                pa.string(),
            ),
            "cost": pa.array(np.round(ex.rng.gamma(2.0, 400.0, len(posts)), 2)),
        }
    )
    _write_csv(ex.out / "contents.csv", contents.slice(sim.first_post))
    campaigns = pa.table(
        {
            "campaign_id": [str(c["campaign_id"]) for c in sim.campaigns],
            "name": [str(c["name"]) for c in sim.campaigns],
            "kind": [str(c["kind"]) for c in sim.campaigns],
            "starts": [
                (start + dt.timedelta(days=int(c["start"]))).isoformat() + " 00:00:00" for c in sim.campaigns
            ],  # type: ignore[call-overload]
            "ends": [
                (start + dt.timedelta(days=int(c["end"]))).isoformat() + " 23:59:59" for c in sim.campaigns
            ],  # type: ignore[call-overload]
            "budget": [float(c["budget"]) for c in sim.campaigns],  # type: ignore[arg-type]
        }
    )
    _write_csv(ex.out / "campaigns.csv", campaigns.slice(sim.first_campaign))
    hits = set(w.hit_products.tolist())
    products = pa.table(
        {
            "product_id": w.product_names,
            "name": w.product_names,
            "category": ["爆品" if i in hits else "常规" for i in range(len(w.product_names))],
            "price": w.prices.astype(float),
        }
    )
    _write_csv(ex.out / "products.csv", products)


def _write_spend(ex: _Export) -> None:
    """spend.csv: paid spend per day, channel and campaign (always-on promotion has no campaign), with the
    paid exposures it bought (the day's paid exposures of the channel, split in proportion to the amounts).
    """
    sim = ex.sim
    dates = ex.dates().to_pylist()
    rows: dict[str, list[Any]] = {
        "date": [],
        "channel": [],
        "campaign_id": [],
        "amount": [],
        "impressions": [],
    }
    spend_rows = [r for r in sim.spend_rows if r[0] >= sim.start_day]
    totals: dict[tuple[int, str], float] = {}
    for day, chan, _, amount in spend_rows:
        totals[day, chan] = totals.get((day, chan), 0.0) + amount
    given: dict[tuple[int, str], int] = {}
    counts: dict[tuple[int, str], int] = {}
    for day, chan, _, _ in spend_rows:
        counts[day, chan] = counts.get((day, chan), 0) + 1
    for day, chan, camp, amount in spend_rows:
        key = (day, chan)
        paid = int(sim.paid_impressions[day, SOCIAL.index(chan)])
        counts[key] -= 1
        share = paid - given.get(key, 0) if counts[key] == 0 else round(paid * amount / totals[key])
        given[key] = given.get(key, 0) + share
        rows["date"].append(dates[day])
        rows["channel"].append(chan)
        rows["campaign_id"].append(str(sim.campaigns[camp]["campaign_id"]) if camp >= 0 else None)
        rows["amount"].append(round(amount, 2))
        rows["impressions"].append(share)
    table = pa.table(
        rows,
        schema=pa.schema(
            [
                ("date", pa.string()),
                ("channel", pa.string()),
                ("campaign_id", pa.string()),
                ("amount", pa.float64()),
                ("impressions", pa.int64()),
            ]
        ),
    )
    _write_csv(ex.out / "spend.csv", table)


def _follows_table(chan: str, follower: pa.Array, followee: pa.Array, ts: pa.Array) -> pa.Table:
    return pa.table(
        {
            "channel": pa.repeat(chan, len(follower)),
            "follower_id": follower,
            "followee_id": followee,
            "ts": ts,
        }
    )


def _write_follows(ex: _Export) -> None:
    """follows.csv: brand follows, and the platform graph among people who met the brand there."""
    w, c, ids = ex.sim.world, ex.cols, ex.ids
    met = np.zeros((len(CHANNELS), w.n), dtype=bool)  # people who did more than see an impression there
    for part in ex.chunks():
        on = c["act"][part] != A["expose"]
        met[c["ch"][part][on], c["person"][part][on]] = True
    with _CsvFile(ex.out / "follows.csv") as f:
        for chan, who, t in ex.sim.brand_follows:
            f.write(
                _follows_table(
                    chan,
                    ids.of(chan, who),
                    pa.repeat(BRAND_ACCOUNT[chan], len(who)),
                    _local_times(ex.start, t),
                )
            )
        for chan in ("weibo", "douyin", "xiaohongshu", "forum"):
            g = w.graphs[GRAPH_OF[chan]]
            on = met[C[chan]]
            followee = g.followee
            keep = on[g.follower] & on[followee]
            follower, followee = g.follower[keep], followee[keep]
            del keep
            followee_ids = ids.all(chan)  # taken in person order (the followers' ids are not: made by ``of``)
            ts = ex.rng.integers(-720 * DAY, -DAY, len(follower))
            for lo in range(0, max(len(follower), 1), CHUNK):
                part = slice(lo, lo + CHUNK)
                f.write(
                    _follows_table(
                        chan,
                        ids.of(chan, follower[part]),
                        followee_ids.take(pa.array(followee[part])),
                        _local_times(ex.start, ts[part]),
                    )
                )


def _links_table(channel_a: str, user_a: pa.Array, channel_b: str, user_b: pa.Array, kind: str) -> pa.Table:
    k = len(user_a)
    return pa.table(
        {
            "channel_a": pa.repeat(channel_a, k),
            "user_a": user_a,
            "channel_b": pa.repeat(channel_b, k),
            "user_b": user_b,
            "kind": pa.repeat(kind, k),
        }
    )


def _write_identity_links(ex: _Export) -> None:
    """identity_links.csv: the WeChat unionid joins OA, mini program and WeCom ids; members bind social accounts.

    phone_links.csv: phone numbers join WeCom contacts and shop buyers.
    """
    w, ids, rng = ex.sim.world, ex.ids, ex.rng
    wechat = np.flatnonzero(w.member["wechat_oa"] & (rng.random(w.n) < 0.8))
    with _CsvFile(ex.out / "identity_links.csv") as f:
        for other in ("mini_program", "wecom"):
            f.write(
                _links_table(
                    "wechat_oa", ids.of("wechat_oa", wechat), other, ids.of(other, wechat), "unionid"
                )
            )
        # members who bound a social account to their WeChat membership (会员绑定), 40% of those who could
        for social in ("weibo", "douyin", "xiaohongshu", "qzone", "forum"):
            bound = np.flatnonzero(w.member[social] & w.member["wechat_oa"] & (rng.random(w.n) < 0.4))
            f.write(
                _links_table(social, ids.of(social, bound), "wechat_oa", ids.of("wechat_oa", bound), "bind")
            )
    c = ex.cols
    buyers = np.zeros(w.n, dtype=bool)
    for part in ex.chunks():
        on = (c["ch"][part] == C["ecommerce"]) & (c["act"][part] == A["purchase"])
        buyers[c["person"][part][on]] = True
    buyers = np.flatnonzero(buyers)
    wecom_phone = np.flatnonzero(w.member["wecom"] & (rng.random(w.n) < 0.5))
    shop_phone = buyers[rng.random(len(buyers)) < 0.9]
    with _CsvFile(ex.out / "phone_links.csv") as f:
        for chan, who in (("wecom", wecom_phone), ("ecommerce", shop_phone)):
            f.write(
                pa.table(
                    {
                        "channel": pa.repeat(chan, len(who)),
                        "user_id": ids.of(chan, who),
                        "phone": phone_strings(ex.phones[who]),
                    }
                )
            )


def _write_mentions(ex: _Export) -> None:
    """mentions.csv (comments on the brand's posts, community posts and replies, public mentions) and
    truth_texts.parquet (each text's topic and sentiment; the brand's posts' topics).
    """
    c, tx, m = ex.cols, ex.texts, ex.sim.mentions.columns()
    rows = tx.event_rows
    n_ev, n_mn = len(rows), len(m["t"])
    content, pe = c["content"][rows], c["parent_event"][rows]
    post_names = pa.array(ex.post_ids or [""], pa.string())
    ev_parent = pc.coalesce(post_names.take(_masked(content, content >= 0)), _numbered("ev", pe, pe >= 0))
    mn_ids = _numbered("mn", np.arange(n_mn))
    mn_ch = [CHANNELS[i] for i in range(len(CHANNELS))]
    authors = ex.ids.on(m["ch"], m["person"])
    url_base = pa.array([_URL.get(ch, "") for ch in mn_ch], pa.string()).take(pa.array(m["ch"]))
    table = pa.table(
        {
            "mention_id": pa.concat_arrays([_numbered("ev", rows), mn_ids]),
            "ts": _local_times(ex.start, np.concatenate([c["t"][rows], m["t"]])),
            "channel": _CHANNEL_NAMES.take(pa.array(np.concatenate([c["ch"][rows], m["ch"]]))),
            "author_id": pa.concat_arrays([ex.ids.on(c["ch"][rows], c["person"][rows]), authors]),
            "text": tx.text,
            "parent_id": pa.concat_arrays(
                [ev_parent, _numbered("mn", m["parent"], m["parent"] >= 0).cast(pa.string())]
            ),
            "url": pa.concat_arrays(
                [pa.nulls(n_ev, pa.string()), pc.binary_join_element_wise(url_base, authors, mn_ids, "/")]
            ),
            "likes": pa.array(
                np.concatenate([np.zeros(n_ev, np.int64), ex.rng.geometric(0.3, n_mn) - 1]),
                mask=np.r_[np.ones(n_ev, bool), np.zeros(n_mn, bool)],
            ),
            "reposts": pa.array(
                np.concatenate(
                    [np.zeros(n_ev, np.int64), np.bincount(m["parent"][m["parent"] >= 0], minlength=n_mn)]
                ),
                mask=np.r_[np.ones(n_ev, bool), np.zeros(n_mn, bool)],
            ),
            "source": pa.concat_arrays(
                [
                    pa.array(np.where(content >= 0, "comments", "community"), pa.string()),
                    pa.repeat("listening", n_mn),
                ]
            ),
        }
    )
    keep = np.r_[rows >= ex.sim.first_row, np.arange(n_mn) >= ex.sim.first_mention]
    order = np.argsort(np.concatenate([c["t"][rows], m["t"]]), kind="stable")
    order = order[keep[order]]  # a continuation writes only the texts it added
    _write_csv(ex.out / "mentions.csv", table.take(pa.array(order)))
    topic_of_post = np.array([p.topic for p in ex.sim.posts], dtype=np.int64)
    truth_texts = pa.table(
        {
            "text_id": pa.concat_arrays(
                [table.column("mention_id").combine_chunks(), pa.array(ex.post_ids, pa.string())]
            ),
            "kind": pa.concat_arrays(
                [table.column("source").combine_chunks(), pa.repeat("brand_post", len(ex.post_ids))]
            ),
            "topic": _TOPIC_NAMES.take(pa.array(np.concatenate([tx.topic, topic_of_post]))),
            "sentiment": pa.array(
                np.concatenate([tx.sentiment, np.zeros(len(topic_of_post), np.int8)]),
                mask=np.r_[np.zeros(len(tx.topic), bool), np.ones(len(topic_of_post), bool)],
            ),
        }
    )
    import pyarrow.parquet as pq

    pq.write_table(
        truth_texts, ex.out / "truth_texts.parquet", row_group_size=CHUNK
    )  # a group per batch, like events


# The files besides events.csv, in the order they are written (the order the export's generator is drawn in).
STEPS = (
    _write_shop,
    _write_content_stats,
    _write_catalogue,
    _write_spend,
    _write_follows,
    _write_identity_links,
    _write_mentions,
)


def write_files(sim: Simulation, out: Path, *, seed: int, start: dt.date, dirty: bool) -> dict[str, Any]:
    """Write every file of the simulation into ``out``; return the ground truth (also written to truth.json)."""
    out.mkdir(parents=True, exist_ok=True)
    ex = _prepare(sim, out, seed=seed, start=start)
    # events.csv, the largest file, is written on a second thread while the other files and the truth
    # are: both spend their time in numpy and Arrow, which release the GIL. It draws nothing from the
    # generator and no other step touches it, so the bytes do not depend on the timing.
    continued = sim.first_row > 0
    with ThreadPoolExecutor(max_workers=1) as pool:
        events = pool.submit(_write_events, ex)
        for step in STEPS:
            if continued and step in (_write_follows, _write_identity_links):
                continue  # a continuation's people and graphs are the world's: those files do not change
            step(ex)
        stage = lifecycle(sim, ex.cols)
        write_truth_tables(sim, stage, ex.ids, ex.cols, out)
        dirty_rows = {name: len(rows) for name, rows in _DIRTY.items()} if dirty else {}
        found = truth(sim, stage, ex.ids, seed=seed, start=start, dirty_rows=dirty_rows)
        events.result()
    if dirty:
        _inject_dirty(out)
    (out / "truth.json").write_text(
        json.dumps(found, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    return found


_DIRTY_EVENTS = (
    "dirty1,2026-02-30 10:00:00,weibo,view,wb1,,,,,,,,",
    "dirty2,2026-08-02 10:00:00,weibo,stare,wb2,,,,,,,,",
    "dirty3,2026-08-02 10:00:00,myspace,view,wb3,,,,,,,,",
    "dirty4,2026-08-02 10:00:00,weibo,view,,,,,,,,,",
    "dirty5,2026-08-02 10:00:00,mini_program,purchase,mp1,,,,,,,12.3.4,",
    "dirty6,2026-08-02 10:00:00,weibo",
    "dirty7,2026-08-02 10:00:00,weibo,view,wb7,,,,,,,,,,extra",
)
_DIRTY_ORDERS = (
    "300000000000000001,tb_bad,13800000000,abc,交易成功,2026-08-03 10:00:00,2026-08-03 10:05:00,型号A",
)


_DIRTY = {"events.csv": _DIRTY_EVENTS, "orders_tmall.csv": _DIRTY_ORDERS}


def _inject_dirty(out: Path) -> None:
    """Append rows that must all be quarantined (``_DIRTY``)."""
    with open(out / "events.csv", "a", encoding="utf-8") as fh:
        fh.write("\n".join(_DIRTY_EVENTS) + "\n")
    with open(out / "orders_tmall.csv", "ab") as fb:
        fb.write(("\n".join(_DIRTY_ORDERS) + "\n").encode("gb18030"))
