"""Content performance (内容表现) from the daily ``content_stats`` exports, with 清博 WCI and BCI.

This module reads the *aggregate* grain: one row per day and content (or
account) from the platforms' back-ends. Counts are summed over the dates
``start <= date <= end`` (both inclusive, local dates).

Rates
-----
``engagements = likes + comments + shares + collects``;
``engagement_rate = engagements / views``; ``share_rate = shares / views``;
``follow_rate = follows_gained / views`` (null when there are no views).

WCI (微信传播指数, 清博指数 V14.2)
-----------------------------------
For one ``wechat_oa`` account over ``d`` days with ``n`` articles, ``R``, ``Z``,
``L``, ``RE`` the total reads (``views``), 在看 (``collects``), likes and shares;
``Rt, Zt, Lt, REt`` the same for headline (头条) articles; ``Rmax, Zmax, Lmax,
REmax`` the largest per-article totals; and
``f(r, z, l, e) = 0.70 ln(r + 1) + 0.09 ln(10 z + 1) + 0.06 ln(10 l + 1) + 0.15 ln(10 e + 1)``::

    O = f(R/d, Z/d, L/d, RE/d)            overall, 60 %
    A = f(R/n, Z/n, L/n, RE/n)            per article, 20 %
    H = f(Rt/d, Zt/d, Lt/d, REt/d)        headline, 10 %
    P = f(Rmax, Zmax, Lmax, REmax)        peak, 10 %
    WCI = (0.6 O + 0.2 A + 0.1 H + 0.1 P) ** 2 * 1.2 * 10

Source: 清博指数 "微信传播指数WCI(V14.2)" formula table, as republished at
https://stevekatra.com/site/usage-1 (and the Python walk-through at
https://php1.cn/detail/LiYong_Python_Ji_d963fc68.html). An article is a
``content_id`` with stats in the period; exports do not mark headlines, so
unless ``headlines`` is given the headline of each account and day is the
article with the most reads among those first seen that day (ties by
``content_id``).

BCI (微博传播指数 / 微博影响力指数)
--------------------------------
For one ``weibo`` account: ``W1 = ln(posts + 1)`` (activity),
``W2 = 0.4 ln(reposts + 1) + 0.4 ln(comments + 1) + 0.2 ln(likes + 1)``
(spread), ``BCI = (0.2 W1 + 0.8 W2) * 160``, with ``posts`` the number of
contents and ``reposts = shares``. Source: the 微博影响力指数 definition
published with the provincial Weibo index data sets of 浙江省数据知识产权登记平台
(https://www.zjip.org.cn/home/announce/trends/75574, 2024), which follows 清博's BCI.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import ibis
import ibis.expr.types as ir

from canyu.analytics.registry import register_analysis
from canyu.errors import InvalidArgumentError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["COUNTS", "account_performance", "bci", "content_performance", "wci"]

COUNTS: tuple[str, ...] = ("exposes", "views", "likes", "comments", "shares", "collects", "follows_gained")


def _period(stats: ir.Table, start: date | None, end: date | None) -> ir.Table:
    if start is not None:
        stats = stats.filter(stats.date >= start)
    if end is not None:
        stats = stats.filter(stats.date <= end)
    return stats


def _rates(t: ir.Table) -> ir.Table:
    t = t.mutate(engagements=t.likes + t.comments + t.shares + t.collects)

    def per_view(col: ir.IntegerValue) -> ir.FloatingValue:
        return ibis.ifelse(t.views > 0, col.cast("float64") / t.views, ibis.null("float64"))

    return t.mutate(
        engagement_rate=per_view(t.engagements),
        share_rate=per_view(t.shares),
        follow_rate=per_view(t.follows_gained),
    )


def _totals(stats: ir.Table, keys: Sequence[str]) -> ir.Table:
    return stats.group_by(list(keys)).aggregate(
        days=stats.date.nunique().cast("int64"),
        **{c: stats[c].sum().fill_null(0).cast("int64") for c in COUNTS},
    )


def content_performance(
    content_stats: ir.Table,
    *,
    start: date | None = None,
    end: date | None = None,
    contents: ir.Table | None = None,
) -> ir.Table:
    """Totals and rates per content over ``[start, end]``.

    Returns
    -------
    ibis.Table
        ``channel, account_id, content_id, [title, kind, campaign_id,] days,
        exposes, views, likes, comments, shares, collects, follows_gained,
        engagements, engagement_rate, share_rate, follow_rate``, most views first.
    """
    stats = _period(content_stats, start, end)
    out = _rates(_totals(stats, ["channel", "account_id", "content_id"]))
    if contents is not None:
        info = contents.select("content_id", "title", "kind", "campaign_id")
        out = out.left_join(info, "content_id").select(out, info.title, info.kind, info.campaign_id)
    return out.order_by([ibis.desc("views"), "content_id"])


def account_performance(
    content_stats: ir.Table, *, start: date | None = None, end: date | None = None
) -> ir.Table:
    """Totals, rates and per-content averages per account over ``[start, end]``.

    Returns
    -------
    ibis.Table
        ``channel, account_id, contents, days, <counts>, engagements, engagement_rate,
        share_rate, follow_rate, views_per_content, engagements_per_content``.
    """
    stats = _period(content_stats, start, end)
    out = stats.group_by(["channel", "account_id"]).aggregate(
        contents=stats.content_id.nunique().cast("int64"),
        days=stats.date.nunique().cast("int64"),
        **{c: stats[c].sum().fill_null(0).cast("int64") for c in COUNTS},
    )
    out = _rates(out)
    return out.mutate(
        views_per_content=out.views.cast("float64") / out.contents,
        engagements_per_content=out.engagements.cast("float64") / out.contents,
    ).order_by(["channel", ibis.desc("views")])


def _f(r: ir.NumericValue, z: ir.NumericValue, lk: ir.NumericValue, e: ir.NumericValue) -> ir.FloatingValue:
    return (
        0.70 * (r + 1).ln() + 0.09 * (10 * z + 1).ln() + 0.06 * (10 * lk + 1).ln() + 0.15 * (10 * e + 1).ln()
    )


def wci(
    content_stats: ir.Table,
    *,
    start: date,
    end: date,
    headlines: Sequence[str] | None = None,
    channel: str = "wechat_oa",
) -> ir.Table:
    """清博 WCI (V14.2) per WeChat official account over ``[start, end]`` (see the module docstring).

    Returns
    -------
    ibis.Table
        ``account_id, d, n, R, Z, L, RE, Rt, Zt, Lt, REt, Rmax, Zmax, Lmax, REmax,
        O, A, H, P, wci``, highest first.

    Examples
    --------
    >>> wci(ws.table("content_stats"), start=date(2026, 9, 1), end=date(2026, 9, 30))  # doctest: +SKIP
    """
    d = (end - start).days + 1
    if d < 1:
        raise InvalidArgumentError("end", end, f"on or after start {start}")
    stats = _period(content_stats.filter(content_stats.channel == channel), start, end)
    art = stats.group_by(["account_id", "content_id"]).aggregate(
        first=stats.date.min(),
        R=stats.views.sum().fill_null(0),
        Z=stats.collects.sum().fill_null(0),
        L=stats.likes.sum().fill_null(0),
        RE=stats.shares.sum().fill_null(0),
    )
    if headlines is not None:
        art = art.mutate(is_headline=art.content_id.isin(list(headlines)))
    else:
        w = ibis.window(group_by=["account_id", "first"], order_by=[ibis.desc(art.R), art.content_id])
        art = art.mutate(is_headline=ibis.row_number().over(w) == 0)

    def head(col: ir.NumericValue) -> ir.NumericValue:
        return ibis.ifelse(art.is_headline, col, 0).sum()

    acc = art.group_by("account_id").aggregate(
        n=art.count().cast("int64"),
        R=art.R.sum(),
        Z=art.Z.sum(),
        L=art.L.sum(),
        RE=art.RE.sum(),
        Rt=head(art.R),
        Zt=head(art.Z),
        Lt=head(art.L),
        REt=head(art.RE),
        Rmax=art.R.max(),
        Zmax=art.Z.max(),
        Lmax=art.L.max(),
        REmax=art.RE.max(),
    )
    acc = acc.mutate(d=ibis.literal(d, type="int64"))
    acc = acc.mutate(
        O=_f(acc.R / d, acc.Z / d, acc.L / d, acc.RE / d),
        A=_f(acc.R / acc.n, acc.Z / acc.n, acc.L / acc.n, acc.RE / acc.n),
        H=_f(acc.Rt / d, acc.Zt / d, acc.Lt / d, acc.REt / d),
        P=_f(acc.Rmax, acc.Zmax, acc.Lmax, acc.REmax),
    )
    score = 0.6 * acc.O + 0.2 * acc.A + 0.1 * acc.H + 0.1 * acc.P
    acc = acc.mutate(wci=score * score * 12.0)
    cols = ["account_id", "d", "n", "R", "Z", "L", "RE", "Rt", "Zt", "Lt", "REt"]
    cols += ["Rmax", "Zmax", "Lmax", "REmax", "O", "A", "H", "P", "wci"]
    return acc.select(*cols).order_by(ibis.desc("wci"))


def bci(content_stats: ir.Table, *, start: date, end: date, channel: str = "weibo") -> ir.Table:
    """微博传播指数 BCI per Weibo account over ``[start, end]`` (see the module docstring).

    Returns
    -------
    ibis.Table
        ``account_id, posts, reposts, comments, likes, W1, W2, bci``, highest first.
    """
    stats = _period(content_stats.filter(content_stats.channel == channel), start, end)
    acc = stats.group_by("account_id").aggregate(
        posts=stats.content_id.nunique().cast("int64"),
        reposts=stats.shares.sum().fill_null(0).cast("int64"),
        comments=stats.comments.sum().fill_null(0).cast("int64"),
        likes=stats.likes.sum().fill_null(0).cast("int64"),
    )
    acc = acc.mutate(
        W1=(acc.posts + 1).ln(),
        W2=0.4 * (acc.reposts + 1).ln() + 0.4 * (acc.comments + 1).ln() + 0.2 * (acc.likes + 1).ln(),
    )
    acc = acc.mutate(bci=(0.2 * acc.W1 + 0.8 * acc.W2) * 160)
    return acc.order_by(ibis.desc("bci"))


# -- workspace-level analyses ------------------------------------------------------------
@register_analysis("content", title=("Content performance", "内容表现"))
def content(session: AnalysisSession, *, top: int = 50) -> pd.DataFrame:
    """Per content: exposes, views, interactions and engagement from the platforms' daily statistics."""
    out = session.to_pandas(
        content_performance(
            session.on_channels(session.table("content_stats")),
            start=session.period.start,
            end=session.period.end,
            contents=session.table("contents"),
        )
    )
    return out.head(top) if top > 0 else out
