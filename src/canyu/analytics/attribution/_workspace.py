"""Attribution over a workspace: journeys from its events, paths, models, and every order accounted for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from canyu.analytics.attribution._journeys import journey_path_table, journeys
from canyu.analytics.attribution._models import MODELS, AttributionResult, attribute
from canyu.analytics.registry import register_analysis
from canyu.errors import UnknownNameError

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["WorkspaceAttribution", "attribution"]

PATH_KEYS = ("channel", "campaign", "content")


@dataclass(frozen=True)
class WorkspaceAttribution:
    """Attribution of a session's conversions, with the orders that reached it and those that did not.

    ``orders`` counts the session's conversion events; ``attributed`` those on a
    journey with at least one touch in the lookback window (the models share
    them out); the rest had no social touch within the window. ``source`` says
    whether the journeys came from the workspace's events or its ``paths`` table.
    """

    result: AttributionResult | None
    orders: int
    attributed: float
    lookback_days: int
    source: str

    @property
    def unattributed(self) -> float:
        return max(0.0, self.orders - self.attributed)

    def tables(self) -> dict[str, pd.DataFrame]:
        import pandas as pd

        summary = pd.DataFrame(
            [
                {
                    "orders": self.orders,
                    "attributed": self.attributed,
                    "no_social_touch": self.unattributed,
                    "attributed_share": self.attributed / self.orders if self.orders else None,
                    "lookback_days": self.lookback_days,
                    "source": self.source,
                }
            ]
        )
        out = {"summary": summary}
        if self.result is not None:
            out["conversions"] = self.result.wide("conversions").reset_index()
            out["value"] = self.result.wide("value").reset_index()
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "orders": self.orders,
            "attributed": self.attributed,
            "no_social_touch": self.unattributed,
            "lookback_days": self.lookback_days,
            "source": self.source,
            "attribution": self.result.to_dict() if self.result is not None else None,
        }


@register_analysis("attribution", title=("Conversion attribution", "转化归因"), choices={"by": PATH_KEYS})
def attribution(
    session: AnalysisSession,
    *,
    model: str = "all",
    order: int = 1,
    by: str = "channel",
    lookback_days: int = 30,
) -> WorkspaceAttribution:
    """Credit conversions to channels, campaigns or contents (heuristics, exact Markov, Shapley).

    Journeys come from the session's events; a workspace without person-level
    journeys falls back to its imported ``paths`` table (ChannelAttribution format).
    """
    if by not in PATH_KEYS:
        raise UnknownNameError("path element (by)", by, PATH_KEYS)
    if model != "all":
        for m in model.split(","):
            if m.strip() not in MODELS:
                raise UnknownNameError("attribution model", m.strip(), ("all", *MODELS))
    models: str | list[str] = model if model == "all" else [m.strip() for m in model.split(",")]
    ev = session.events()
    conv = list(session.conversion_actions)
    orders = session.count(ev.filter(ev.action.isin(conv)))
    touches = journeys(ev, lookback_days=lookback_days, conversion_actions=conv, key=by)  # type: ignore[arg-type]
    table = session.to_pandas(journey_path_table(touches))
    source = "events"
    if table.empty:
        table = session.to_pandas(session.table("paths").drop("batch_id"))
        source = "paths"
        orders = round(float(table["total_conversions"].sum())) if not table.empty else 0
    if table.empty or float(table["total_conversions"].sum()) == 0:
        return WorkspaceAttribution(None, orders, 0.0, lookback_days, source)
    result = attribute(table, model=models, order=order)
    return WorkspaceAttribution(result, orders, float(result.total_conversions), lookback_days, source)
