"""What a report section receives and returns, and the registry of sections by name.

A section is a function ``(ctx: ReportContext) -> SectionResult``, registered
under a name with :func:`register_section`. The report runs the chosen
sections in their ``order``: those below ``FINDINGS_ORDER`` (the action plan)
first, then every section's findings (most severe first), then the other
sections' blocks: paragraphs, tables from
pandas and Plotly figures.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis

from canyu.errors import InvalidArgumentError, UnknownNameError
from canyu.i18n import Text, channel_label, localize, t
from canyu.plan import Finding
from canyu.session import Period

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from canyu.session import AnalysisSession
    from canyu.workspace import Workspace

__all__ = [
    "FINDINGS_ORDER",
    "SECTIONS",
    "SECTION_MODULES",
    "Block",
    "FigureBlock",
    "Period",
    "ReportContext",
    "Section",
    "SectionFn",
    "SectionResult",
    "TableBlock",
    "TextBlock",
    "get_section",
    "register_section",
    "resolve_sections",
    "section_names",
]


# -- blocks ----------------------------------------------------------------------
@dataclass(frozen=True)
class TextBlock:
    """A paragraph. ``note=True`` renders it small and muted (a caveat, a hint)."""

    text: Text
    note: bool = False


@dataclass(frozen=True, eq=False)
class TableBlock:
    """A table from a (small, aggregated) pandas DataFrame.

    Parameters
    ----------
    frame
        The rows to show; the index is not shown.
    caption
        A heading above the table.
    labels
        Column name → header text (``(en, zh)`` or ``str``); other columns keep their name.
    formats
        Column name → ``str.format`` pattern, e.g. ``{"share": "{:.1%}"}``. Whole numbers
        otherwise get thousands separators, other floats two decimals.
    max_rows
        Rows beyond this are left out, with a note saying how many.
    """

    frame: pd.DataFrame
    caption: Text = ""
    labels: Mapping[str, Text] = field(default_factory=dict)
    formats: Mapping[str, str] = field(default_factory=dict)
    max_rows: int = 100


@dataclass(frozen=True, eq=False)
class FigureBlock:
    """A Plotly figure, drawn by the plotly.js embedded in the report."""

    figure: go.Figure
    caption: Text = ""


Block = TextBlock | TableBlock | FigureBlock


@dataclass(frozen=True, eq=False)
class SectionResult:
    """What a section returns: its title, its blocks in order, and its findings.

    Findings whose ``section`` is empty are attributed to the section that returned them.
    """

    title: tuple[str, str]
    blocks: Sequence[Block] = ()
    findings: Sequence[Finding] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        object.__setattr__(self, "findings", tuple(self.findings))


# -- the context -------------------------------------------------------------------
@dataclass(frozen=True)
class ReportContext:
    """What a section gets: the analysis session (workspace, period, zone...), the locale, helpers.

    Sections read registered analyses (``ctx.run("roles")``, memoised per report, so
    the findings and the sections share one computation) or query with Ibis
    (``ctx.table``, ``ctx.in_period``), and bring back only aggregates.
    """

    session: AnalysisSession
    locale: str

    @property
    def workspace(self) -> Workspace:
        return self.session.workspace

    @property
    def period(self) -> Period:
        return self.session.period

    @property
    def timezone(self) -> str:
        return self.session.timezone

    def run(self, name: str, /, **params: Any) -> Any:
        """A registered analysis over the report's session."""
        return self.session.run(name, **params)

    def t(self, key: str, /, **fields: object) -> str:
        """A report message (see ``canyu.i18n.MESSAGES``) in the report's locale."""
        return t(key, self.locale, **fields)

    def text(self, text: Text) -> str:
        """``(en, zh)`` → the one for the report's locale; a plain string as is."""
        return localize(text, self.locale)

    def channel(self, code: str | None) -> str:
        """The channel's name in the report's locale (``weibo`` → ``微博`` / ``Weibo``)."""
        return channel_label(code, self.locale)

    def table(self, name: str) -> ibis.Table:
        """A workspace table as an Ibis expression (unfiltered)."""
        return self.session.table(name)

    def in_period(self, table: ibis.Table | str, column: str) -> ibis.Table:
        """``table`` restricted to the report's period on ``column`` (a UTC TIMESTAMP or a DATE)."""
        return self.session.in_period(table, column)

    def events(self) -> ibis.Table:
        """The events of the period."""
        return self.session.events()

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        """Run an (aggregating) expression and return pandas."""
        return self.session.to_pandas(expr)


