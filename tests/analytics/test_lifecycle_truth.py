"""Fan lifecycle stages from imported simulated data against the simulator's per-person truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import canyu
from canyu.analytics.calendar import Zone
from canyu.analytics.lifecycle import fan_stages
from canyu.simulate import import_simulation, simulate

ZONE = Zone("Asia/Shanghai")


@pytest.mark.slow
def test_stages_match_the_truth_for_fully_linked_people(tmp_path: Path) -> None:
    days = 40
    sim = simulate(tmp_path / "files", people=4000, days=days, seed=9)
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        import_simulation(ws, sim.path)
        # the period ends at local midnight after the last day (Asia/Shanghai is UTC+8)
        as_of = dt.datetime(2026, 8, 1) + dt.timedelta(days=days) - dt.timedelta(hours=8)
        got = ws.to_pandas(
            fan_stages(ws.table("events"), as_of=as_of, zone=ZONE).select("person_id", "stage")
        )
        ev = ws.table("events")
        ids = ws.to_pandas(ev.select("channel", "user_id", "person_id").distinct())
    truth = pq.read_table(sim.path / "truth_people.parquet").to_pandas()
    truth["sim_person"] = range(len(truth))
    id_cols = [c for c in truth.columns if c.startswith("id_")]
    melted = truth.melt(
        id_vars=["sim_person", "stage"], value_vars=id_cols, var_name="channel", value_name="user_id"
    )
    melted["channel"] = melted["channel"].str.removeprefix("id_")
    joined = melted.merge(ids, on=["channel", "user_id"])
    # people whose every id in the data resolved to one person (identity links joined them all)
    linked = joined.groupby("sim_person").person_id.nunique()
    linked = linked[linked == 1].index
    per_person = joined[joined.sim_person.isin(linked)].drop_duplicates("sim_person")
    compared = per_person.merge(got, on="person_id", suffixes=("_truth", "_found"))
    assert len(compared) > 500
    agreement = (compared.stage_truth == compared.stage_found).mean()
    confusion = pd.crosstab(compared.stage_truth, compared.stage_found)
    assert agreement == 1.0, f"agreement {agreement:.3f}\n{confusion}"
    assert compared.stage_truth.nunique() >= 5  # the ladder is populated, not all 'exposed'
