"""Observed word of mouth: share cascades rebuilt from events, their shape, people and K-factor.

Cascades come from the events table (shares name their parent share or user; missing parents
are inferred from the follow graph and timing). Structural virality follows Goel, Anderson,
Hofman, Watts 2016.
"""

from __future__ import annotations

from canyu.analytics.diffusion._cascades import PARENT_RULES, Cascades, reconstruct_cascades
from canyu.analytics.diffusion._metrics import (
    cascade_metrics,
    fission_tree,
    kol_ranking,
    person_influence,
    structural_virality,
    viral_coefficient,
)

__all__ = [
    "PARENT_RULES",
    "Cascades",
    "cascade_metrics",
    "fission_tree",
    "kol_ranking",
    "person_influence",
    "reconstruct_cascades",
    "structural_virality",
    "viral_coefficient",
]
