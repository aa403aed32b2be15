"""Attribution on simulated data: channels with larger true effects earn more credit per touch."""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pytest
from scipy.stats import spearmanr

import canyu
from canyu.analytics.attribution import attribute, journey_path_table, journeys
from canyu.simulate import import_simulation, simulate

TOUCHES = ["view", "like", "comment", "collect", "share", "message", "post", "join"]


@pytest.mark.slow
def test_credit_per_touch_follows_the_true_channel_effects(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "files", people=15000, days=60, seed=3)
    effects = sim.truth["channel_effects"]["effects"]
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        import_simulation(ws, sim.path)
        paths = ws.to_pandas(
            journey_path_table(journeys(ws.table("events"), conversion_actions=("purchase",)))
        )
        ev = ws.table("events")
        volume = ws.to_pandas(
            ev.filter(ev.action.isin(TOUCHES)).group_by("channel").aggregate(n=ibis._.count())
        )
    touches = dict(zip(volume.channel, volume.n, strict=True))
    result = attribute(paths, model="all")
    wide = result.wide("conversions")
    assert result.total_conversions > 50
    channels = [c for c in wide.index if c in effects]
    assert len(channels) >= 6
    truth = np.array([effects[c] for c in channels])
    for model in wide.columns:
        per_touch = np.array([wide.loc[c, model] / touches[c] for c in channels])
        rho = spearmanr(per_touch, truth).statistic
        assert rho >= 0.5, (model, rho)
