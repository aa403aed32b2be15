"""HTML for the report: one self-contained page (inline CSS, inline plotly.js, no external URL).

Every string from data is escaped here; sections hand over text, DataFrames
and figures, never HTML.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import pandas as pd

from canyu.errors import PluginError
from canyu.i18n import MESSAGES, channel_label, is_zh, localize, t
from canyu.plan import Finding
from canyu.report._charts import FONT_STACK, figure_html, plotly_js
from canyu.report._contracts import (
    FINDINGS_ORDER,
    Block,
    FigureBlock,
    SectionResult,
    TableBlock,
    TextBlock,
)

__all__ = ["RenderedSection", "render_page", "section_anchor"]


@dataclass(frozen=True, eq=False)
class RenderedSection:
    """A section's name, what it returned and its registered order, in report order."""

    name: str
    result: SectionResult
    order: float = 500.0


_CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa;
  --critical:#8b0000; --high:#cf222e; --medium:#bf8700; --low:#0969da; --info:#59636e; }
* { box-sizing: border-box; }
html { font-family: FONT_STACK; color: var(--fg); background: var(--bg); line-height: 1.6; }
body { margin: 0 auto; max-width: 1120px; padding: 24px 32px 64px; }
header h1 { font-size: 1.7rem; margin: 0 0 4px; }
header p { margin: 2px 0; color: var(--muted); }
nav { margin: 20px 0; padding: 12px 16px; background: var(--soft); border-radius: 8px; }
nav ol { margin: 4px 0 0; padding-left: 1.4em; columns: 2; }
nav a { color: var(--low); text-decoration: none; }
section { margin-top: 36px; border-top: 1px solid var(--line); padding-top: 8px; }
h2 { font-size: 1.35rem; margin: 12px 0; }
h3 { font-size: 1.05rem; margin: 20px 0 8px; }
p.note { color: var(--muted); font-size: 0.9rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 4px 0 8px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 12px 0; }
figcaption { color: var(--muted); font-size: 0.9rem; }
ol.findings { list-style: none; padding: 0; }
li.finding { border: 1px solid var(--line); border-left: 6px solid var(--info); border-radius: 6px;
  padding: 10px 14px; margin: 10px 0; }
li.finding.sev-critical { border-left-color: var(--critical); }
li.finding.sev-high { border-left-color: var(--high); }
li.finding.sev-medium { border-left-color: var(--medium); }
li.finding.sev-low { border-left-color: var(--low); }
.badge { display: inline-block; border-radius: 4px; padding: 0 8px; margin-right: 8px; color: #fff;
  background: var(--info); font-size: 0.85rem; }
.sev-critical .badge { background: var(--critical); } .sev-high .badge { background: var(--high); }
.sev-medium .badge { background: var(--medium); } .sev-low .badge { background: var(--low); }
.finding .metric { font-weight: 600; }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 0; }
.finding dt { color: var(--muted); }
.finding dd { margin: 0; }
.finding code { font-size: 0.85rem; background: var(--soft); padding: 0 4px; border-radius: 3px; }
.finding .ev-key { color: var(--muted); }
.ev-tables { display: flex; flex-wrap: wrap; gap: 4px 20px; }
table.evidence { font-size: 0.82rem; margin: 6px 0 2px; }
table.evidence caption { text-align: left; color: var(--muted); font-size: 0.82rem; padding-bottom: 2px; }
table.evidence th, table.evidence td { padding: 2px 8px; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.85rem; }
@media print { nav { display: none; } section { break-inside: avoid-page; } }
""".replace("FONT_STACK", FONT_STACK)


def section_anchor(name: str) -> str:
    """The ``id`` of a section's element: ``section-<name>``."""
    return "section-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- cells and tables ---------------------------------------------------------------
def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value) is True)
    except (TypeError, ValueError):
        return False


