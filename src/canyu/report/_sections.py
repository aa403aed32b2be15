"""The built-in sections: ``overview``, ``content`` and ``data_quality``.

Each works on any workspace, empty tables included: a section with nothing to
show says so and how to import what it needs. Queries are Ibis expressions on
the workspace's tables; only aggregates come back to pandas.
"""

from __future__ import annotations

from pathlib import PurePath

import ibis
import pandas as pd

from canyu.i18n import MESSAGES
from canyu.report._charts import channel_colors, daily_lines, horizontal_bars
from canyu.report._contracts import (
    FigureBlock,
    ReportContext,
    SectionResult,
    TableBlock,
    TextBlock,
    register_section,
)
from canyu.store import TABLES

__all__ = ["content", "data_quality", "overview"]


_STAT_COLUMNS = ("exposes", "views", "likes", "comments", "shares", "collects", "follows_gained")


def _m(key: str) -> tuple[str, str]:
    """A message as ``(en, zh)`` (for table headers that the renderer localizes)."""
    return MESSAGES[key]


def _local(series: pd.Series, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> pd.Series:
    """Naive UTC timestamps → text in the workspace's time zone (empty for missing)."""
    ts = pd.to_datetime(series)
    out = ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.strftime(fmt)
    return out.fillna("")


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.strftime("%Y-%m-%d").fillna("")


# -- overview ----------------------------------------------------------------------
# The store's own bookkeeping, not data: the derived-table catalogue grows as analyses cache their
# results, so counting it would make two reports of the same data differ.
_BOOKKEEPING = ("derived", "store_meta")


def _rows_per_table(ctx: ReportContext) -> pd.DataFrame:
    names = [n for n in TABLES if n not in _BOOKKEEPING]
    counts = ibis.union(
        *(ctx.table(name).aggregate(table_name=ibis.literal(name), rows=ibis._.count()) for name in names)
    )
    found = dict(ctx.to_pandas(counts).itertuples(index=False, name=None))
    return pd.DataFrame({"table": names, "rows": [int(found.get(n, 0)) for n in names]})


def _per_channel(ctx: ReportContext) -> pd.DataFrame:
    ev = ctx.events()
    events = ctx.to_pandas(
        ev.group_by("channel").aggregate(
            events=ev.count(), people=ev.person_id.nunique(), first=ev.ts.min(), last=ev.ts.max()
        )
    )
    cs = ctx.in_period("content_stats", "date")
    stats = ctx.to_pandas(
        cs.group_by("channel").aggregate(
            stat_rows=cs.count(), stat_first=cs.date.min(), stat_last=cs.date.max()
        )
    )
    merged = events.merge(stats, on="channel", how="outer").sort_values("channel", ignore_index=True)
    for col in ("events", "people", "stat_rows"):
        merged[col] = merged[col].fillna(0).astype("int64")
    merged["first"] = _local(merged["first"], ctx.timezone)
    merged["last"] = _local(merged["last"], ctx.timezone)
    merged["stat_first"] = _dates(merged["stat_first"])
    merged["stat_last"] = _dates(merged["stat_last"])
    merged["channel"] = [ctx.channel(c) for c in merged["channel"]]
    return merged[["channel", "events", "people", "first", "last", "stat_rows", "stat_first", "stat_last"]]


def _daily_events(ctx: ReportContext) -> pd.DataFrame:
    """Events per channel and local calendar day, zeros filled in between.

    Counted per UTC hour in the engine, then moved to the workspace's time zone
    here, so days follow the zone's rules (offsets, daylight saving) on every engine.
    """
    ev = ctx.events()
    hourly = ctx.to_pandas(
        ev.group_by(["channel", ev.ts.truncate("h").name("hour")]).aggregate(events=ev.count())
    )
    if hourly.empty:
        return pd.DataFrame(columns=["channel", "day", "events"])
    hour = pd.to_datetime(hourly["hour"]).dt.tz_localize("UTC").dt.tz_convert(ctx.timezone)
    hourly["day"] = hour.dt.tz_localize(None).dt.normalize()
    daily = hourly.groupby(["channel", "day"], as_index=False)["events"].sum()
    days = pd.date_range(daily["day"].min(), daily["day"].max(), freq="D")
    full = pd.MultiIndex.from_product([sorted(daily["channel"].unique()), days], names=["channel", "day"])
    return daily.set_index(["channel", "day"]).reindex(full, fill_value=0).reset_index()


@register_section("overview", order=10)
def overview(ctx: ReportContext) -> SectionResult:
    """Rows per table, date range and people per channel, daily events per channel."""
    blocks: list[TextBlock | TableBlock | FigureBlock] = [TextBlock(_m("overview_intro"))]
    blocks.append(
        TableBlock(
            _rows_per_table(ctx),
            caption=_m("rows_per_table"),
            labels={"table": _m("table"), "rows": _m("rows")},
        )
    )
    channels = _per_channel(ctx)
    daily = _daily_events(ctx)
    if channels.empty:
        blocks.append(TextBlock(_m("no_events")))
        return SectionResult(title=_m("overview"), blocks=blocks)
    blocks.append(
        TableBlock(
            channels,
            caption=_m("per_channel"),
            labels={
                "channel": _m("channel"),
                "events": _m("events"),
                "people": _m("people"),
                "first": _m("first"),
                "last": _m("last"),
                "stat_rows": _m("stat_rows"),
                "stat_first": _m("stat_first"),
                "stat_last": _m("stat_last"),
            },
        )
    )
    blocks.append(TextBlock(ctx.t("timezone", tz=ctx.timezone), note=True))
    if daily.empty:
        blocks.append(TextBlock(_m("no_events")))
    else:
        codes = [str(c) for c in daily["channel"].unique()]
        fig = daily_lines(
            daily,
            x="day",
            y="events",
            series="channel",
            names={c: ctx.channel(c) for c in codes},
            title=ctx.t("daily_events"),
            y_title=ctx.t("events"),
        )
        blocks.append(FigureBlock(fig))
    return SectionResult(title=_m("overview"), blocks=blocks)


# -- content -------------------------------------------------------------------------
def _top_contents(ctx: ReportContext, limit: int) -> pd.DataFrame:
    cs = ctx.in_period("content_stats", "date")
    cs = cs.filter(cs.content_id.notnull())
    agg = cs.group_by(["channel", "content_id"]).aggregate(
        **{col: cs[col].sum().coalesce(0) for col in _STAT_COLUMNS}
    )
    top = ctx.to_pandas(agg.order_by([ibis.desc("views"), ibis.desc("exposes"), "content_id"]).limit(limit))
    if top.empty:
        return top
    ids = [str(i) for i in top["content_id"].unique()]
    ct = ctx.table("contents")
    titles = ctx.to_pandas(ct.filter(ct.content_id.isin(ids)).select("content_id", "title"))
    top = top.merge(titles.drop_duplicates("content_id"), on="content_id", how="left")
    top["title"] = top["title"].fillna("")
    for col in _STAT_COLUMNS:
        top[col] = top[col].fillna(0).astype("int64")
    engaged = top[["likes", "comments", "shares", "collects"]].sum(axis=1)
    top["engagement"] = (engaged / top["views"].where(top["views"] > 0)).astype("float64")
    return top


@register_section("content", order=30)
def content(ctx: ReportContext) -> SectionResult:
    """Top contents by views from content_stats, with a bar chart."""
    top = _top_contents(ctx, limit=20)
    blocks: list[TextBlock | TableBlock | FigureBlock] = [TextBlock(_m("content_intro"))]
    if top.empty:
        blocks.append(TextBlock(_m("no_content_stats")))
        return SectionResult(title=_m("content"), blocks=blocks)
    colors = channel_colors()
    head = top.head(10)
    names = [
        f"{(title or cid)[:28]} · {ctx.channel(ch)}"
        for title, cid, ch in zip(head["title"], head["content_id"], head["channel"], strict=True)
    ]
    fig = horizontal_bars(
        names,
        head["views"].tolist(),
        colors=[colors.get(str(c)) for c in head["channel"]],
        hover=[str(c) for c in head["content_id"]],
        title=ctx.t("top_contents"),
        x_title=ctx.t("views"),
    )
    blocks.append(FigureBlock(fig))
    shown = top.assign(channel=[ctx.channel(c) for c in top["channel"]])
    shown = shown[["channel", "content_id", "title", *_STAT_COLUMNS, "engagement"]]
    if not shown["title"].astype(bool).any():
        shown = shown.drop(columns="title")
    blocks.append(
        TableBlock(
            shown,
            caption=_m("top_contents"),
            labels={c: _m(c) for c in shown.columns},
            formats={"engagement": "{:.1%}"},
        )
    )
    blocks.append(TextBlock(_m("engagement_note"), note=True))
    return SectionResult(title=_m("content"), blocks=blocks)


# -- data quality ------------------------------------------------------------------------
@register_section("data_quality", order=900)
def data_quality(ctx: ReportContext) -> SectionResult:
    """Imports with loaded, duplicate and quarantined rows; top quarantine reasons."""
    blocks: list[TextBlock | TableBlock | FigureBlock] = [TextBlock(_m("data_quality_intro"))]
    quality = ctx.run("data_quality")
    imports = quality.imports
    if imports.empty:
        blocks.append(TextBlock(_m("no_imports")))
        return SectionResult(title=_m("data_quality"), blocks=blocks)
    shown = imports.assign(
        source=[PurePath(str(s)).name for s in imports["source"]],
        started=_local(imports["started"], ctx.timezone),
        share=imports["rows_quarantined"] / imports["rows_in"].where(imports["rows_in"] > 0),
    )
    blocks.append(
        TableBlock(
            shown,
            caption=_m("import_log"),
            labels={
                "batch_id": _m("batch"),
                "source": _m("source"),
                "table_name": _m("table"),
                "started": _m("started"),
                "rows_in": _m("rows_in"),
                "rows_loaded": _m("loaded"),
                "rows_duplicate": _m("duplicate"),
                "rows_quarantined": _m("quarantined"),
                "share": _m("quarantined_share"),
            },
            formats={"share": "{:.1%}"},
        )
    )
    reasons = quality.reasons.copy()
    if reasons.empty:
        blocks.append(TextBlock(_m("no_quarantine")))
    else:
        broken = ctx.t("broken_line")
        reasons["field"] = [f if isinstance(f, str) and f else broken for f in reasons["field"]]
        blocks.append(
            TableBlock(
                reasons,
                caption=_m("top_reasons"),
                labels={
                    "table_name": _m("table"),
                    "field": _m("field"),
                    "rows": _m("rows"),
                    "example": _m("example_reason"),
                },
            )
        )
        blocks.append(TextBlock(_m("quarantine_fix_hint"), note=True))
    return SectionResult(title=_m("data_quality"), blocks=blocks)
