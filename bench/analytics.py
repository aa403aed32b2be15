"""Analytics benchmark: canyu's Ibis analyses on DuckDB against vectorized pandas references.

For each size in ``--rows`` (default 1M; the scale run is
``--rows 1000000,10000000,30000000``) it generates person-level events as
Parquet, imports them with ``canyu.create`` + ``ws.import_files([...],
table="events")``, then times each analysis on DuckDB (expression built,
compiled, run and fetched as pandas) and the same analysis written in plain
pandas (vectorized: groupby / merge / shift, no Python loops over rows) on the
events already in memory. Each figure is one wall-clock run in seconds;
loading the frame for pandas is not counted. Results of the two are compared
on a checksum so the timings are of the same answer.

It prints one table per size (canyu s, pandas s, speed-up; goal >= 10x) and,
with several sizes, how each analysis' time grows with the number of rows.
No asserts.

The pandas reference runs only up to ``--pandas-up-to`` rows (default 10M: at
30M the frame alone needs most of a 24 GiB machine); larger sizes time canyu alone
for the growth table.

Usage: .venv/bin/python bench/analytics.py [--rows 1000000[,10000000,...]] [--pandas-up-to N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import canyu
from canyu.analytics.activity import ACTIVE_ACTIONS, active_people, activity_lifecycle, stickiness
from canyu.analytics.calendar import Zone
from canyu.analytics.community import community_health
from canyu.analytics.funnels import funnel
from canyu.analytics.products import hit_products
from canyu.analytics.retention import retention
from canyu.analytics.service import service_levels

ZONE = Zone("Asia/Shanghai")

CHANNELS = np.array(["weibo", "wechat_oa", "wecom", "douyin", "xiaohongshu", "forum", "ecommerce"])
ACTIONS = np.array(
    [
        "expose",
        "view",
        "like",
        "comment",
        "share",
        "follow",
        "message",
        "reply",
        "join",
        "leave",
        "post",
        "click",
        "purchase",
    ]
)
ACTION_P = np.array([0.25, 0.25, 0.08, 0.04, 0.03, 0.02, 0.05, 0.04, 0.02, 0.01, 0.04, 0.12, 0.05])
START = np.datetime64("2026-07-01T00:00:00")
DAYS = 90
OFFSET = pd.Timedelta(hours=8)


def generate(path: Path, rows: int, seed: int = 11) -> None:
    """``rows`` events over 90 days; a person (20 events on average) keeps one channel."""
    rng = np.random.default_rng(seed)
    people = max(rows // 20, 10)
    chunk = 2_000_000
    writer = None
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        user = rng.integers(0, people, n)
        action = rng.choice(len(ACTIONS), size=n, p=ACTION_P / ACTION_P.sum())
        ts = START + rng.integers(0, DAYS * 86_400, n).astype("timedelta64[s]")
        is_buy = ACTIONS[action] == "purchase"
        table = pa.table(
            {
                "event_id": np.char.add("e", np.arange(start, start + n).astype(str)),
                "ts": pa.array(ts.astype("datetime64[us]")),
                "channel": CHANNELS[user % len(CHANNELS)],
                "action": ACTIONS[action],
                "user_id": np.char.add("u", user.astype(str)),
                "content_id": np.char.add("c", rng.integers(0, 2000, n).astype(str)),
                "campaign_id": np.where(
                    rng.random(n) < 0.2, np.char.add("k", rng.integers(0, 20, n).astype(str)), None
                ),
                "product_id": np.where(
                    is_buy, np.char.add("p", rng.zipf(1.6, n).clip(max=200).astype(str)), None
                ),
                "value": np.where(is_buy, np.round(rng.gamma(2.0, 80.0, n), 2), np.nan),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


# ------------------------------------------------------------------ pandas references


def pd_dau(ev: pd.DataFrame) -> pd.DataFrame:
    act = ev[ev.action.isin(ACTIVE_ACTIONS)]
    day = (act.ts + OFFSET).dt.floor("D")
    return act.assign(day=day).groupby(["channel", "day"]).person_id.nunique().reset_index()


def pd_mau(ev: pd.DataFrame) -> pd.DataFrame:
    act = ev[ev.action.isin(ACTIVE_ACTIONS)]
    month = (act.ts + OFFSET).dt.to_period("M")
    return act.assign(m=month).groupby(["channel", "m"]).person_id.nunique().reset_index()


def pd_stickiness(ev: pd.DataFrame) -> pd.DataFrame:
    act = ev[ev.action.isin(ACTIVE_ACTIONS)]
    local = act.ts + OFFSET
    act = act.assign(day=local.dt.floor("D"), m=local.dt.to_period("M"))
    dau = act.groupby(["channel", "m", "day"]).person_id.nunique().groupby(["channel", "m"]).sum()
    days = act.groupby("m").day.nunique()
    mau = act.groupby(["channel", "m"]).person_id.nunique()
    avg = dau / days.reindex(dau.index.get_level_values("m")).to_numpy()
    return (avg / mau).rename("stickiness").reset_index()


def pd_lifecycle(ev: pd.DataFrame) -> pd.DataFrame:
    act = ev[ev.action.isin(ACTIVE_ACTIONS)]
    week = ((act.ts + OFFSET - pd.Timestamp("1969-12-29")).dt.days // 7).to_numpy()
    pp = pd.DataFrame({"p": act.person_id.to_numpy(), "w": week}).drop_duplicates().sort_values(["p", "w"])
    g = pp.groupby("p").w
    pp["prev"], pp["nxt"] = g.shift(), g.shift(-1)
    last = pp.w.max()
    counted = pp.groupby("w").agg(
        new=("prev", lambda s: s.isna().sum()),
        returning=("prev", lambda s: (s == pp.loc[s.index, "w"] - 1).sum()),
    )
    gone = pp[(pp.nxt.isna() | (pp.nxt > pp.w + 1)) & (pp.w + 1 <= last)]
    return counted.join(gone.groupby(gone.w + 1).size().rename("dormant"), how="outer").reset_index()


def pd_retention(ev: pd.DataFrame, days: tuple[int, ...] = (1, 7, 30)) -> pd.DataFrame:
    act = ev[ev.action.isin(ACTIVE_ACTIONS)]
    day = ((act.ts + OFFSET - pd.Timestamp("1970-01-01")).dt.days).to_numpy()
    frame = pd.DataFrame(
        {"p": act.person_id.to_numpy(), "ts": act.ts.to_numpy(), "e": act.event_id.to_numpy(), "d": day}
    )
    first = frame.sort_values(["ts", "e"]).drop_duplicates("p")[["p", "d"]].rename(columns={"d": "d0"})
    first["week"] = pd.to_datetime(first.d0, unit="D").dt.to_period("W-SUN")
    horizon = (ev.ts + OFFSET - pd.Timestamp("1970-01-01")).dt.days.max()
    back = frame[["p", "d"]].merge(first, on="p")
    back["off"] = back.d - back.d0
    per = back[back.off >= 1].groupby(["p", "off"]).size().reset_index()
    out = []
    for n in days:
        size = first[first.d0 + n <= horizon].groupby("week").size()
        hit = per[per.off == n].merge(first, on="p").groupby("week").p.nunique()
        out.append(pd.DataFrame({"day": n, "size": size, "retained": hit}).fillna(0))
    return pd.concat(out).reset_index()


def pd_funnel(ev: pd.DataFrame, window_s: int = 7 * 86_400) -> list[int]:
    secs = (ev.ts - pd.Timestamp("1970-01-01")).dt.total_seconds().astype("int64")
    frame = pd.DataFrame({"p": ev.person_id, "a": ev.action, "s": secs, "e": ev.event_id})
    views = frame[frame.a == "view"].sort_values(["s", "e"]).drop_duplicates("p")[["p", "s"]]
    people = views.rename(columns={"s": "t1"})
    people["t"] = people.t1
    counts = [len(people)]
    for action in ("click", "purchase"):
        cand = frame[frame.a == action][["p", "s"]]
        j = people.merge(cand, on="p")
        j = j[(j.s >= j.t) & (j.s <= j.t1 + window_s)]
        reached = j.groupby("p").s.min()
        people = people[people.p.isin(reached.index)].copy()
        people["t"] = people.p.map(reached)
        counts.append(len(people))
    return counts


def pd_service(ev: pd.DataFrame) -> pd.DataFrame:
    conv = ev[ev.action.isin(["message", "reply"])][["channel", "user_id", "ts", "action", "event_id"]].copy()
    conv["o"] = (conv.action == "reply").astype(int)
    conv = conv.sort_values(["channel", "user_id", "ts", "o", "event_id"])
    conv["r"] = conv.ts.where(conv.action == "reply")
    conv["nxt"] = conv.groupby(["channel", "user_id"]).r.bfill()
    msgs = conv[conv.action == "message"]
    secs = (msgs.nxt - msgs.ts).dt.total_seconds()
    return secs.groupby(msgs.channel).agg(["size", "count", "median", lambda s: s.quantile(0.9)])


def pd_community(ev: pd.DataFrame) -> pd.DataFrame:
    com = ev[ev.channel.isin(["forum", "wecom"])]
    week = (com.ts + OFFSET).dt.to_period("W-SUN")
    com = com.assign(w=week, j=com.action == "join", l=com.action == "leave", po=com.action == "post")
    per = com.groupby(["channel", "w"]).agg(joins=("j", "sum"), leaves=("l", "sum"), posts=("po", "sum"))
    per["posters"] = com[com.po].groupby(["channel", "w"]).person_id.nunique()
    per["members"] = (per.joins - per.leaves).groupby(level="channel").cumsum()
    return per.reset_index()


def pd_hit_products(ev: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    conv = ev[(ev.action == "purchase") & (ev.ts >= start) & (ev.ts < end)]
    orders = conv[conv.product_id.notna()]
    middle = start + (end - start) / 2
    g = orders.assign(first=orders.ts < middle).groupby("product_id")
    out = g.agg(
        orders=("ts", "size"),
        buyers=("person_id", "nunique"),
        revenue=("value", "sum"),
        first=("first", "sum"),
    )
    out["share"] = out.orders / len(conv)
    return out.sort_values("orders", ascending=False).reset_index()


# ------------------------------------------------------------------ the run


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_size(rows: int, tmp: Path, *, with_pandas: bool = True) -> dict[str, tuple[float, float, str]]:
    folder = tmp / f"rows-{rows}"
    folder.mkdir()
    parquet = folder / "events.parquet"
    t_gen, _ = timed(lambda: generate(parquet, rows))
    ws = canyu.create(folder / "ws", brand="bench", locale="en")
    t_imp, _ = timed(lambda: ws.import_files([parquet], table="events"))
    ev_t = ws.table("events")
    t_load, ev = timed(lambda: ws.to_pandas("events")) if with_pandas else (0.0, None)
    if ev is not None:
        ev["ts"] = pd.to_datetime(ev.ts)
    print(
        f"\n{rows:,} events: generated in {t_gen:.1f}s, imported in {t_imp:.1f}s "
        f"({rows / t_imp / 1e6:.2f} M rows/s), loaded into pandas in {t_load:.1f}s"
    )
    start, end = datetime(2026, 7, 15), datetime(2026, 9, 15)
    cases: dict[str, tuple[Callable[[], Any], Callable[[], Any], Callable[[Any, Any], str]]] = {
        "DAU per channel": (
            lambda: ws.to_pandas(active_people(ev_t, period="day", by_channel=True, zone=ZONE)),
            lambda: pd_dau(ev),
            lambda c, p: f"{c.active.sum()}={p.person_id.sum()}",
        ),
        "MAU per channel": (
            lambda: ws.to_pandas(active_people(ev_t, period="month", by_channel=True, zone=ZONE)),
            lambda: pd_mau(ev),
            lambda c, p: f"{c.active.sum()}={p.person_id.sum()}",
        ),
        "stickiness per channel": (
            lambda: ws.to_pandas(stickiness(ev_t, by_channel=True, zone=ZONE)),
            lambda: pd_stickiness(ev),
            lambda c, p: f"{c.stickiness.sum():.4f}={p.stickiness.sum():.4f}",
        ),
        "activity lifecycle (week)": (
            lambda: ws.to_pandas(activity_lifecycle(ev_t, period="week", zone=ZONE)),
            lambda: pd_lifecycle(ev),
            lambda c, p: f"{c.dormant.sum()}={int(p.dormant.sum())}",
        ),
        "retention 1/7/30 by first week": (
            lambda: ws.to_pandas(retention(ev_t, days=(1, 7, 30), cohort="first_week", zone=ZONE)),
            lambda: pd_retention(ev),
            lambda c, p: f"{c.retained.sum()}={int(p.retained.sum())}",
        ),
        "funnel view>click>purchase 7d": (
            lambda: ws.to_pandas(funnel(ev_t, ["view", "click", "purchase"], window=timedelta(days=7))),
            lambda: pd_funnel(ev),
            lambda c, p: f"{c.people.tolist()}={p}",
        ),
        "service levels per channel": (
            lambda: ws.to_pandas(service_levels(ev_t, zone=ZONE)),
            lambda: pd_service(ev),
            lambda c, p: f"{c.answered.sum()}={int(p['count'].sum())}",
        ),
        "community health (week)": (
            lambda: ws.to_pandas(community_health(ev_t, zone=ZONE)),
            lambda: pd_community(ev),
            lambda c, p: f"{c.members.sum()}={int(p.members.sum())}",
        ),
        "hit products": (
            lambda: ws.to_pandas(hit_products(ev_t, start=start, end=end, conversion_actions=("purchase",))),
            lambda: pd_hit_products(ev, start, end),
            lambda c, p: f"{c.orders.sum()}={int(p.orders.sum())}",
        ),
    }
    results = {}
    print(f"{'analysis':34} {'canyu s':>9} {'pandas s':>9} {'speed-up':>9}  check (canyu=pandas)")
    for name, (ours, theirs, check) in cases.items():
        t_c, out_c = timed(ours)
        if not with_pandas:
            results[name] = (t_c, float("nan"), "")
            print(f"{name:34} {t_c:9.3f} {'-':>9} {'-':>9}  ({len(out_c)} rows)")
            continue
        t_p, out_p = timed(theirs)
        note = check(out_c, out_p)
        results[name] = (t_c, t_p, note)
        print(f"{name:34} {t_c:9.3f} {t_p:9.3f} {t_p / t_c:8.1f}x  {note}")
    total_c = sum(r[0] for r in results.values())
    total_p = sum(r[1] for r in results.values())
    if with_pandas:
        print(f"{'total':34} {total_c:9.3f} {total_p:9.3f} {total_p / total_c:8.1f}x")
    else:
        print(f"{'total':34} {total_c:9.3f} {'-':>9} {'-':>9}")
    settings = ws.store.con.execute(
        "SELECT current_setting('threads'), current_setting('memory_limit')"
    ).fetchone()
    print(f"(DuckDB threads {settings[0]}, memory_limit {settings[1]})")
    ws.close()
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="1000000", help="comma-separated sizes, e.g. 1000000,10000000")
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    ap.add_argument(
        "--pandas-up-to",
        type=int,
        default=10_000_000,
        help="run the pandas reference only at sizes up to this many rows (it needs the whole frame in memory)",
    )
    args = ap.parse_args()
    sizes = [int(x) for x in args.rows.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="canyu-bench-analytics-"))
    os.environ.setdefault("CANYU_HOME", str(tmp / "home"))
    print(f"DuckDB vs pandas, {os.cpu_count()} CPUs, files under {tmp}")
    try:
        by_size = {rows: run_size(rows, tmp, with_pandas=rows <= args.pandas_up_to) for rows in sizes}
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if len(sizes) > 1:
        base = sizes[0]
        print(f"\ngrowth of time with size (x of the {base:,}-row time)")
        print(f"{'analysis':34} " + " ".join(f"{'canyu ' + f'{r:,}':>18} {'pandas':>8}" for r in sizes[1:]))
        for name in by_size[base]:
            c0, p0, _ = by_size[base][name]
            cells = []
            for rows in sizes[1:]:
                c, p, _ = by_size[rows][name]
                growth = f"{p / p0:8.1f}" if p == p else f"{'-':>8}"  # nan: no pandas run at that size
                cells.append(f"{c / c0:18.1f} {growth}")
            print(f"{name:34} " + " ".join(cells))


if __name__ == "__main__":
    main()
