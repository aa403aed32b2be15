"""First carriers: the accounts that pick up the brand's topics first after it posts them.

In the two-step flow of communication (Katz & Lazarsfeld 1955) a medium's agenda reaches most
people through opinion leaders; on social platforms those are the KOLs and KOCs who talk about a
topic right after the brand does. For each brand post, the first ``per_post`` distinct authors who
write on the post's topic within ``window_hours`` are its first carriers. An author who simply
writes a lot would be among them often by chance, so each count is set against what the author's
share of the topic's texts predicts (``expected``; ``lift = carried / expected``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from canyu.analytics.agenda._series import AgendaDataError

__all__ = ["first_carriers"]

_COLUMNS = [
    "author",
    "channel",
    "carried",
    "posts_share",
    "median_delay_hours",
    "texts",
    "expected",
    "lift",
    "topics",
]


def first_carriers(
    brand_posts: pd.DataFrame,
    texts: pd.DataFrame,
    *,
    ts: str = "ts",
    topic: str = "topic",
    author: str = "author",
    channel: str | None = "channel",
    window_hours: float = 72.0,
    per_post: int = 3,
) -> pd.DataFrame:
    """Which authors carry the brand's topics first, after the brand posts them.

    Parameters
    ----------
    brand_posts
        One row per brand post: ``ts`` and ``topic``.
    texts
        The audience's texts (comments, community posts, mentions): ``ts``, ``topic``, ``author``
        and optionally ``channel``; leave the brand's own accounts out.
    window_hours, per_post
        A carrier writes on the post's topic within ``window_hours`` after it and is among the first
        ``per_post`` distinct authors to do so.

    Returns
    -------
    DataFrame
        One row per author who carried at least once: ``author, channel`` (where they carried most),
        ``carried`` (brand posts carried), ``posts_share`` (of all brand posts), ``median_delay_hours``,
        ``texts`` (all their texts), ``expected`` (carries their share of each topic's texts
        predicts), ``lift``, ``topics`` (carried topics, most carried first); most carried first.
    """
    for name, frame, cols in (
        ("brand_posts", brand_posts, (ts, topic)),
        ("texts", texts, (ts, topic, author, *((channel,) if channel else ()))),
    ):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise AgendaDataError(
                f"{name} lacks column(s) {missing}; it has {list(frame.columns)}",
                message_zh=f"{name} 缺少列 {missing}；现有列：{list(frame.columns)}",
                reason="missing_column",
            )
    if len(brand_posts) == 0 or len(texts) == 0:
        return pd.DataFrame(columns=_COLUMNS)
    t = texts.assign(_t=pd.to_datetime(texts[ts])).sort_values("_t", kind="stable").reset_index(drop=True)
    posts = brand_posts.assign(_t=pd.to_datetime(brand_posts[ts])).reset_index(drop=True)
    window = pd.Timedelta(hours=window_hours).to_timedelta64()
    # every (post, text) pair of one topic within the window, built with numpy (no loop per post)
    post_idx, text_idx = [], []
    t_topic = t[topic].to_numpy()
    for key, group in posts.groupby(topic, sort=False):
        rows = np.flatnonzero(t_topic == key)
        if len(rows) == 0:
            continue
        times = t["_t"].to_numpy()[rows]
        starts = group["_t"].to_numpy()
        lo = np.searchsorted(times, starts, side="right")
        hi = np.searchsorted(times, starts + window, side="right")
        n = hi - lo
        if n.sum() == 0:
            continue
        post_idx.append(np.repeat(group.index.to_numpy(), n))
        offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        text_idx.append(rows[np.repeat(lo, n) + offsets])
    if not post_idx:
        return pd.DataFrame(columns=_COLUMNS)
    pi, ti = np.concatenate(post_idx), np.concatenate(text_idx)
    h = pd.DataFrame(
        {
            "post": pi,
            "author": t[author].to_numpy()[ti],
            "channel": t[channel].to_numpy()[ti] if channel else None,
            "topic": t_topic[ti],
            "delay_hours": (t["_t"].to_numpy()[ti] - posts["_t"].to_numpy()[pi]) / np.timedelta64(1, "h"),
        }
    )
    # pairs are in time order within each post: the first ``per_post`` distinct authors carry it
    h = h.drop_duplicates(["post", "author"], keep="first")
    h = h[h.groupby("post").cumcount() < per_post]
    # what chance predicts: each post of topic T is carried by about ``per_post`` authors, drawn in
    # proportion to their share of T's texts
    share = t.groupby([topic, author]).size() / t.groupby(topic).size()
    n_posts = posts.groupby(topic).size()
    expected = (
        (np.minimum(1.0, per_post * share) * n_posts.reindex(share.index.get_level_values(0)).to_numpy())
        .groupby(level=1)
        .sum()
    )
    grouped = h.groupby("author")
    out = pd.DataFrame(
        {
            "carried": grouped["post"].nunique(),
            "median_delay_hours": grouped["delay_hours"].median(),
        }
    )
    if channel:
        ch_counts = h.groupby(["author", "channel"]).size().reset_index(name="_n")
        ch_counts = ch_counts.sort_values(["author", "_n"], ascending=[True, False], kind="stable")
        out["channel"] = ch_counts.drop_duplicates("author").set_index("author")["channel"]
    else:
        out["channel"] = None
    tp = h.groupby(["author", "topic"]).size().reset_index(name="_n")
    tp = tp.sort_values(["author", "_n"], ascending=[True, False], kind="stable")
    out["topics"] = tp.groupby("author")["topic"].agg(lambda s: ",".join(map(str, s)))
    out["posts_share"] = out["carried"] / len(posts)
    out["texts"] = t.groupby(author).size().reindex(out.index).to_numpy()
    out["expected"] = expected.reindex(out.index).to_numpy()
    out["lift"] = out["carried"] / out["expected"]
    out = out.reset_index().rename(columns={"index": "author"})
    return out.sort_values(["carried", "lift"], ascending=False, kind="stable").reset_index(drop=True)[
        _COLUMNS
    ]
