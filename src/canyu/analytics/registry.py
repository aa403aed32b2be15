"""Workspace-level analyses, registered by name.

An analysis is a function ``(session, **options) -> result`` where ``session``
is an :class:`~canyu.session.AnalysisSession` and the result is a tidy pandas
table or a frozen dataclass. It is registered once, next to the code it runs,
and every front end calls it by name: ``canyu analyze DIR NAME``, the report's
sections, the plan's rules, the demo and the web console.

Adding an analysis takes a decorator:

>>> from canyu.analytics.registry import register_analysis
>>> @register_analysis("events_per_action", title=("Events per action", "各行为事件数"))
... def events_per_action(session, *, top: int = 10):
...     '''Events per action in the session's period and channels.'''
...     ev = session.events()
...     q = ev.group_by("action").aggregate(events=ev.count()).order_by(ev.count().desc()).limit(top)
...     return session.to_pandas(q)

and, when it lives in a new module, that module's name in :data:`ANALYSIS_MODULES`.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from canyu.errors import InvalidArgumentError, UnknownNameError

__all__ = [
    "ANALYSES",
    "ANALYSIS_MODULES",
    "Analysis",
    "analysis_names",
    "as_tables",
    "get_analysis",
    "register_analysis",
    "to_jsonable",
]

AnalysisFn = Callable[..., Any]

ANALYSES: dict[str, Analysis] = {}

# Modules that register analyses when imported (on first lookup, so that an
# analysis module may import the registry without a cycle).
ANALYSIS_MODULES: list[str] = [
    "canyu.analytics.activity",
    "canyu.analytics.retention",
    "canyu.analytics.lifecycle",
    "canyu.analytics.funnels",
    "canyu.analytics.products",
    "canyu.analytics.campaigns",
    "canyu.analytics.community",
    "canyu.analytics.service",
    "canyu.analytics.content",
    "canyu.analytics.roles",
    "canyu.analytics.spend",
    "canyu.analytics.mmm._workspace",
    "canyu.plan.budget",
    "canyu.analytics.attribution._workspace",
    "canyu.analytics.diffusion._workspace",
    "canyu.analytics.influence._workspace",
    "canyu.analytics.quality",
    "canyu.analytics.text._workspace",
    "canyu.analytics.agenda._workspace",
    "canyu.plan._rules",
]


@dataclass(frozen=True)
class Option:
    """One keyword option of an analysis: its name, type and default."""

    name: str
    kind: type
    default: Any
    choices: tuple[str, ...] = ()
    item: type = str  # the element type of a tuple option

    def parse(self, text: str) -> Any:
        """The option's value from command-line text (``"7"``, ``"true"``, ``"a,b"``)."""
        try:
            if self.kind is bool:
                low = text.strip().lower()
                if low not in ("1", "0", "true", "false", "yes", "no"):
                    raise ValueError(text)
                return low in ("1", "true", "yes")
            if self.kind is int:
                return int(text)
            if self.kind is float:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError(text)
                return value
            if self.kind is tuple:
                parts = [p.strip() for p in text.split(",") if p.strip()]
                return tuple(
                    int(p) if self.item is int else float(p) if self.item is float else p for p in parts
                )
            if self.kind is date:
                return date.fromisoformat(text)
        except ValueError:
            what = (
                f"a comma-separated list of {self.item.__name__}"
                if self.kind is tuple
                else f"a {self.kind.__name__}"
            )
            raise InvalidArgumentError(self.name, text, what) from None
        if self.choices and text not in self.choices:
            raise UnknownNameError(f"value of {self.name}", text, self.choices)
        return text


