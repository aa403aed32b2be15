"""Conversion attribution: which channels, campaigns, contents and sharers earn conversions.

The data path is ``events`` (an Ibis table) → :func:`journeys` (per-touch table,
built in the engine) → :func:`journey_paths` (a :class:`PathTable`, the integer
arrays every model reads; or :func:`read_path_csv` for a ChannelAttribution path
file) → :func:`attribute` with one or all registered models → an
:class:`AttributionResult` (a tidy table, JSON). Below the channel,
:func:`touch_credits` and :func:`credit_by` credit campaigns, contents and sharers;
:func:`roas` sets credits against spend.

Models (see :data:`MODELS`): ``first_touch``, ``last_touch``, ``linear``,
``time_decay``, ``position_based``, ``markov`` (exact absorbing-chain removal
effects, Anderl et al. 2016) and ``shapley`` (Zhao et al. 2018; Shao & Li 2011).

Examples
--------
>>> import pandas as pd
>>> from canyu.analytics.attribution import attribute
>>> paths = pd.DataFrame({
...     "path": ["weibo > wechat_oa", "douyin > weibo > wechat_oa", "douyin"],
...     "total_conversions": [3, 2, 0],
...     "total_conversion_value": [300.0, 150.0, 0.0],
...     "total_null": [7, 8, 10],
... })
>>> result = attribute(paths, model=["linear", "markov"])
>>> round(float(result.credits("markov")["conversions"].sum()), 6)
5.0
"""

from __future__ import annotations

from canyu.analytics.attribution._credit import RULES, credit_by, roas, share_chain_credits, touch_credits
from canyu.analytics.attribution._heuristics import (
    HeuristicResult,
    first_touch,
    last_touch,
    linear,
    position_based,
    position_weights,
    time_decay,
)
from canyu.analytics.attribution._journeys import JOURNEY_COLUMNS, journey_path_table, journey_paths, journeys
from canyu.analytics.attribution._markov import MarkovChain, MarkovResult, markov_attribution, markov_chain
from canyu.analytics.attribution._models import (
    MODELS,
    RESULT_COLUMNS,
    AttributionOptions,
    AttributionResult,
    ChannelCredits,
    attribute,
    attribute_path_file,
    get_model,
    register_model,
)
from canyu.analytics.attribution._paths import PATH_COLUMNS, PathTable, read_path_csv, write_path_csv
from canyu.analytics.attribution._shapley import ShapleyResult, shapley, shapley_from_worths

__all__ = [
    "JOURNEY_COLUMNS",
    "MODELS",
    "PATH_COLUMNS",
    "RESULT_COLUMNS",
    "RULES",
    "AttributionOptions",
    "AttributionResult",
    "ChannelCredits",
    "HeuristicResult",
    "MarkovChain",
    "MarkovResult",
    "PathTable",
    "ShapleyResult",
    "attribute",
    "attribute_path_file",
    "credit_by",
    "first_touch",
    "get_model",
    "journey_path_table",
    "journey_paths",
    "journeys",
    "last_touch",
    "linear",
    "markov_attribution",
    "markov_chain",
    "position_based",
    "position_weights",
    "read_path_csv",
    "register_model",
    "roas",
    "shapley",
    "shapley_from_worths",
    "share_chain_credits",
    "time_decay",
    "touch_credits",
    "write_path_csv",
]
