"""Writing a simulation as the files a brand would really have, plus the ground truth.

Person-level events go to ``events.csv`` (the collector's format, contract
headers); shop orders and refunds to Tmall-style exports in GB18030 with
Chinese headers; daily per-content figures to one export per platform with
the platforms' Chinese headers (per-day deltas). Everything is loaded through
the real importer with the shipped mappings.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from canyu.simulate._engine import ACTIONS, DAY, Simulation
from canyu.simulate._text import TOPICS, comment_texts, titles
from canyu.simulate._world import CHANNELS, GRAPH_OF

__all__ = ["FILES", "write_files"]

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

_PREFIX = {
    "weibo": "wb",
    "qzone": "qq",
    "douyin": "dy",
    "xiaohongshu": "xhs",
    "wechat_oa": "o",
    "wecom": "wm",
    "forum": "fm",
    "mini_program": "mp",
    "ecommerce": "tb_",
}
BRAND_ACCOUNT = {ch: f"brand_{ch}" for ch in CHANNELS}


def _ids(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Channel-scoped ids for each person (a shuffled number per channel, so ids reveal nothing)."""
    out = {}
    for ch, prefix in _PREFIX.items():
        nums = rng.permutation(n) + 10_000_000 * (1 + list(_PREFIX).index(ch))
        out[ch] = np.char.add(prefix, nums.astype(str))
    return out


def _local_times(start: dt.date, seconds: np.ndarray) -> pa.Array:
    """Local times as 'YYYY-MM-DD HH:MM:SS' (a cast: several times faster than strftime)."""
    base = np.datetime64(start.isoformat(), "s")
    return pc.cast(pa.array(base + seconds.astype("timedelta64[s]")), pa.string())


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    second = rng.choice(np.array(list("3456789")), n)
    rest = rng.integers(0, 10**9, n)
    return np.char.add(np.char.add("1", second), np.char.zfill(rest.astype(str), 9))


