"""Run the chosen sections over a workspace and write the report file."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from canyu.errors import InvalidArgumentError, PluginError, UnknownNameError
from canyu.i18n import normalize_locale, t
from canyu.plan import SEVERITIES, Finding, diagnose, rank_findings
from canyu.report._contracts import Period, ReportContext, SectionResult, resolve_sections
from canyu.report._render import RenderedSection, render_page

if TYPE_CHECKING:
    from collections.abc import Sequence

    from canyu.workspace import Workspace

__all__ = ["PeriodLike", "Report", "ReportResult", "build_report", "default_report_path", "write_report"]

PeriodLike = Period | str | tuple[date | None, date | None] | None


@dataclass(frozen=True, eq=False)
class Report:
    """A built report: its HTML, its ranked findings and each section's result."""

    html: str
    locale: str
    period: Period
    findings: tuple[Finding, ...]
    sections: tuple[RenderedSection, ...]

    def section(self, name: str) -> SectionResult:
        for s in self.sections:
            if s.name == name:
                return s.result
        raise UnknownNameError("report section", name, [s.name for s in self.sections])


@dataclass(frozen=True)
class ReportResult:
    """What :func:`write_report` wrote: the file, its locale, its sections and ranked findings."""

    path: Path
    locale: str
    sections: tuple[str, ...]
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "locale": self.locale,
            "sections": list(self.sections),
            "findings": [f.to_dict(self.locale) for f in self.findings],
        }

    def summary(self) -> str:
        """One line for the command line: the file, its sections and findings per severity."""
        loc = self.locale
        if self.findings:
            counts = Counter(f.severity for f in self.findings)
            sep = "，" if loc.startswith("zh") else ", "
            detail = sep.join(f"{t('sev_' + s, loc)} {counts[s]}" for s in SEVERITIES if counts[s])
            findings = t("cli_findings", loc, n=len(self.findings), detail=detail)
        else:
            findings = t("cli_no_findings", loc)
        return t("cli_wrote", loc, path=self.path, sections=len(self.sections), findings=findings)


def _period(period: PeriodLike) -> Period:
    return Period.of(period)


def build_report(
    ws: Workspace,
    *,
    locale: str | None = None,
    sections: Sequence[str] | str | None = None,
    period: PeriodLike = None,
    progress: Callable[[str, float], None] | None = None,
) -> Report:
    """Run ``sections`` (default: all registered) over ``ws`` and render one HTML page.

    Parameters
    ----------
    ws
        The workspace.
    locale
        ``zh-CN`` or ``en``; default: the workspace's (canyu.toml).
    sections
        Section names (or ``"a,b"``); shown in their registered order. An unknown name
        raises :class:`canyu.errors.UnknownNameError` listing the valid ones.
    period
        A :class:`Period` or ``(start, end)`` dates in the workspace's time zone; default all data.
    progress
        Called as ``progress(section, fraction)`` before each section runs (fraction of sections
        done, in [0, 1)); the console's report job shows it.
    """
    from canyu import __version__

    loc = normalize_locale(locale or ws.config.locale)
    chosen = resolve_sections(sections)
    session = ws.session(period=_period(period))
    per = session.period
    ctx = ReportContext(session=session, locale=loc)
    rendered: list[RenderedSection] = []
    # The diagnosis: the rules whose evidence these sections show (canyu.plan), plus any a section adds.
    findings: list[Finding] = diagnose(session, sections=[s.name for s in chosen])
    for i, sec in enumerate(chosen):
        if progress is not None:
            progress(sec.name, i / max(1, len(chosen)))
        result = sec.render(ctx)
        if not isinstance(result, SectionResult):
            raise PluginError(
                f"report section {sec.name!r} returned {type(result).__name__}, not a SectionResult",
                name=sec.name,
            )
        rendered.append(RenderedSection(sec.name, result, sec.order))
        findings += [f if f.section else dataclasses.replace(f, section=sec.name) for f in result.findings]
    ranked = tuple(rank_findings(findings))
    tz = ZoneInfo(ws.config.timezone)
    now = datetime.now(tz).strftime("%Y-%m-%d %H:%M")
    html = render_page(
        title=t("report_title", loc, brand=ws.config.brand),
        locale=loc,
        subtitle_lines=(
            t("period", loc, period=per.label(loc)),
            t("generated", loc, when=now, version=__version__),
            t("timezone", loc, tz=ws.config.timezone),
            *_product_line(ws, loc),
        ),
        sections=rendered,
        findings=ranked,
        generator=f"canyu {__version__}",
    )
    return Report(html=html, locale=loc, period=per, findings=ranked, sections=tuple(rendered))


def _product_line(ws: Workspace, loc: str) -> tuple[str, ...]:
    """The product profile the diagnosis judges the channels against (canyu.toml [product])."""
    p = ws.config.product
    if not (p.name or p.category or p.price):
        return ()
    parts = [x for x in (p.category, f"{p.price:,.2f} {ws.config.currency}" if p.price else "") if x]
    detail = f" ({', '.join(parts)})" if parts else ""
    hits = ", ".join(p.hit_products)
    return (t("product_line", loc, name=p.name or "—", detail=detail, hits=hits or "—"),)


def default_report_path(ws: Workspace, locale: str) -> Path:
    """``<workspace>/reports/report-<today>.<locale>.html`` (today in the workspace's time zone)."""
    today = datetime.now(ZoneInfo(ws.config.timezone)).date().isoformat()
    return ws.path / "reports" / f"report-{today}.{normalize_locale(locale)}.html"


def write_report(
    ws: Workspace,
    *,
    path: str | os.PathLike[str] | None = None,
    locale: str | None = None,
    sections: Sequence[str] | str | None = None,
    period: PeriodLike = None,
    progress: Callable[[str, float], None] | None = None,
) -> ReportResult:
    """Build the report (see :func:`build_report`) and write it as one self-contained HTML file.

    Parameters
    ----------
    ws
        The workspace.
    path
        Where to write; default ``<workspace>/reports/report-<date>.<locale>.html``.
    locale, sections, period, progress
        As in :func:`build_report`.

    Returns
    -------
    ReportResult
        The path written and the findings, most severe first.

    Examples
    --------
    >>> import canyu                                            # doctest: +SKIP
    >>> from canyu.report import write_report                   # doctest: +SKIP
    >>> with canyu.open("brand-x") as ws:                       # doctest: +SKIP
    ...     res = write_report(ws, locale="zh-CN")
    >>> res.path, [f.key for f in res.findings]                 # doctest: +SKIP
    """
    if path is not None and Path(path).is_dir():
        raise InvalidArgumentError(
            "path",
            str(path),
            "a file to write, not a folder",
            reason=f"{path} is a folder; give the report file to write, e.g. {Path(path) / 'report.html'}",
            reason_zh=f"{path} 是目录；请给出要写入的报告文件，例如 {Path(path) / 'report.html'}",
        )
    report = build_report(ws, locale=locale, sections=sections, period=period, progress=progress)
    out = Path(path) if path is not None else default_report_path(ws, report.locale)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a reader never sees half a report.
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(report.html, encoding="utf-8")
    os.replace(tmp, out)
    return ReportResult(
        path=out,
        locale=report.locale,
        sections=tuple(s.name for s in report.sections),
        findings=report.findings,
    )
