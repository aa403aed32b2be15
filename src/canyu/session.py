"""The analysis session: one workspace's settings, built once, handed to every analysis.

A session is made from ``canyu.toml`` (:class:`~canyu.config.WorkspaceConfig`)
by :meth:`canyu.workspace.Workspace.session`. It carries what an analysis must
never guess: the IANA time zone (as a :class:`~canyu.analytics.calendar.Zone`
whose expressions cut days, weeks and months in the workspace's zone, daylight
saving included), the conversion actions, the currency, the brand's own
accounts per channel, the period, the channels and the campaigns analysed. No analysis keeps
a default of its own for any of them.

Results of registered analyses are memoised per session
(:meth:`AnalysisSession.run`), so the report, the findings and the plan that
all read ``roles`` compute it once.

Examples
--------
>>> import canyu                                                   # doctest: +SKIP
>>> with canyu.open("brand-x") as ws:                              # doctest: +SKIP
...     s = ws.session(period="2026-10", channels=["weibo", "wechat_oa"], campaigns=["618"])
...     dau = s.run("activity", unit="day")
"""

from __future__ import annotations

import calendar as _calendar
import contextlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import ibis

from canyu.analytics.calendar import Zone
from canyu.errors import CanyuError, InvalidArgumentError, UnknownNameError
from canyu.vocab import CHANNELS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from canyu.config import WorkspaceConfig
    from canyu.plan import Finding
    from canyu.workspace import Workspace

__all__ = ["AnalysisSession", "Period"]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|:)\s*(\d{4}-\d{2}-\d{2})$")
_RELATIVE = re.compile(r"^(last|next)-(\d+)d$")


@dataclass(frozen=True)
class Period:
    """Calendar days ``start`` to ``end`` (both included) in the workspace's time zone.

    ``None`` on either side means open: ``Period()`` is all the data.
    """

    start: date | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            raise CanyuError(
                f"the period starts {self.start} after it ends {self.end}",
                message_zh=f"周期的开始日期 {self.start} 晚于结束日期 {self.end}",
            )

    @classmethod
    def parse(cls, text: str | None, *, today: date | None = None) -> Period:
        """A period from text: ``2026-10`` (a month), ``2026-10-05`` (a day),
        ``2026-10-01..2026-10-31``, ``last-30d`` (the 30 days up to yesterday) or
        ``next-30d`` (the 30 days from today); empty or ``all``: all the data.
        """
        if text is None or text.strip() in ("", "all"):
            return cls()
        s = text.strip()
        if m := _MONTH.match(s):
            year, month = int(m.group(1)), int(m.group(2))
            if 1 <= month <= 12:
                last = _calendar.monthrange(year, month)[1]
                return cls(date(year, month, 1), date(year, month, last))
        elif _DAY.match(s):
            d = _date(s, "period")
            return cls(d, d)
        elif m := _RANGE.match(s):
            return cls(_date(m.group(1), "period"), _date(m.group(2), "period"))
        elif m := _RELATIVE.match(s):
            n = int(m.group(2))
            base = today or date.today()
            if n >= 1:
                if m.group(1) == "last":
                    return cls(base - timedelta(days=n), base - timedelta(days=1))
                return cls(base, base + timedelta(days=n - 1))
        raise InvalidArgumentError(
            "period",
            text,
            "YYYY-MM, YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, last-Nd or next-Nd",
            reason_zh=f"周期 {text!r} 无效；应为 YYYY-MM、YYYY-MM-DD、YYYY-MM-DD..YYYY-MM-DD、last-Nd 或 next-Nd",
        )

    @classmethod
    def of(cls, period: Period | str | tuple[date | None, date | None] | None) -> Period:
        """Coerce what a caller passes (a Period, its text, a ``(start, end)`` pair or None)."""
        if period is None:
            return cls()
        if isinstance(period, Period):
            return period
        if isinstance(period, str):
            return cls.parse(period)
        start, end = period
        return cls(start, end)

    @property
    def days(self) -> int | None:
        """Number of days, when both ends are known."""
        if self.start and self.end:
            return (self.end - self.start).days + 1
        return None

    def label(self, locale: str) -> str:
        from canyu.i18n import t

        if self.start and self.end:
            return f"{self.start.isoformat()} — {self.end.isoformat()}"
        if self.start:
            return t("period_from", locale, start=self.start.isoformat())
        if self.end:
            return t("period_until", locale, end=self.end.isoformat())
        return t("period_all", locale)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }


