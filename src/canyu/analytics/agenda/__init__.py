"""Agenda setting (议程设置): does the brand's emphasis on a topic lead what its audience discusses?

McCombs & Shaw (1972) found that the topics a medium emphasises become the topics its audience
finds important. For a brand, the "medium" is its own posts and the audience is the people who
comment on them and talk about the brand in public. From two daily ``days x topics`` series — the
brand's emphasis (topic shares of its posts) and the audience's salience (topic shares of their
texts), overall and per channel — this package measures who leads whom, with what lag and strength:

* :func:`topic_salience` — the daily share series from per-text records;
* :func:`agenda_setting` — direction (``brand_leads``, ``audience_leads``, ``reciprocal``, ``none``),
  lag with a bootstrap interval, strength on 0..1 (comparable to the simulator's
  ``agenda_strength``), per topic and per channel, from rank correlations per period (McCombs &
  Shaw 1972), cross-lagged correlations (Kenny 1975) of prewhitened series (Box & Jenkins 1976),
  Granger (1969) tests with an information-criterion lag order, Benjamini & Hochberg (1995) across
  topics, and a circular-shift baseline;
* :func:`first_carriers` — which accounts (KOL/KOC) first carry the brand's topics after it posts.
"""

from __future__ import annotations

from canyu.analytics.agenda._carriers import first_carriers
from canyu.analytics.agenda._measures import (
    benjamini_hochberg,
    granger_tests,
    lagged_ccf,
    rank_correlation,
    var_order,
)
from canyu.analytics.agenda._series import AgendaDataError, residualize, topic_salience
from canyu.analytics.agenda._setting import DIRECTIONS, AgendaResult, agenda_setting, strength_label

__all__ = [
    "DIRECTIONS",
    "AgendaDataError",
    "AgendaResult",
    "agenda_setting",
    "benjamini_hochberg",
    "first_carriers",
    "granger_tests",
    "lagged_ccf",
    "rank_correlation",
    "residualize",
    "strength_label",
    "topic_salience",
    "var_order",
]
