"""The simulator: determinism, graph shape, cascades vs the IC model, effects, scenarios, import with zero loss."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import canyu
from canyu.simulate import SCENARIOS, get_scenario, import_simulation, simulate
from canyu.simulate._engine import ACTIONS, DAY, run
from canyu.simulate._world import CHANNELS, GRAPH_OF, build_world

A = {a: i for i, a in enumerate(ACTIONS)}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _sim(scenario: str = "default", *, n: int = 4000, days: int = 40, seed: int = 3, **changes: object):  # type: ignore[no-untyped-def]
    sc = get_scenario(scenario)
    if changes:
        sc = replace(sc, **changes)  # type: ignore[arg-type]
    rng = np.random.default_rng(seed)
    world = build_world(rng, sc, n)
    return run(rng, world, sc, days)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = simulate(tmp_path / "a", people=1500, days=14, seed=11)
    b = simulate(tmp_path / "b", people=1500, days=14, seed=11)
    c = simulate(tmp_path / "c", people=1500, days=14, seed=12)
    assert _digest(a.path) == _digest(b.path)
    assert _digest(a.path)["events.csv"] != _digest(c.path)["events.csv"]
    assert a.events > 1000


def test_degrees_are_heavy_tailed() -> None:
    rng = np.random.default_rng(5)
    world = build_world(rng, get_scenario("default"), 20_000)
    deg = world.graphs["weibo"].degree()
    deg = deg[deg > 0]
    assert deg.max() > 20 * np.median(deg)
    # Hill estimator of the tail index over the top 2%: a power law with a finite mean
    top = np.sort(deg)[-len(deg) // 50 :]
    alpha = 1.0 / np.mean(np.log(top / top[0]))
    assert 0.8 < alpha < 3.5, alpha
    # WeChat friendships are symmetric, Weibo follows are not
    w = world.graphs["wechat"]
    pairs = set(zip(w.follower.tolist(), w.followee.tolist(), strict=True))
    assert all((b, a) in pairs for a, b in list(pairs)[:2000])
    g = world.graphs["weibo"]
    wpairs = set(zip(g.follower.tolist(), g.followee.tolist(), strict=True))
    assert sum((b, a) in wpairs for a, b in list(wpairs)[:2000]) < 400


def test_cascades_follow_the_independent_cascade_parameters() -> None:
    sim = _sim(n=15000, days=40)
    cols = sim.log.columns()
    world = sim.world
    shares = np.flatnonzero(cols["act"] == A["share"])
    child = shares[cols["parent_event"][shares] >= 0]
    parents, n_children = np.unique(cols["parent_event"][child], return_counts=True)
    observed = np.zeros(len(cols["t"]))
    observed[parents] = n_children
    expected = 0.0
    got = 0.0
    kinds = [c["kind"] for c in sim.campaigns]
    boost_of = np.array(
        [
            2.0 if k == "wom_event" else sim.scenario.launch_share_boost if k == "launch" else 1.0
            for k in kinds
        ]
        + [1.0]
    )
    for ch in ("weibo", "qzone", "douyin", "xiaohongshu", "wechat_oa", "forum"):
        g = world.graphs[GRAPH_OF[ch]]
        mask = cols["ch"][shares] == CHANNELS.index(ch)
        sharers = cols["person"][shares[mask]]
        boost = boost_of[cols["campaign"][shares[mask]]]  # index -1 (no campaign) is the last entry
        psum = (
            np.add.reduceat(g.p, g.indptr[:-1].clip(max=max(len(g.p) - 1, 0)))
            if len(g.p)
            else np.zeros(world.n)
        )
        psum = np.where(np.diff(g.indptr) > 0, psum, 0.0)
        expected += float((psum[sharers] * boost).sum())
        got += float(observed[shares[mask]].sum())
    # each audience member shares on with its edge probability, unless already reached in the cascade
    assert got > 50
    assert 0.8 * expected < got < 1.05 * expected, (got, expected)


def test_conversion_responds_to_channel_effects() -> None:
    base = get_scenario("default")
    zero = {ch: replace(p, effect=0.0) for ch, p in base.channels.items()}
    strong = dict(zero, wechat_oa=replace(zero["wechat_oa"], effect=0.03))
    s0 = _sim(n=8000, days=40, channels=zero)
    s1 = _sim(n=8000, days=40, channels=strong)
    c1 = s1.log.columns()
    buys = [int((s.log.columns()["act"] == A["purchase"]).sum()) for s in (s0, s1)]
    # person-days within 7 days after a wechat_oa touch, in run 1, of people who can buy
    wecom = (c1["ch"] == CHANNELS.index("wechat_oa")) & np.isin(
        c1["act"], [A[a] for a in ("view", "like", "comment", "collect", "share", "message", "join", "post")]
    )
    touched = np.zeros((8000, 40), dtype=bool)
    for person, day in zip(c1["person"][wecom].tolist(), (c1["t"][wecom] // DAY).tolist(), strict=True):
        touched[person, day + 1 : min(40, day + 7)] = True
        touched[person, min(day, 39)] = True
    can_buy = s1.world.member["ecommerce"] | s1.world.member["mini_program"]
    expected_extra = 0.03 * touched[can_buy].sum()
    assert expected_extra > 30
    assert buys[1] - buys[0] == pytest.approx(expected_extra, rel=0.35)


def _reply_rate(sim, channel: str) -> float:  # type: ignore[no-untyped-def]
    c = sim.log.columns()
    on = c["ch"] == CHANNELS.index(channel)
    return float(((c["act"] == A["reply"]) & on).sum() / max(1, ((c["act"] == A["message"]) & on).sum()))


def test_scenario_knobs_change_the_data_as_stated() -> None:
    assert set(SCENARIOS) >= {"default", "wrong-roles", "viral-launch", "weak-agenda"}
    default, wrong = _sim("default"), _sim("wrong-roles")
    assert _reply_rate(wrong, "weibo") > 0.75  # (default Weibo gets too few messages to measure at this size)
    assert _reply_rate(default, "wechat_oa") > 0.7 > 0.3 > _reply_rate(wrong, "wechat_oa")
    assert wrong.scenario.true_roles["weibo"] == "service"

    viral = _sim("viral-launch")

    def launch_shares(sim) -> int:  # type: ignore[no-untyped-def]
        c = sim.log.columns()
        launch = next(i for i, camp in enumerate(sim.campaigns) if camp["kind"] == "launch")
        return int(((c["act"] == A["share"]) & (c["campaign"] == launch)).sum())

    assert launch_shares(viral) > 2 * launch_shares(default)

    def agenda_fit(sim) -> float:  # type: ignore[no-untyped-def]
        c = sim.log.columns()
        talk = c["topic"] >= 0
        day = c["t"][talk] // DAY
        k = sim.brand_emphasis.shape[1]
        share = np.zeros((sim.days + 20, k))
        np.add.at(share, (day, c["topic"][talk]), 1)
        share = share[: sim.days] / np.maximum(share[: sim.days].sum(1, keepdims=True), 1)
        lag = sim.scenario.agenda_lag_days
        x, y = sim.brand_emphasis[: sim.days - lag].ravel(), share[lag:].ravel()
        return float(np.corrcoef(x, y)[0, 1])

    weak = _sim("weak-agenda")
    assert agenda_fit(default) > agenda_fit(weak) + 0.1


def test_every_simulated_file_imports_with_nothing_quarantined(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "files", people=2000, days=20, seed=4)
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        results = import_simulation(ws, sim.path)
        assert {Path(r.source).name for r in results} == set(sim.files)
        assert all(r.rows_quarantined == 0 for r in results), [
            (r.source, r.rows_quarantined) for r in results
        ]
        assert all(r.rows_loaded + r.rows_duplicate == r.rows_in for r in results)
        st = ws.status()
        assert st.rows["events"] > 0 and st.rows["content_stats"] > 0 and st.rows["identities"] > 0
        ev = ws.table("events")
        props = ws.to_arrow(
            ev.filter((ev.channel == "ecommerce") & (ev.action == "purchase")).select("props")
        ).to_pylist()
        assert props and all('"联系手机":"' in str(p["props"]) for p in props)
    # phone numbers from the shop export and the phone links are hashed, never stored
    raw = (tmp_path / "ws" / "canyu.duckdb").read_bytes()
    phones = [
        line.split(",")[2].strip('"')
        for line in (sim.path / "orders_tmall.csv").read_text("gb18030").splitlines()[1:6]
    ]
    assert len(phones) == 5 and all(len(p) == 11 for p in phones)
    assert not any(p.encode() in raw for p in phones)
    assert sum(sim.truth["lifecycle"]["counts"].values()) == 2000
    best = sim.truth["spread"]["best_seeds"]
    assert len(best["seeds"]) == 10 and best["spread"] >= 10
    assert set(sim.truth["channel_effects"]["effects"]) >= {"weibo", "wechat_oa", "wecom", "forum"}
    agenda = sim.truth["agenda"]
    assert (agenda["lag_days"], agenda["strength"], agenda["direction"]) == (3, 0.6, "brand_leads")


def test_dirty_rows_are_all_quarantined(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "files", people=1500, days=14, seed=4, dirty=True)
    expected = sim.truth["dirty_rows"]
    assert expected and sum(expected.values()) >= 8
    with canyu.create(tmp_path / "ws", locale="en") as ws:
        results = {Path(r.source).name: r for r in import_simulation(ws, sim.path)}
        for name, n in expected.items():
            assert results[name].rows_quarantined == n, name
        assert sum(r.rows_quarantined for r in results.values()) == sum(expected.values())