def _date(text: str, param: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(param, text, "a date YYYY-MM-DD") from None


class AnalysisSession:
    """One workspace, one period, one set of channels and campaigns: what every analysis receives.

    Build it with :meth:`canyu.workspace.Workspace.session` (or
    :meth:`AnalysisSession.open`), not by hand.

    Attributes
    ----------
    workspace
        The open workspace (its store serves the reads).
    config
        The workspace's settings, as loaded from canyu.toml.
    period
        The local days analysed (:class:`Period`; open sides mean all the data).
    channels
        The channels analysed, or ``None`` for all.
    campaigns
        The campaigns analysed (``events.campaign_id`` values), or ``None`` for all: events of
        no campaign are then left out.
    zone
        The workspace's time zone as expressions (restricted to the period when it has both ends).
    """

    def __init__(
        self,
        workspace: Workspace,
        *,
        period: Period | str | tuple[date | None, date | None] | None = None,
        channels: Iterable[str] | None = None,
        campaigns: Iterable[str] | None = None,
        owns_workspace: bool = False,
    ) -> None:
        self.workspace = workspace
        self.config: WorkspaceConfig = workspace.config
        self.period = Period.of(period)
        chosen = None
        if channels is not None:
            chosen = tuple(dict.fromkeys(c.strip() for c in channels if c and c.strip()))
            for c in chosen:
                if c not in CHANNELS:
                    raise UnknownNameError("channel", c, tuple(CHANNELS))
        self.channels: tuple[str, ...] | None = chosen or None
        picked = None
        if campaigns is not None:
            if isinstance(campaigns, str):
                raise InvalidArgumentError(
                    "campaigns", campaigns, "a list of campaign ids", reason_zh="campaigns 应为活动编号的列表"
                )
            picked = tuple(
                dict.fromkeys(str(c).strip() for c in campaigns if c is not None and str(c).strip())
            )
        self.campaigns: tuple[str, ...] | None = picked or None
        # Whether an analysis that samples a model (the media mix) may fit one now. The console sets
        # False, so that a page never samples inside a request: it reads a cached fit or says none is
        # cached, and fits run as background jobs.
        self.fit_models = True
        zone = Zone(self.config.timezone)
        if self.period.start or self.period.end:
            zone = zone.within(
                self.period.start - timedelta(days=2) if self.period.start else None,
                self.period.end + timedelta(days=2) if self.period.end else None,
            )
        self.zone = zone
        self._owns = owns_workspace
        self._results: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    # -- settings ------------------------------------------------------------------
    @property
    def timezone(self) -> str:
        """The workspace's IANA zone name."""
        return self.config.timezone

    @property
    def conversion_actions(self) -> tuple[str, ...]:
        return tuple(self.config.conversion_actions)

    @property
    def currency(self) -> str:
        return self.config.currency

    @property
    def locale(self) -> str:
        return self.config.locale

    @property
    def engine(self) -> str:
        return self.workspace.store.engine

    @property
    def brand_accounts(self) -> Mapping[str, tuple[str, ...]]:
        """The brand's own accounts per channel, as declared in canyu.toml ``[accounts]``."""
        return self.config.accounts

    def own_accounts(self, channel: str | None = None) -> tuple[str, ...]:
        """The brand's own account ids (on ``channel``, or on every channel)."""
        if channel is not None:
            return tuple(self.config.accounts.get(channel, ()))
        return tuple(dict.fromkeys(a for ids in self.config.accounts.values() for a in ids))

    def with_period(self, period: Period | str | tuple[date | None, date | None] | None) -> AnalysisSession:
        """The same workspace, channels and campaigns over another period (a new memo)."""
        other = AnalysisSession(
            self.workspace, period=period, channels=self.channels, campaigns=self.campaigns
        )
        other.fit_models = self.fit_models
        return other

    # -- tables --------------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        """A workspace table as an Ibis expression, unfiltered."""
        return self.workspace.table(name)

    def in_period(self, table: ibis.Table | str, column: str) -> ibis.Table:
        """``table`` restricted to the session's local days on ``column`` (a UTC TIMESTAMP or a DATE)."""
        tab = self.table(table) if isinstance(table, str) else table
        start, end = self.period.start, self.period.end
        if start is None and end is None:
            return tab
        col = tab[column]
        if col.type().is_date():
            if start is not None:
                tab = tab.filter(col >= start)
            if end is not None:
                tab = tab.filter(col <= end)
            return tab
        lo, hi = self.zone.utc_bounds(start, end)
        if lo is not None:
            tab = tab.filter(col >= lo)
        if hi is not None:
            tab = tab.filter(col < hi)
        return tab

    def on_channels(self, table: ibis.Table) -> ibis.Table:
        """``table`` restricted to the session's channels (a table with a ``channel`` column)."""
        if self.channels is None:
            return table
        return table.filter(table.channel.isin(list(self.channels)))

    def on_campaigns(self, table: ibis.Table) -> ibis.Table:
        """``table`` restricted to the session's campaigns (a table with a ``campaign_id`` column)."""
        if self.campaigns is None:
            return table
        return table.filter(table.campaign_id.isin(list(self.campaigns)))

    def events(self) -> ibis.Table:
        """The events of the session's period, channels and campaigns."""
        return self.on_campaigns(self.on_channels(self.in_period("events", "ts")))

    def events_until_end(self) -> ibis.Table:
        """Events of the session's channels and campaigns up to the period's end (history before it
        included).

        For analyses that look back from the period (fan stages, retention cohorts).
        """
        ev = self.on_campaigns(self.on_channels(self.table("events")))
        if self.period.end is None:
            return ev
        _, hi = self.zone.utc_bounds(None, self.period.end)
        return ev.filter(ev.ts < hi)

    def content_stats(self) -> ibis.Table:
        """Daily content statistics of the session's period and channels."""
        return self.on_channels(self.in_period("content_stats", "date"))

    def to_pandas(self, expr: ibis.Expr) -> pd.DataFrame:
        return self.workspace.to_pandas(expr)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return self.workspace.to_arrow(expr)

    def count(self, table: ibis.Table) -> int:
        """Rows of ``table`` (one scalar query)."""
        out = self.to_pandas(table.count().name("n").as_table())
        return int(out["n"].iloc[0]) if len(out) else 0

    def utc_bounds(self) -> tuple[datetime | None, datetime | None]:
        """The period as ``[lower, upper)`` naive UTC instants (open sides are None)."""
        return self.zone.utc_bounds(self.period.start, self.period.end)

    def data_bounds(self) -> tuple[datetime | None, datetime | None]:
        """The first and last event instants of the session (naive UTC), or ``(None, None)``."""
        ev = self.events()
        out = self.to_pandas(ev.aggregate(lo=ev.ts.min(), hi=ev.ts.max()))
        if out.empty or out["lo"].isna().iloc[0]:
            return None, None
        return out["lo"].iloc[0].to_pydatetime(), out["hi"].iloc[0].to_pydatetime()

    # -- analyses ------------------------------------------------------------------
    def run(self, name: str, /, **params: Any) -> Any:
        """Run the registered analysis ``name`` with ``params`` (memoised per session).

        An unknown name raises :class:`~canyu.errors.UnknownNameError` listing the registered ones.
        """
        from canyu.analytics.registry import get_analysis

        analysis = get_analysis(name)
        bound = analysis.bind(params)
        key = (name, tuple(sorted(bound.items())))
        try:
            return self._results[key]
        except (KeyError, TypeError):
            pass
        result = analysis.fn(self, **bound)
        with contextlib.suppress(TypeError):  # unhashable parameter values: not memoised
            self._results[key] = result
        return result

    def findings(self, *, rules: Sequence[str] | None = None) -> list[Finding]:
        """The diagnosis: every registered rule (or ``rules``) over this session, most severe first."""
        from canyu.plan import diagnose

        return diagnose(self, rules=rules)

    def close(self) -> None:
        """Close the workspace if the session opened it."""
        if self._owns:
            self.workspace.close()

    def __enter__(self) -> AnalysisSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        chans = ",".join(self.channels) if self.channels else "all"
        camps = ",".join(self.campaigns) if self.campaigns else "all"
        return (
            f"AnalysisSession({str(self.workspace.path)!r}, period={self.period.label('en')!r}, "
            f"channels={chans}, campaigns={camps}, zone={self.timezone}, engine={self.engine})"
        )
