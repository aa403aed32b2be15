"""Word of mouth on simulated data: learned spread probabilities and top sharers against the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import canyu
from canyu.analytics.diffusion import kol_ranking, reconstruct_cascades
from canyu.analytics.influence import graph_from_edges, learn_probabilities
from canyu.simulate import import_simulation, simulate


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict[str, pd.DataFrame]]:
    tmp = tmp_path_factory.mktemp("wom")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(tmp / "home"))
        sim = simulate(tmp / "files", people=20000, days=60, seed=3)
        with canyu.create(tmp / "ws", locale="en") as ws:
            import_simulation(ws, sim.path)
            fo, ev = ws.table("follows"), ws.table("events")
            frames = {
                "weibo_edges": ws.to_pandas(
                    fo.filter((fo.channel == "weibo") & ~fo.followee_id.startswith("brand_"))
                    .select(source=fo.followee_id, target=fo.follower_id)
                    .distinct()
                ),
                "weibo_shares": ws.to_pandas(
                    ev.filter((ev.channel == "weibo") & (ev.action == "share")).select(
                        item=ev.content_id, user=ev.user_id, time=ev.ts.epoch_seconds()
                    )
                ),
                "spread_events": ws.to_pandas(
                    ev.filter(ev.action.isin(["share", "purchase"]) | ev.parent_user_id.notnull())
                ),
                "follows": ws.to_pandas(fo),
                "weibo_people": ws.to_pandas(
                    ev.filter(ev.channel == "weibo").select("user_id", "person_id").distinct()
                ),
            }
    return sim, frames


@pytest.mark.slow
def test_learned_probabilities_rise_with_the_true_ones(
    simulated: tuple[object, dict[str, pd.DataFrame]],
) -> None:
    sim, f = simulated
    learned = learn_probabilities(
        graph_from_edges(f["weibo_edges"]), f["weibo_shares"], method="bernoulli", window=86400.0
    )
    true = pq.read_table(sim.path / "truth_edges.parquet").to_pandas()  # type: ignore[attr-defined]
    true = true[true.channel == "weibo"].rename(
        columns={"sharer": "source", "audience": "target", "p": "p_true"}
    )
    m = learned.merge(true, on=["source", "target"])
    m = m[m.trials > 0]
    assert len(m) > 2000
    # each edge is tried about once: compare the pooled rate per quintile of the true probability
    m["bin"] = pd.qcut(m.p_true, 5, labels=False)
    b = m.groupby("bin").agg(
        p_true=("p_true", "mean"), successes=("successes", "sum"), trials=("trials", "sum")
    )
    b["learned"] = b.successes / b.trials
    assert np.all(np.diff(b.learned.to_numpy()) > 0), b
    assert np.corrcoef(b.p_true, b.learned)[0, 1] > 0.9, b


@pytest.mark.slow
def test_top_sharers_are_the_true_opinion_leaders(simulated: tuple[object, dict[str, pd.DataFrame]]) -> None:
    sim, f = simulated
    ranking = kol_ranking(
        reconstruct_cascades(f["spread_events"], f["follows"], conversion_actions=("purchase",)), top=300
    )
    people = f["weibo_people"]
    found = set(people[people.person_id.isin(ranking.person)].user_id)
    spread = sim.truth["spread"]  # type: ignore[attr-defined]
    truth = set(spread["koc_weibo_ids"]) | set(spread["kol"].get("weibo", []))
    base_rate = len(truth) / people.user_id.nunique()
    hits = len(found & truth)
    assert len(found) >= 20 and hits >= 5
    assert hits / len(found) > 3 * base_rate, (hits, len(found), base_rate)
