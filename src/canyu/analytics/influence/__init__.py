"""Word of mouth on a graph: how far a seed set spreads, and whom to seed.

Independent cascade and linear threshold models (Kempe, Kleinberg, Tardos 2003), Monte Carlo and
exact spread, influence maximization by IMM (Tang, Shi, Xiao 2015) and CELF (Leskovec et al.
2007), budgeted seeding, and edge probabilities learned from observed cascades (Goyal, Bonchi,
Lakshmanan 2010; Saito, Nakano, Kimura 2008).
"""

from __future__ import annotations

from canyu.analytics.influence._graph import (
    InfluenceGraph,
    graph_from_edges,
    lt_weights,
    read_edge_list,
    uniform_probabilities,
    weighted_cascade_probabilities,
)
from canyu.analytics.influence._learn import LEARNERS, learn_probabilities, simulate_cascades
from canyu.analytics.influence._seeding import SeedResult, celf, degree_costs, imm, seeds_from_file
from canyu.analytics.influence._spread import (
    MODELS,
    DiffusionModel,
    SpreadResult,
    estimate_spread,
    exact_spread,
    expected_conversions,
    spread_from_file,
)
from canyu.analytics.influence._workspace import workspace_seeds

__all__ = [
    "LEARNERS",
    "MODELS",
    "DiffusionModel",
    "InfluenceGraph",
    "SeedResult",
    "SpreadResult",
    "celf",
    "degree_costs",
    "estimate_spread",
    "exact_spread",
    "expected_conversions",
    "graph_from_edges",
    "imm",
    "learn_probabilities",
    "lt_weights",
    "read_edge_list",
    "seeds_from_file",
    "simulate_cascades",
    "spread_from_file",
    "uniform_probabilities",
    "weighted_cascade_probabilities",
    "workspace_seeds",
]
