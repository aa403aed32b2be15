"""Slow service replies and a community going quiet: caught in their scenarios, silent in the default."""

from __future__ import annotations

from pathlib import Path

import pytest

import canyu
from canyu.plan import Finding
from canyu.simulate import import_simulation, simulate

RULES = ["slow_service", "community_quiet", "word_of_mouth_event", "period_change", "retention_drop"]


def _findings(root: Path, scenario: str, seed: int, people: int = 5000, days: int = 75) -> list[Finding]:
    sim = simulate(root / f"sim-{scenario}", people=people, days=days, seed=seed, scenario=scenario)
    with canyu.create(root / f"ws-{scenario}", locale="en") as ws:
        import_simulation(ws, sim.path)
        return ws.session().findings(rules=RULES)


@pytest.mark.slow
def test_slow_service_is_caught(tmp_path: Path) -> None:
    found = _findings(tmp_path, "slow-service", 4)
    (f,) = [f for f in found if f.key == "slow_service:wechat_oa"]
    ev = f.evidence
    # truth: 35% of messages answered, median reply 12 hours (default 85%, 30 minutes). The service
    # analysis counts a message as answered by the first reply in its conversation after it (real
    # exports do not say which message a reply answers), so the measured share sits above 35%
    assert 0.25 < ev["answered"] / ev["messages"] < 0.6
    assert ev["reply_slow"] and ev["median_reply_minutes"] > 360
    assert f"answered {ev['answered']:,} of {ev['messages']:,} messages" in f.text("metric", "en")
    # high when under half of the messages are answered, else medium
    assert f.severity == ("high" if ev["answered"] / ev["messages"] < 0.5 else "medium")
    assert not any(f.key.startswith("slow_service:wecom") for f in found)  # WeCom answers 95% in 8 minutes


@pytest.mark.slow
def test_quiet_community_is_caught(tmp_path: Path) -> None:
    found = _findings(tmp_path, "quiet-community", 4, days=90)
    quiet = [f for f in found if f.key.startswith("community_quiet:")]
    assert "community_quiet:forum" in {f.key for f in quiet}
    f = next(f for f in quiet if f.key == "community_quiet:forum")
    # truth: posting halves every 30 days, so the last 30 of 90 days post 0.5**2 = 0.25x the first 30
    # (activity lifts from campaigns and new members' activity move it around that)
    assert 0.1 < f.evidence["ratio"] < 0.6
    assert f.evidence["ratio_high"] < 0.8
    assert not any(f.key.startswith("slow_service:") for f in found)


def test_new_scenarios_plant_what_they_say() -> None:
    from canyu.simulate import SCENARIOS, ScenarioError, get_scenario

    slow, quiet, default = SCENARIOS["slow-service"], SCENARIOS["quiet-community"], SCENARIOS["default"]
    assert slow.channels["wechat_oa"].reply_rate == 0.35 and slow.channels["wechat_oa"].reply_minutes == 720.0
    assert {c: p for c, p in slow.channels.items() if c != "wechat_oa"} == {
        c: p for c, p in default.channels.items() if c != "wechat_oa"
    }
    assert quiet.community_half_life == 30.0 and default.community_half_life == 0.0
    # the community starts lively (3x the default's posting and joining), on the forum only
    assert quiet.channels["forum"].community_post == pytest.approx(
        3 * default.channels["forum"].community_post
    )
    assert quiet.channels["forum"].join == 0.25 and default.channels["forum"].join == 0.08
    assert {c: p for c, p in quiet.channels.items() if c != "forum"} == {
        c: p for c, p in default.channels.items() if c != "forum"
    }
    with pytest.raises(ScenarioError) as err:
        get_scenario("default", community_half_life=-1.0)
    assert err.value.knob == "community_half_life"