def _unique(a: np.ndarray) -> np.ndarray:
    """Sorted unique values (sort-based: faster than numpy's hash-based unique on large integer arrays)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


def _write_csv(path: Path, table: pa.Table, *, encoding: str = "utf-8") -> None:
    if encoding == "utf-8":
        pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    path.write_bytes(sink.getvalue().to_pybytes().decode("utf-8").encode(encoding))


def write_files(sim: Simulation, out: Path, *, seed: int, start: dt.date, dirty: bool) -> dict[str, Any]:
    """Write every file of the simulation into ``out``; return the ground truth (also written to truth.json)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 1])
    w, _sc = sim.world, sim.scenario
    ids = _ids(rng, w.n)
    phones = _phones(rng, w.n)
    cols = sim.log.columns()
    n_ev = len(cols["t"])
    ch = cols["ch"].astype(np.int64)
    person = cols["person"].astype(np.int64)
    flat_ids = pa.array(np.concatenate([ids[c] for c in CHANNELS]), pa.string())
    posts = sim.posts
    post_ids = np.array([f"{p.channel}_{p.day:03d}_{p.content:05d}" for p in posts], dtype=object)
    post_names = pa.array(post_ids, pa.string()) if len(posts) else pa.array([""], pa.string())
    camp_names = pa.array([str(c["campaign_id"]) for c in sim.campaigns], pa.string())
    channel_table = pa.array(list(CHANNELS), pa.string())
    action_table = pa.array(list(ACTIONS), pa.string())
    product_names = pa.array(w.product_names, pa.string())
    accounts = pa.array([BRAND_ACCOUNT[c] for c in CHANNELS], pa.string())
    # topics of public discussion, with their text, in props (drawn once, so chunking changes nothing)
    topic = cols["topic"].astype(np.int64)
    t_idx = np.flatnonzero(topic >= 0)
    props_text = np.full(n_ev, None, dtype=object)
    props_text[t_idx] = (
        '{"topic":"'
        + np.array(TOPICS, dtype=object)[topic[t_idx]]
        + '","text":"'
        + comment_texts(rng, topic[t_idx])
        + '"}'
    )
    null = pa.scalar(None, pa.string())

    def event_table(sel: np.ndarray) -> pa.Table:
        """The events ``sel`` (row numbers of the log) as the collector's file has them."""
        c_ch, c_person = ch[sel], person[sel]
        has_parent = cols["parent_person"][sel] >= 0
        parent_user = flat_ids.take(
            pa.array(np.where(has_parent, c_ch * w.n + np.maximum(cols["parent_person"][sel], 0), 0))
        )
        parent_ev = cols["parent_event"][sel]
        has_content = cols["content"][sel] >= 0
        return pa.table(
            {
                "event_id": pc.binary_join_element_wise("ev", pc.cast(pa.array(sel), pa.string()), ""),
                "ts": _local_times(start, cols["t"][sel]),
                "channel": channel_table.take(pa.array(c_ch)),
                "action": action_table.take(pa.array(cols["act"][sel].astype(np.int64))),
                "user_id": flat_ids.take(pa.array(c_ch * w.n + c_person)),
                "account_id": pc.if_else(pa.array(has_content), accounts.take(pa.array(c_ch)), null),
                "content_id": pc.if_else(
                    pa.array(has_content),
                    post_names.take(pa.array(np.maximum(cols["content"][sel], 0))),
                    null,
                ),
                "campaign_id": pc.if_else(
                    pa.array(cols["campaign"][sel] >= 0),
                    camp_names.take(pa.array(np.maximum(cols["campaign"][sel], 0))),
                    null,
                ),
                "parent_user_id": pc.if_else(pa.array(has_parent), parent_user, null),
                "parent_event_id": pc.if_else(
                    pa.array(parent_ev >= 0),
                    pc.binary_join_element_wise(
                        "ev", pc.cast(pa.array(np.maximum(parent_ev, 0)), pa.string()), ""
                    ),
                    null,
                ),
                "product_id": pc.if_else(
                    pa.array(cols["product"][sel] >= 0),
                    product_names.take(pa.array(np.maximum(cols["product"][sel], 0).astype(np.int64))),
                    null,
                ),
                "value": pa.array(np.round(cols["value"][sel], 2), from_pandas=True),
                "props": pa.array(props_text[sel], pa.string()),
            }
        )

    shop = (ch == CHANNELS.index("ecommerce")) & np.isin(
        cols["act"], [ACTIONS.index("purchase"), ACTIONS.index("refund")]
    )
    # Written a million events at a time, so memory does not grow with the size of the simulation.
    collected = np.flatnonzero(~shop)
    writer: pacsv.CSVWriter | None = None
    for part in range(0, max(len(collected), 1), 1_000_000):
        table = event_table(collected[part : part + 1_000_000])
        if writer is None:
            writer = pacsv.CSVWriter(
                out / "events.csv", table.schema, write_options=pacsv.WriteOptions(quoting_style="needed")
            )
        writer.write_table(table)
    if writer is not None:
        writer.close()

    # Tmall orders and refunds (GB18030, Chinese headers, phone numbers in clear as the shop exports them)
    purchase = shop & (cols["act"] == ACTIONS.index("purchase"))
    refund = shop & (cols["act"] == ACTIONS.index("refund"))
    p_idx = np.flatnonzero(purchase)
    p_ev = event_table(p_idx)
    order_no = pc.binary_join_element_wise("3", pc.cast(pa.array(p_idx + 10**17), pa.string()), "")
    created = _local_times(start, cols["t"][p_idx] - 120)
    orders = pa.table(
        {
            "订单编号": order_no,
            "买家会员名": p_ev.column("user_id"),
            "联系手机": pa.array(phones[person[p_idx]], pa.string()),
            "买家实际支付金额": pa.array(np.round(cols["value"][p_idx], 2)),
            "订单状态": pa.array(np.full(len(p_idx), "交易成功", dtype=object), pa.string()),
            "订单创建时间": created,
            "订单付款时间": p_ev.column("ts"),
            "宝贝标题": p_ev.column("product_id"),
        }
    )
    r_idx = np.flatnonzero(refund)
    r_ev = event_table(r_idx)
    parent_order = pc.binary_join_element_wise(
        "3", pc.cast(pa.array(cols["parent_event"][r_idx] + 10**17), pa.string()), ""
    )
    refunds = pa.table(
        {
            "退款编号": pc.binary_join_element_wise("R", pc.cast(pa.array(r_idx), pa.string()), ""),
            "订单编号": parent_order,
            "买家会员名": r_ev.column("user_id"),
            "买家退款金额": pa.array(np.round(cols["value"][r_idx], 2)),
            "退款完结时间": r_ev.column("ts"),
            "宝贝标题": r_ev.column("product_id"),
        }
    )
    _write_csv(out / "orders_tmall.csv", orders, encoding="gb18030")
    _write_csv(out / "refunds_tmall.csv", refunds, encoding="gb18030")

    # content_stats per platform: per-day deltas aggregated from the person-level events
    day = cols["t"] // DAY
    dates = np.array(
        [(start + dt.timedelta(days=int(d))).isoformat() for d in range(sim.days + 15)], dtype=object
    )
    stat_actions = {
        a: ACTIONS.index(a) for a in ("expose", "view", "like", "comment", "collect", "share", "follow")
    }
    with_content = cols["content"] >= 0
    key = np.where(with_content, day * len(posts) + cols["content"], -1) if len(posts) else np.full(n_ev, -1)
    uniq, inv = np.unique(key[with_content], return_inverse=True)
    counts = {
        a: np.bincount(inv, weights=(cols["act"][with_content] == code), minlength=len(uniq)).astype(np.int64)
        for a, code in stat_actions.items()
    }
    stat_day = uniq // max(len(posts), 1)
    stat_post = uniq % max(len(posts), 1)
    stat_channel = np.array([posts[i].channel for i in stat_post], dtype=object)
    headers = {
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
    file_of = {
        "wechat_oa": "wechat_article_daily.csv",
        "weibo": "weibo_daily.csv",
        "douyin": "douyin_daily.csv",
        "xiaohongshu": "xiaohongshu_daily.csv",
    }
    for platform, header in headers.items():
        m = stat_channel == platform
        data: dict[str, pa.Array] = {}
        for zh, src in header.items():
            if src == "date":
                data[zh] = pa.array(dates[stat_day[m]], pa.string())
            elif src == "id":
                data[zh] = (
                    pa.array(post_ids[stat_post[m]], pa.string()) if len(posts) else pa.array([], pa.string())
                )
            else:
                data[zh] = pa.array(counts[src][m])
        _write_csv(out / file_of[platform], pa.table(data))

    # contents, campaigns, spend, products
    topic_of_post = np.array([p.topic for p in posts], dtype=np.int64)
    contents = pa.table(
        {
            "content_id": pa.array(post_ids, pa.string()),
            "channel": pa.array([p.channel for p in posts], pa.string()),
            "account_id": pa.array([BRAND_ACCOUNT[p.channel] for p in posts], pa.string()),
            "published_at": _local_times(start, np.array([p.t for p in posts], dtype=np.int64)),
            "kind": pa.array([p.kind for p in posts], pa.string()),
            "title": pa.array(titles(rng, topic_of_post), pa.string()),
            "campaign_id": pa.array(
                [str(sim.campaigns[p.campaign]["campaign_id"]) if p.campaign >= 0 else None for p in posts],
                pa.string(),
            ),
            "cost": pa.array(np.round(rng.gamma(2.0, 400.0, len(posts)), 2)),
        }
    )
    _write_csv(out / "contents.csv", contents)
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
    _write_csv(out / "campaigns.csv", campaigns)
    spend_rows: dict[str, list[Any]] = {
        "date": [],
        "channel": [],
        "campaign_id": [],
        "amount": [],
        "impressions": [],
    }
    expose_code = ACTIONS.index("expose")
    for ci, c in enumerate(sim.campaigns):
        span = int(c["end"]) - int(c["start"]) + 1  # type: ignore[call-overload]
        chans = list(c["channels"])  # type: ignore[call-overload]
        for d in range(int(c["start"]), int(c["end"]) + 1):  # type: ignore[call-overload]
            for chan in chans:
                sel = (
                    (cols["campaign"] == ci)
                    & (day == d)
                    & (ch == CHANNELS.index(chan))
                    & (cols["act"] == expose_code)
                )
                spend_rows["date"].append(dates[d])
                spend_rows["channel"].append(chan)
                spend_rows["campaign_id"].append(str(c["campaign_id"]))
                spend_rows["amount"].append(
                    round(float(c["budget"]) / span / len(chans) * float(rng.uniform(0.8, 1.2)), 2)
                )  # type: ignore[arg-type]
                spend_rows["impressions"].append(int(sel.sum()))
    _write_csv(out / "spend.csv", pa.table(spend_rows))
    _write_csv(
        out / "products.csv",
        pa.table(
            {
                "product_id": w.product_names,
                "name": w.product_names,
                "category": [
                    "爆品" if i in set(w.hit_products.tolist()) else "常规"
                    for i in range(len(w.product_names))
                ],
                "price": w.prices.astype(float),
            }
        ),
    )

    # follows: brand follows and the platform graph among people who met the brand there
    f_channel, f_follower, f_followee, f_ts = [], [], [], []
    for chan, who, t in sim.brand_follows:
        f_channel.append(np.full(len(who), chan, dtype=object))
        f_follower.append(ids[chan][who])
        f_followee.append(np.full(len(who), BRAND_ACCOUNT[chan], dtype=object))
        f_ts.append(t)
    for chan in ("weibo", "douyin", "xiaohongshu", "forum"):
        g = w.graphs[GRAPH_OF[chan]]
        met = np.zeros(w.n, dtype=bool)  # people who did more than see an impression there
        met[person[(ch == CHANNELS.index(chan)) & (cols["act"] != ACTIONS.index("expose"))]] = True
        keep = met[g.follower] & met[g.followee]
        f_channel.append(np.full(int(keep.sum()), chan, dtype=object))
        f_follower.append(ids[chan][g.follower[keep]])
        f_followee.append(ids[chan][g.followee[keep]])
        f_ts.append(rng.integers(-720 * DAY, -DAY, int(keep.sum())))
    follow_t = np.concatenate(f_ts)
    _write_csv(
        out / "follows.csv",
        pa.table(
            {
                "channel": pa.array(np.concatenate(f_channel), pa.string()),
                "follower_id": pa.array(np.concatenate(f_follower), pa.string()),
                "followee_id": pa.array(np.concatenate(f_followee), pa.string()),
                "ts": _local_times(start, follow_t),
            }
        ),
    )

    # identity: WeChat unionid joins OA, mini program and WeCom ids; phone numbers join WeCom and the shop
    wechat = np.flatnonzero(w.member["wechat_oa"] & (rng.random(w.n) < 0.8))
    links_a, links_ua, links_b, links_ub = [], [], [], []
    for other in ("mini_program", "wecom"):
        links_a.append(np.full(len(wechat), "wechat_oa", dtype=object))
        links_ua.append(ids["wechat_oa"][wechat])
        links_b.append(np.full(len(wechat), other, dtype=object))
        links_ub.append(ids[other][wechat])
    kinds = [np.full(2 * len(wechat), "unionid", dtype=object)]
    # members who bound a social account to their WeChat membership (会员绑定), 40% of those who could
    for social in ("weibo", "douyin", "xiaohongshu", "qzone", "forum"):
        bound = np.flatnonzero(w.member[social] & w.member["wechat_oa"] & (rng.random(w.n) < 0.4))
        links_a.append(np.full(len(bound), social, dtype=object))
        links_ua.append(ids[social][bound])
        links_b.append(np.full(len(bound), "wechat_oa", dtype=object))
        links_ub.append(ids["wechat_oa"][bound])
        kinds.append(np.full(len(bound), "bind", dtype=object))
    _write_csv(
        out / "identity_links.csv",
        pa.table(
            {
                "channel_a": pa.array(np.concatenate(links_a), pa.string()),
                "user_a": pa.array(np.concatenate(links_ua), pa.string()),
                "channel_b": pa.array(np.concatenate(links_b), pa.string()),
                "user_b": pa.array(np.concatenate(links_ub), pa.string()),
                "kind": pa.array(np.concatenate(kinds), pa.string()),
            }
        ),
    )
    buyers = _unique(person[purchase])
    wecom_phone = np.flatnonzero(w.member["wecom"] & (rng.random(w.n) < 0.5))
    shop_phone = buyers[rng.random(len(buyers)) < 0.9]
    _write_csv(
        out / "phone_links.csv",
        pa.table(
            {
                "channel": pa.array(
                    np.r_[
                        np.full(len(wecom_phone), "wecom", dtype=object),
                        np.full(len(shop_phone), "ecommerce", dtype=object),
                    ],
                    pa.string(),
                ),
                "user_id": pa.array(
                    np.r_[ids["wecom"][wecom_phone], ids["ecommerce"][shop_phone]], pa.string()
                ),
                "phone": pa.array(np.r_[phones[wecom_phone], phones[shop_phone]], pa.string()),
            }
        ),
    )

    dirty_rows = _inject_dirty(out, rng) if dirty else {}
    stage = _lifecycle(sim, cols)
    truth = _truth(sim, stage, ids, cols, seed=seed, start=start, dirty_rows=dirty_rows)
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    _write_truth_tables(sim, stage, ids, cols, out)
    return truth


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


def _inject_dirty(out: Path, rng: np.random.Generator) -> dict[str, int]:
    """Append rows that must all be quarantined; return how many per file."""
    with open(out / "events.csv", "a", encoding="utf-8") as fh:
        fh.write("\n".join(_DIRTY_EVENTS) + "\n")
    with open(out / "orders_tmall.csv", "ab") as fb:
        fb.write(("\n".join(_DIRTY_ORDERS) + "\n").encode("gb18030"))
    return {"events.csv": len(_DIRTY_EVENTS), "orders_tmall.csv": len(_DIRTY_ORDERS)}


def _lifecycle(sim: Simulation, cols: dict[str, np.ndarray]) -> np.ndarray:
    """Each person's stage at the end of the period, by the rules in truth.json['lifecycle']['rules'].

    Judged on the simulator's own events (before identities are lost to channel-scoped ids),
    strictly before the end of the last day.
    """
    n, days = sim.world.n, sim.days
    A = {a: i for i, a in enumerate(ACTIONS)}
    cut = cols["t"] < days * DAY
    act, person, t = cols["act"][cut], cols["person"][cut].astype(np.int64), cols["t"][cut]
    ch, parent = cols["ch"][cut], cols["parent_person"][cut].astype(np.int64)
    active = ~np.isin(act, [A["expose"], A["reply"]])
    engaged_ev = np.isin(act, [A[a] for a in ("like", "comment", "collect", "share", "message")])
    interactions = np.bincount(person[engaged_ev], minlength=n)
    follower = np.zeros(n, dtype=bool)
    follower[person[act == A["follow"]]] = True  # nobody unfollows in the simulation
    recent = active & (t >= (days - 30) * DAY)
    span = days + 100  # days run from -30 (follows before the period) to days + 30 (late refunds)
    pd_key = _unique(person[recent] * span + t[recent] // DAY + 30)
    active_days = np.bincount(pd_key // span, minlength=n)
    community = np.isin(ch, [CHANNELS.index("forum"), CHANNELS.index("wecom")])
    member = np.zeros(n, dtype=bool)
    for code in (CHANNELS.index("forum"), CHANNELS.index("wecom")):
        on = ch == code
        last_join = np.full(n, -(10**12))
        last_leave = np.full(n, -(10**12))
        np.maximum.at(last_join, person[on & (act == A["join"])], t[on & (act == A["join"])])
        np.maximum.at(last_leave, person[on & (act == A["leave"])], t[on & (act == A["leave"])])
        member |= last_join > last_leave
    posted = np.zeros(n, dtype=bool)
    posted[person[community & (act == A["post"])]] = True
    led = active & (parent >= 0) & (parent != person)
    advocate = np.zeros(n, dtype=bool)
    advocate[parent[led]] = True
    stage = np.zeros(n, dtype=np.int8)
    stage[person] = 1
    stage[interactions > 0] = 2
    stage[follower] = 3
    stage[follower & (active_days >= 3)] = 4
    stage[follower & (posted | member | (interactions >= 10))] = 5
    stage[advocate] = 6
    return stage


STAGES = ("none", "exposed", "engaged", "follower", "active_fan", "core_fan", "advocate")


def _truth(
    sim: Simulation,
    stage: np.ndarray,
    ids: dict[str, np.ndarray],
    cols: dict[str, np.ndarray],
    *,
    seed: int,
    start: dt.date,
    dirty_rows: dict[str, int],
) -> dict[str, Any]:
    w, sc = sim.world, sim.scenario
    edges = {
        g: {
            "mean_p": float(graph.p.mean()) if len(graph.p) else 0.0,
            "edges": len(graph.p),
            "nodes_with_audience": int((graph.degree() > 0).sum()),
        }
        for g, graph in w.graphs.items()
    }
    return {
        "seed": seed,
        "scenario": sc.name,
        "description": sc.description,
        "people": w.n,
        "days": sim.days,
        "start": start.isoformat(),
        "timezone": "Asia/Shanghai",
        "events": int(sim.log.n),
        "channel_effects": {
            "definition": "extra daily purchase probability of a person touched (viewed, engaged, messaged, posted) on the "
            "channel in the last 7 days; additive over channels",
            "base_daily_purchase": sc.base_purchase,
            "effects": {ch: sc.channels[ch].effect for ch in sc.channels},
        },
        "channel_roles": dict(sc.true_roles),
        "spread": {
            "model": "independent cascade: a sharer's audience (followers, or friends) each share on with the edge's "
            "probability p (boosted during the launch/word-of-mouth campaigns); others open the share without "
            "passing it on with probability 0.12",
            "graphs": edges,
            "edge_probabilities_file": "truth_edges.parquet",
            "best_seeds": _best_seeds(sim, ids),
            "launch_share_boost": sc.launch_share_boost,
            "kol": {
                _first_channel(g): [str(ids[_first_channel(g)][i]) for i in v[:50]] for g, v in w.kol.items()
            },
            "koc_weibo_ids": [str(x) for x in ids["weibo"][w.koc[w.member["weibo"][w.koc]]][:500]],
        },
        "agenda": {"lag_days": sc.agenda_lag_days, "strength": sc.agenda_strength, "topics": list(TOPICS)},
        "lifecycle": {
            "stages": list(STAGES),
            "rules": {
                "exposed": "any event before the end of the period",
                "engaged": "a like, comment, collect, share or message",
                "follower": "follows the brand on a channel (a follow event, from before the period too)",
                "active_fan": "follower active (any action but expose and reply) on >= 3 distinct local days in the last 30",
                "core_fan": "follower who posted in or is a member of the forum or a WeCom group, or made >= 10 interactions",
                "advocate": "someone else acted (any action but expose and reply) on an event naming this person as parent",
            },
            "counts": {s: int((stage == i).sum()) for i, s in enumerate(STAGES)},
            "per_person_file": "truth_people.parquet",
        },
        "products": {
            "hit_products": [w.product_names[i] for i in w.hit_products],
            "launch_day": sc.launch_day,
        },
        "campaigns": [
            {k: (list(v) if isinstance(v, tuple) else v) for k, v in c.items()} for c in sim.campaigns
        ],
        "dirty_rows": dirty_rows,
        "brand_emphasis": np.round(sim.brand_emphasis, 4).tolist(),
        "public_salience": np.round(sim.public_salience, 4).tolist(),
    }


def _best_seeds(
    sim: Simulation, ids: dict[str, np.ndarray], *, k: int = 10, max_nodes: int = 300_000
) -> dict[str, Any]:
    """The best seed set of size ``k`` on Weibo under the true IC model, by IMM (Tang, Shi, Xiao 2015).

    Skipped (and said so) for graphs of more than ``max_nodes`` members, where the reverse-reachable
    sets would cost more time and memory than the rest of the simulation.
    """
    import pandas as pd

    from canyu.analytics.influence import graph_from_edges, imm

    g = sim.world.graphs["weibo"]
    members = int(sim.world.member["weibo"].sum())
    if len(g.audience) == 0:
        return {"k": k, "seeds": [], "spread": 0.0}
    if members > max_nodes:
        return {"k": k, "seeds": [], "skipped": f"{members:,} Weibo members > {max_nodes:,}; run canyu seeds"}
    src = np.repeat(np.arange(sim.world.n, dtype=np.int64), g.degree())
    edges = pd.DataFrame({"source": src, "target": g.audience.astype(np.int64), "p": g.p.astype(np.float64)})
    result = imm(graph_from_edges(edges, probability="p"), k=k, model="ic", epsilon=0.2, seed=7)
    seeds = [str(ids["weibo"][int(s)]) for s in result.seeds]
    return {
        "k": k,
        "channel": "weibo",
        "method": "IMM, epsilon 0.2",
        "seeds": seeds,
        "spread": round(float(result.spread), 3),
    }


def _first_channel(graph: str) -> str:
    return {"wechat": "wechat_oa"}.get(graph, graph)


def _write_truth_tables(
    sim: Simulation, stage: np.ndarray, ids: dict[str, np.ndarray], cols: dict[str, np.ndarray], out: Path
) -> None:
    w = sim.world
    people = {f"id_{ch}": pa.array(ids[ch], pa.string()) for ch in ids}
    people["stage"] = pa.array(np.array(STAGES, dtype=object)[stage], pa.string())
    people["activity"] = pa.array(w.activity)
    people["is_koc"] = pa.array(np.isin(np.arange(w.n), w.koc))
    pq.write_table(pa.table(people), out / "truth_people.parquet")
    parts = []
    share_code = ACTIONS.index("share")
    for gname, g in w.graphs.items():
        chan = _first_channel(gname)
        # the edges that were tried: out of people who shared on a channel that spreads over this graph
        on_graph = np.isin(cols["ch"], [CHANNELS.index(c) for c, gg in GRAPH_OF.items() if gg == gname])
        shared = np.zeros(w.n, dtype=bool)
        shared[cols["person"][on_graph & (cols["act"] == share_code)]] = True
        src = np.repeat(np.arange(w.n), np.diff(g.indptr))
        keep = shared[src]
        parts.append(
            pa.table(
                {
                    "channel": pa.array(np.full(int(keep.sum()), chan, dtype=object), pa.string()),
                    "sharer": pa.array(ids[chan][src[keep]], pa.string()),
                    "audience": pa.array(ids[chan][g.audience[keep]], pa.string()),
                    "p": pa.array(g.p[keep].astype(np.float32)),
                }
            )
        )
    pq.write_table(pa.concat_tables(parts), out / "truth_edges.parquet")