# -- the registry --------------------------------------------------------------------
SectionFn = Callable[[ReportContext], SectionResult]


@dataclass(frozen=True)
class Section:
    """A registered section: its name, its function and where it goes in the report."""

    name: str
    render: SectionFn
    order: float
    doc: str = ""


SECTIONS: dict[str, Section] = {}

FINDINGS_ORDER = 8.0
"""Where the findings list goes among the sections: sections ordered below it (the action plan, 5)
come before the findings, every other section after them."""

# Modules that register sections when imported; imported on first lookup so
# that an analysis package may import canyu.report without a cycle.
SECTION_MODULES: list[str] = [
    "canyu.report._sections",
    "canyu.report._operations",
    "canyu.report._media",
    "canyu.report._plan",
    "canyu.report._listening",
]


def register_section(
    name: str, *, order: float = 500.0, replace: bool = False
) -> Callable[[SectionFn], SectionFn]:
    """Register a report section under ``name`` (a decorator).

    Parameters
    ----------
    name
        The name used in ``write_report(sections=[...])`` and ``canyu report --sections``.
    order
        Where the section goes: lower first. Built-ins: ``plan`` 5, ``overview`` 10, ``content`` 30,
        ``data_quality`` 900; analyses go between (e.g. activity 100, funnels 200). Sections
        below :data:`FINDINGS_ORDER` (8) come before the findings list, the rest after it.
    replace
        Allow replacing a section already registered under ``name`` with another function.

    Examples
    --------
    >>> from canyu.report import ReportContext, SectionResult, TextBlock, register_section
    >>> @register_section("hello", order=50)
    ... def hello(ctx: ReportContext) -> SectionResult:
    ...     n = ctx.to_pandas(ctx.events().count().name("n").as_table())["n"][0]
    ...     return SectionResult(title=("Hello", "你好"), blocks=[TextBlock((f"{n} events", f"{n} 个事件"))])
    """

    def decorator(fn: SectionFn) -> SectionFn:
        old = SECTIONS.get(name)
        same = old is not None and (old.render.__module__, old.render.__qualname__) == (
            fn.__module__,
            fn.__qualname__,
        )
        if old is not None and not (replace or same):
            raise InvalidArgumentError(
                "name",
                name,
                "a name not registered yet (or replace=True)",
                reason=f"report section {name!r} is already registered by {old.render.__module__}.{old.render.__qualname__}; pass replace=True to replace it",
            )
        SECTIONS[name] = Section(name, fn, float(order), (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return decorator


def _load_section_modules() -> None:
    for module in SECTION_MODULES:
        importlib.import_module(module)


def section_names() -> tuple[str, ...]:
    """Registered section names in report order."""
    _load_section_modules()
    return tuple(s.name for s in sorted(SECTIONS.values(), key=lambda s: s.order))


def get_section(name: str) -> Section:
    """The section registered as ``name``; an unknown name raises ``UnknownNameError`` listing the valid ones."""
    _load_section_modules()
    try:
        return SECTIONS[name]
    except KeyError:
        raise UnknownNameError("report section", name, tuple(SECTIONS)) from None


def resolve_sections(names: Sequence[str] | str | None) -> tuple[Section, ...]:
    """Sections for ``names`` (a sequence, or ``"a,b"``), without repeats, in report order; ``None``: all."""
    if names is None:
        return tuple(get_section(n) for n in section_names())
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    chosen = {n: get_section(n) for n in names}
    return tuple(sorted(chosen.values(), key=lambda s: s.order))