@dataclass(frozen=True)
class Analysis:
    """A registered analysis."""

    name: str
    fn: AnalysisFn
    title: tuple[str, str]
    doc: str = ""
    options: tuple[Option, ...] = field(default=())

    def option(self, name: str) -> Option:
        for o in self.options:
            if o.name == name:
                return o
        raise UnknownNameError(f"option of analysis {self.name!r}", name, tuple(o.name for o in self.options))

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` checked against the options (unknown names raise, text is parsed)."""
        out: dict[str, Any] = {}
        for key, value in params.items():
            opt = self.option(key)
            if isinstance(value, str) and opt.kind is not str:
                value = opt.parse(value)
            elif isinstance(value, str) and opt.choices and value not in opt.choices:
                raise UnknownNameError(f"value of {key}", value, opt.choices)
            elif isinstance(value, list):
                value = tuple(value)
            out[key] = value
        return out

    def title_in(self, locale: str) -> str:
        en, zh = self.title
        return zh if locale.lower().startswith("zh") else en


def _options(fn: AnalysisFn, choices: Mapping[str, tuple[str, ...]]) -> tuple[Option, ...]:
    sig = inspect.signature(fn)
    out = []
    for p in list(sig.parameters.values())[1:]:
        if p.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"analysis {fn.__qualname__}: options after the session must be keyword-only")
        kind = _kind(p.annotation)
        item = _KINDS.get(_element(p.annotation), str)
        out.append(Option(p.name, kind, p.default, tuple(choices.get(p.name, ())), item))
    return tuple(out)


_KINDS: dict[str, type] = {"bool": bool, "int": int, "float": float, "str": str, "date": date}


def _element(annotation: Any) -> str:
    """``int`` for ``tuple[int, ...]`` (the element type's name of a sequence annotation)."""
    text = annotation if isinstance(annotation, str) else str(annotation)
    inner = text.replace(" ", "").partition("[")[2]
    return inner.split(",")[0].rstrip("]")


def _kind(annotation: Any) -> type:
    """The option's type from its annotation (a string under postponed evaluation)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    text = text.replace(" ", "").removesuffix("|None").removeprefix("None|")
    if text.startswith(("tuple", "list", "Sequence")):
        return tuple
    return _KINDS.get(text, str)


def register_analysis(
    name: str,
    *,
    title: tuple[str, str],
    choices: Mapping[str, tuple[str, ...]] | None = None,
) -> Callable[[AnalysisFn], AnalysisFn]:
    """Register a workspace-level analysis under ``name`` (a decorator).

    Parameters
    ----------
    name
        The name used by ``canyu analyze DIR NAME`` and :meth:`AnalysisSession.run`.
    title
        ``(en, zh)``.
    choices
        Option name → the values it accepts (checked when a front end passes text).
    """

    def decorator(fn: AnalysisFn) -> AnalysisFn:
        old = ANALYSES.get(name)
        if old is not None and (old.fn.__module__, old.fn.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"analysis {name!r} is already registered by {old.fn.__module__}")
        doc = (fn.__doc__ or "").strip().split("\n")[0]
        ANALYSES[name] = Analysis(name, fn, title, doc, _options(fn, choices or {}))
        return fn

    return decorator


def _load() -> None:
    for module in ANALYSIS_MODULES:
        importlib.import_module(module)


def analysis_names() -> tuple[str, ...]:
    """Registered analysis names, sorted."""
    _load()
    return tuple(sorted(ANALYSES))


def get_analysis(name: str) -> Analysis:
    """The analysis registered as ``name``; unknown names list the valid ones."""
    _load()
    try:
        return ANALYSES[name]
    except KeyError:
        raise UnknownNameError("analysis", name, tuple(ANALYSES)) from None


# -- presenting results ------------------------------------------------------------------
def as_tables(result: Any) -> dict[str, Any]:
    """A result as named pandas tables (for CSV, terminal tables and the console).

    A DataFrame is one table ``result``; an object with ``tables()`` gives its own; a
    dataclass gives its DataFrame fields, and a ``summary`` table of its scalar fields.
    """
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return {"result": result}
    if hasattr(result, "tables"):
        return dict(result.tables())
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        tables: dict[str, Any] = {}
        scalars: dict[str, Any] = {}
        for f in dataclasses.fields(result):
            value = getattr(result, f.name)
            if isinstance(value, pd.DataFrame):
                tables[f.name] = value
            elif isinstance(value, str | int | float | bool | date) or value is None:
                scalars[f.name] = value
        if scalars:
            tables = {"summary": pd.DataFrame([scalars]), **tables}
        return tables
    if isinstance(result, list) and all(hasattr(r, "to_dict") for r in result):
        return {"result": pd.DataFrame([r.to_dict() for r in result])}
    return {"result": pd.DataFrame({"value": [result]})}


def to_jsonable(result: Any, *, locale: str = "en") -> Any:
    """A result as JSON-able data: ``to_dict()`` where defined, records for tables."""
    import numpy as np
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return [{k: to_jsonable(v) for k, v in row.items()} for row in result.to_dict("records")]
    if hasattr(result, "to_dict") and not isinstance(result, dict | pd.Series):
        try:
            return to_jsonable(result.to_dict(locale))
        except TypeError:
            return to_jsonable(result.to_dict())
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {f.name: to_jsonable(getattr(result, f.name)) for f in dataclasses.fields(result)}
    if isinstance(result, dict):
        return {str(k): to_jsonable(v) for k, v in result.items()}
    if isinstance(result, list | tuple):
        return [to_jsonable(v) for v in result]
    if isinstance(result, np.ndarray):
        return [to_jsonable(v) for v in result.tolist()]
    if isinstance(result, np.generic):
        result = result.item()
    if isinstance(result, float) and not math.isfinite(result):
        return None
    if isinstance(result, datetime | date | pd.Timestamp):
        return None if pd.isna(result) else result.isoformat()
    if result is pd.NaT or (not isinstance(result, str | bool | int | float) and pd.isna(result)):
        return None
    return result
