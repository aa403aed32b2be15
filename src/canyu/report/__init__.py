"""The report: one self-contained HTML file, in Chinese or English, the action plan, then the findings, first.

Sections are registered by name. A section is a function
``(ctx: ReportContext) -> SectionResult``; :func:`write_report` runs the chosen
ones in order, ranks all their findings (:func:`canyu.plan.rank_findings`)
and lists them first, then shows each section's paragraphs, tables and
Plotly charts. plotly.js is inlined from the installed package, so the file
opens offline.

Built-in sections: ``overview`` (order 10), ``content`` (30), ``data_quality`` (900).

Examples
--------
Register a section (an analysis package does this next to its code, and adds
its module to ``SECTION_MODULES`` so the report imports it):

>>> import ibis
>>> from canyu.report import ReportContext, SectionResult, TableBlock, register_section
>>> @register_section("actions", order=100)
... def actions(ctx: ReportContext) -> SectionResult:
...     '''Events per action in the period.'''
...     ev = ctx.events()
...     counts = ctx.to_pandas(ev.group_by("action").aggregate(events=ev.count()))
...     return SectionResult(
...         title=("Actions", "行为"),
...         blocks=[TableBlock(counts, labels={"action": ("Action", "行为"), "events": ("Events", "事件数")})],
...     )

Write a report:

>>> import canyu                                            # doctest: +SKIP
>>> from canyu.report import write_report                   # doctest: +SKIP
>>> with canyu.open("brand-x") as ws:                       # doctest: +SKIP
...     res = write_report(ws, locale="zh-CN", sections=["overview", "actions"])
"""

from __future__ import annotations

from canyu.i18n import Text
from canyu.report._build import (
    PeriodLike,
    Report,
    ReportResult,
    build_report,
    default_report_path,
    write_report,
)
from canyu.report._contracts import (
    FINDINGS_ORDER,
    SECTION_MODULES,
    SECTIONS,
    Block,
    FigureBlock,
    Period,
    ReportContext,
    Section,
    SectionFn,
    SectionResult,
    TableBlock,
    TextBlock,
    get_section,
    register_section,
    resolve_sections,
    section_names,
)

__all__ = [
    "FINDINGS_ORDER",
    "SECTIONS",
    "SECTION_MODULES",
    "Block",
    "FigureBlock",
    "Period",
    "PeriodLike",
    "Report",
    "ReportContext",
    "ReportResult",
    "Section",
    "SectionFn",
    "SectionResult",
    "TableBlock",
    "Text",
    "TextBlock",
    "build_report",
    "default_report_path",
    "get_section",
    "register_section",
    "resolve_sections",
    "section_names",
    "write_report",
]
