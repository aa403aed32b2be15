"""Plotly figures for the report: one look (fonts that render Chinese, one colour per channel).

plotly.js itself is taken from the installed ``plotly`` package and inlined
once per report (:func:`plotly_js`), so the report opens offline; each figure
is a ``<div>`` plus a call to ``Plotly.newPlot`` (:func:`figure_html`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from canyu import vocab

__all__ = [
    "FONT_STACK",
    "channel_colors",
    "daily_lines",
    "figure_html",
    "horizontal_bars",
    "plotly_js",
    "style_figure",
]

# Latin first so digits and letters keep their shapes; then CJK fonts for
# Linux (WenQuanYi, Noto), macOS (PingFang) and Windows (YaHei).
FONT_STACK = (
    '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)


def channel_colors() -> dict[str, str]:
    """A fixed colour per channel code (``vocab.Channel.color``), the same in every chart and every report."""
    return {code: channel.color for code, channel in vocab.CHANNEL_INFO.items()}


def plotly_js() -> str:
    """The plotly.js bundle shipped inside the installed plotly package (no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def style_figure(fig: go.Figure, *, title: str = "", height: int = 380) -> go.Figure:
    """The report's look: white template, the CJK-capable font stack, compact margins."""
    fig.update_layout(
        template="plotly_white",
        title={"text": title, "x": 0.0, "xanchor": "left", "y": 0.98, "yanchor": "top", "yref": "container"}
        if title
        else None,
        font={"family": FONT_STACK, "size": 13},
        height=height,
        margin={"l": 60, "r": 20, "t": 90 if title else 40, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT_STACK}},
    )
    return fig


def figure_html(fig: go.Figure, *, div_id: str) -> str:
    """A figure as a ``<div>`` and its script, without plotly.js (the page carries it once)."""
    html: str = fig.to_html(
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )
    return html


def daily_lines(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    names: Mapping[str, str],
    title: str = "",
    y_title: str = "",
) -> go.Figure:
    """One line per ``series`` value (a channel code), ``names`` giving its legend label."""
    colors = channel_colors()
    fig = go.Figure()
    for code, part in frame.groupby(series, sort=True):
        part = part.sort_values(x)
        key = str(code)
        fig.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="lines+markers",
                name=names.get(key, key),
                line={"color": colors.get(key)},
            )
        )
    style_figure(fig, title=title)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    days = frame[x].nunique()
    # A short range gets one tick per day, not plotly's 6-hourly ticks.
    fig.update_xaxes(
        type="date", tickformat="%m-%d", hoverformat="%Y-%m-%d", dtick=86_400_000 if days <= 21 else None
    )
    return fig


def horizontal_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    colors: Sequence[str | None] | None = None,
    hover: Sequence[str] | None = None,
    title: str = "",
    x_title: str = "",
) -> go.Figure:
    """Bars from top to bottom in the given order (the first label is the top bar)."""
    fig = go.Figure(
        go.Bar(
            x=list(values)[::-1],
            y=list(labels)[::-1],
            orientation="h",
            marker={"color": list(colors)[::-1]} if colors else None,
            hovertext=list(hover)[::-1] if hover else None,
        )
    )
    style_figure(fig, title=title, height=max(240, 60 + 32 * len(labels)))
    fig.update_xaxes(title_text=x_title, rangemode="tozero")
    fig.update_yaxes(automargin=True)
    return fig