def _cell(value: Any, pattern: str | None) -> str:
    if _missing(value):
        return ""
    if pattern:
        return pattern.format(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return f"{float(value):,.2f}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return str(value)


def _table_html(block: TableBlock, locale: str) -> str:
    frame = block.frame
    num = ' class="num"'
    cls = {c: num if pd.api.types.is_numeric_dtype(frame[c]) else "" for c in frame.columns}
    out = []
    if block.caption:
        out.append(f"<h3>{_e(localize(block.caption, locale))}</h3>")
    head = "".join(
        f'<th{cls[c]} scope="col">{_e(localize(block.labels.get(str(c), str(c)), locale))}</th>'
        for c in frame.columns
    )
    rows = []
    for record in frame.head(block.max_rows).itertuples(index=False, name=None):
        cells = "".join(
            f"<td{cls[c]}>{_e(_cell(v, block.formats.get(str(c))))}</td>"
            for c, v in zip(frame.columns, record, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    out.append(
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
    if len(frame) > block.max_rows:
        more = len(frame) - block.max_rows
        out.append(f'<p class="note">… +{more:,}</p>')
    return "\n".join(out)


def _block_html(block: Block, locale: str, div_id: str) -> str:
    if isinstance(block, TextBlock):
        cls = ' class="note"' if block.note else ""
        return f"<p{cls}>{_e(localize(block.text, locale))}</p>"
    if isinstance(block, TableBlock):
        return _table_html(block, locale)
    if isinstance(block, FigureBlock):
        caption = localize(block.caption, locale)
        cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
        return f'<figure class="chart">{figure_html(block.figure, div_id=div_id)}{cap}</figure>'
    raise PluginError(f"not a report block: {type(block).__name__}", name=type(block).__name__)


# -- findings --------------------------------------------------------------------------
# A finding's evidence is a JSON-ready mapping (numbers, strings, lists, records, mappings); the
# report shows its scalars on one line and each nested value as a small table, numbers rounded.
_P_KEY = re.compile(r"(^|_)[pq](_|$)")
"""Evidence keys that hold p- or q-values (``p_value``, ``q_value``, ``p_brand_leads``...)."""
EVIDENCE_MAX_ROWS = 12
"""Rows of a nested evidence table (and items of a list) shown before "… +n"."""


def _ev_label(key: object, locale: str) -> str:
    k = f"ev.{key}"
    return t(k, locale) if k in MESSAGES else str(key).replace("_", " ")


def _ev_number(x: float, *, p_value: bool = False) -> str:
    """A number for reading: p/q-values as ``< 0.001`` or 3 significant digits, others rounded."""
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if p_value:
        return "< 0.001" if x < 0.001 else f"{x:.3g}"  # 0.001 <= x: never in exponent notation
    if x == 0 or float(x).is_integer() or abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    # 3 significant digits, never in exponent notation (0.0000123, not 1.23e-05)
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:.{digits}f}".rstrip("0").rstrip(".")


def _ev_scalar(value: Any, key: object, locale: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("ev.yes" if value else "ev.no", locale)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return _ev_number(float(value), p_value=bool(_P_KEY.search(str(key))))
    if str(key) == "channel" and isinstance(value, str):
        return channel_label(value, locale)
    return str(value)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _ev_list(values: Sequence[Any], key: object, locale: str) -> str:
    """A list of scalars: an interval ``a – b`` for two numbers, else the items joined."""
    if len(values) == 2 and all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
        return " – ".join(_ev_scalar(v, key, locale) for v in values)
    shown = [_ev_scalar(v, key, locale) for v in values[:EVIDENCE_MAX_ROWS]]
    more = f" … +{len(values) - EVIDENCE_MAX_ROWS:,}" if len(values) > EVIDENCE_MAX_ROWS else ""
    return ("、" if is_zh(locale) else ", ").join(shown) + more


def _ev_cell(value: Any, key: object, locale: str) -> str:
    if _is_scalar(value):
        return _ev_scalar(value, key, locale)
    if isinstance(value, Mapping):
        return "; ".join(f"{_ev_label(k, locale)} {_ev_cell(v, k, locale)}" for k, v in value.items())
    return _ev_list(list(value), key, locale)


def _ev_table(caption: str, columns: Sequence[object], rows: Sequence[Sequence[Any]], locale: str) -> str:
    """A small evidence table: ``columns`` are evidence keys (labelled, and deciding each cell's format)."""
    num = ' class="num"'
    cls = [
        num
        if all(isinstance(r[i], Real) and not isinstance(r[i], bool) for r in rows if r[i] is not None)
        else ""
        for i in range(len(columns))
    ]
    head = "".join(
        f'<th{cls[i]} scope="col" title="{_e(c)}">{_e(_ev_label(c, locale))}</th>'
        for i, c in enumerate(columns)
    )
    body = []
    for r in rows[:EVIDENCE_MAX_ROWS]:
        cells = "".join(f"<td{cls[i]}>{_e(_ev_cell(v, columns[i], locale))}</td>" for i, v in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    more = (
        f'<p class="note">… +{len(rows) - EVIDENCE_MAX_ROWS:,}</p>' if len(rows) > EVIDENCE_MAX_ROWS else ""
    )
    return (
        f'<table class="evidence"><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{more}"
    )


def _evidence_html(evidence: Mapping[str, Any], locale: str) -> str:
    """Scalars as ``label value; ...``; lists of records, mappings (by key) as small tables.

    Mappings of scalars over the same keys (a topic's converted, engaged and q, say) share one
    table, one row per key; a list of records is a table with one row per record.
    """
    if not evidence:
        return ""
    inline: list[str] = []
    tables: list[str] = []
    # mappings of scalars, grouped by their keys: one table per key set
    by_keys: dict[tuple[str, ...], list[str]] = {}
    for k, v in evidence.items():
        if isinstance(v, Mapping) and v and all(_is_scalar(x) for x in v.values()):
            by_keys.setdefault(tuple(map(str, v)), []).append(k)
    grouped = {k for ks in by_keys.values() for k in ks}
    done: set[tuple[str, ...]] = set()
    for k, v in evidence.items():
        label = f'<span class="ev-key" title="{_e(k)}">{_e(_ev_label(k, locale))}</span>'
        if k in grouped:
            keys = tuple(map(str, v))
            if keys in done:
                continue
            done.add(keys)
            names = by_keys[keys]
            if len(names) == 1:  # one mapping: a two-column table, its keys and values
                rows = [[kk, vv] for kk, vv in v.items()]
                tables.append(_ev_table(_ev_label(k, locale), ["", k], rows, locale))
            else:
                rows = [[kk, *(evidence[n][kk] for n in names)] for kk in v]
                caption = " · ".join(_ev_label(n, locale) for n in names)
                tables.append(_ev_table(caption, ["", *names], rows, locale))
        elif isinstance(v, list | tuple) and v and all(isinstance(x, Mapping) for x in v):
            cols: list[str] = []
            for rec in v:
                cols += [str(c) for c in rec if str(c) not in cols]
            rows = [[rec.get(c) for c in cols] for rec in v]
            tables.append(_ev_table(_ev_label(k, locale), cols, rows, locale))
        elif isinstance(v, Mapping) and v and all(isinstance(x, Mapping) for x in v.values()):
            cols = []
            for rec in v.values():
                cols += [str(c) for c in rec if str(c) not in cols]
            rows = [[kk, *(rec.get(c) for c in cols)] for kk, rec in v.items()]
            tables.append(_ev_table(_ev_label(k, locale), ["", *cols], rows, locale))
        else:
            inline.append(f"{label} {_e(_ev_cell(v, k, locale))}")
    sep = "；" if is_zh(locale) else "; "
    out = f'<span class="ev-inline">{sep.join(inline)}</span>' if inline else ""
    if tables:
        out += f'<div class="ev-tables">{"".join(tables)}</div>'
    return out


def _findings_html(findings: Sequence[Finding], locale: str, titles: Mapping[str, str]) -> str:
    out = [
        f'<section id="findings"><h2>{_e(t("findings", locale))}</h2>',
        f'<p class="note">{_e(t("findings_intro", locale))}</p>',
    ]
    if not findings:
        out.append(f'<p class="no-findings">{_e(t("no_findings", locale))}</p></section>')
        return "\n".join(out)
    out.append('<ol class="findings">')
    for f in findings:
        sev = f.severity
        link = ""
        if f.section:
            label = t("see_section", locale, section=titles.get(f.section, f.section))
            link = f' <a href="#{section_anchor(f.section)}">{_e(label)}</a>'
        value = _cell(f.value, None) if not isinstance(f.value, str) else f.value
        rows = [
            ("finding_value", _e(value)),
            ("expectation", _e(f.text("expectation", locale))),
            ("evidence", _evidence_html(f.evidence, locale)),
            ("action", _e(f.text("action", locale)) + link),
        ]
        dl = "".join(f"<dt>{_e(t(k, locale))}</dt><dd>{v}</dd>" for k, v in rows if v)
        out.append(
            f'<li class="finding sev-{_e(sev)}" data-key="{_e(f.key)}" data-severity="{_e(sev)}">'
            f'<span class="badge">{_e(t("sev_" + sev, locale))}</span>'
            f'<span class="metric">{_e(f.text("metric", locale))}</span><dl>{dl}</dl></li>'
        )
    out.append("</ol></section>")
    return "\n".join(out)


# -- the page ----------------------------------------------------------------------------
def render_page(
    *,
    title: str,
    locale: str,
    subtitle_lines: Sequence[str],
    sections: Sequence[RenderedSection],
    findings: Sequence[Finding],
    generator: str,
) -> str:
    """The whole report as one HTML document.

    Sections ordered below :data:`FINDINGS_ORDER` (the action plan) come first, then the
    findings list, then the other sections; the contents list follows the same order.
    """
    titles = {s.name: localize(s.result.title, locale) for s in sections}
    lead = [s for s in sections if s.order < FINDINGS_ORDER]
    rest = [s for s in sections if s.order >= FINDINGS_ORDER]
    body: list[str] = []
    n_figures = 0
    for s in [*lead, None, *rest]:
        if s is None:
            body.append(_findings_html(findings, locale, titles))
            continue
        parts = [f'<section id="{section_anchor(s.name)}" data-section="{_e(s.name)}">']
        parts.append(f"<h2>{_e(titles[s.name])}</h2>")
        for i, block in enumerate(s.result.blocks):
            n_figures += isinstance(block, FigureBlock)
            parts.append(_block_html(block, locale, div_id=f"chart-{section_anchor(s.name)[8:]}-{i}"))
        parts.append("</section>")
        body.append("\n".join(parts))
    nav_items = [f'<li><a href="#{section_anchor(s.name)}">{_e(titles[s.name])}</a></li>' for s in lead]
    nav_items += [f'<li><a href="#findings">{_e(t("findings", locale))}</a></li>']
    nav_items += [f'<li><a href="#{section_anchor(s.name)}">{_e(titles[s.name])}</a></li>' for s in rest]
    # plotly.js goes in once, before the figures' scripts, and only when a figure needs it.
    script = f'<script type="text/javascript">{plotly_js()}</script>' if n_figures else ""
    subtitle = "".join(f"<p>{_e(line)}</p>" for line in subtitle_lines)
    return f"""<!DOCTYPE html>
<html lang="{_e(locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{_e(generator)}">
<title>{_e(title)}</title>
<style>{_CSS}</style>
{script}
</head>
<body>
<header><h1>{_e(title)}</h1>{subtitle}</header>
<nav><strong>{_e(t("contents_nav", locale))}</strong><ol>{"".join(nav_items)}</ol></nav>
<main>
{chr(10).join(body)}
</main>
<footer><p>{_e(t("offline_note", locale))}</p></footer>
</body>
</html>
"""
