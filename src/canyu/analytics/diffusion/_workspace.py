"""Word of mouth over a workspace: cascades from its share events, KOL/KOC ranking and K-factor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from canyu.analytics.diffusion._cascades import reconstruct_cascades
from canyu.analytics.diffusion._metrics import cascade_metrics, kol_ranking, viral_coefficient
from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = ["WordOfMouth", "cascades"]


@dataclass(frozen=True)
class WordOfMouth:
    """Cascades of a session (largest first), the people who bring orders, and K-factor per campaign."""

    cascades: pd.DataFrame
    people: pd.DataFrame
    k_factor: pd.DataFrame
    inferred_share: float
    shares: int

    def tables(self) -> dict[str, pd.DataFrame]:
        summary = pd.DataFrame(
            [{"cascades": len(self.cascades), "shares": self.shares, "inferred_share": self.inferred_share}]
        )
        return {
            "summary": summary,
            "cascades": self.cascades,
            "people": self.people,
            "k_factor": self.k_factor,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "cascades": len(self.cascades),
            "shares": self.shares,
            "inferred_share": self.inferred_share,
            "largest": self.cascades.head(20).to_dict("records"),
            "people": self.people.to_dict("records"),
            "k_factor": self.k_factor.to_dict("records"),
        }


@register_analysis("cascades", title=("Word of mouth", "口碑传播"))
def cascades(session: AnalysisSession, *, top: int = 10) -> WordOfMouth:
    """Share cascades rebuilt from share events (missing parents inferred from follows and timing)."""
    ev = session.events()
    conv = list(session.conversion_actions)
    events = session.to_pandas(ev.filter(ev.action.isin(["share", *conv]) | ev.parent_user_id.notnull()))
    empty = pd.DataFrame()
    if events.empty or not (events["action"] == "share").any():
        return WordOfMouth(empty, empty, empty, 0.0, 0)
    follows = session.to_pandas(session.on_channels(session.table("follows")))
    # engines return rows in their own order; the reconstruction must not depend on it
    events = events.sort_values("event_id", kind="stable", ignore_index=True)
    follows = follows.sort_values(list(follows.columns), kind="stable", ignore_index=True)
    casc = reconstruct_cascades(events, follows, conversion_actions=conv)
    metrics = cascade_metrics(casc).sort_values(["size", "reach"], ascending=False, ignore_index=True)
    return WordOfMouth(
        cascades=metrics,
        people=kol_ranking(casc, top=top),
        k_factor=viral_coefficient(casc),
        inferred_share=float(casc.inferred_share),
        shares=int((events["action"] == "share").sum()),
    )
