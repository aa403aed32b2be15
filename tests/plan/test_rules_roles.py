"""The channel_roles rule: the bootstrap's counts match the roles analysis, and the test fires on wrong roles only."""

from __future__ import annotations

import pandas as pd
import pytest

import canyu
from canyu.analytics.roles import channel_roles
from canyu.plan._rules import ROLE_REPLICATES, _role_counts, role_findings, role_p_values
from canyu.session import AnalysisSession
from canyu.simulate import import_simulation, simulate


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AnalysisSession]:
    root = tmp_path_factory.mktemp("roles")
    out = {}
    for scenario in ("default", "wrong-roles"):
        sim = simulate(root / f"sim-{scenario}", people=3000, days=60, seed=3, scenario=scenario)
        ws = canyu.create(root / f"ws-{scenario}", locale="en")
        import_simulation(ws, sim.path)
        out[scenario] = ws.session()
    return out


@pytest.mark.slow
def test_role_counts_sum_to_the_metrics(sessions: dict[str, AnalysisSession]) -> None:
    # the bootstrap resamples these per-person counts: summed, they must be the analysis's metrics exactly
    for session in sessions.values():
        m = session.run("roles").metrics.set_index("channel")
        g = _role_counts(session).groupby("channel").sum(numeric_only=True)
        pd.testing.assert_series_equal(g["active"], m["active_people"], check_names=False, check_dtype=False)
        pd.testing.assert_series_equal(
            g["events"].astype("int64"), m["events"].astype("int64"), check_names=False
        )
        for num, den, metric in (
            ("answered", "messages", "reply_rate"),
            ("kept", "audience", "core_retention"),
            ("shared", "shares", "share_fanout"),
            ("one2one", "events", "one_to_one_share"),
            ("orders", "active", "orders_per_active"),
        ):
            ratio = (g[num] / g[den].where(g[den] > 0)).reindex(m.index)
            want = pd.to_numeric(m[metric], errors="coerce")
            both = ratio.notna() & want.notna()
            assert both.sum() >= 3, metric
            assert ratio[both].to_numpy() == pytest.approx(want[both].to_numpy()), metric


@pytest.mark.slow
def test_the_role_test_fires_on_wrong_roles_and_not_on_the_default(
    sessions: dict[str, AnalysisSession],
) -> None:
    default = sessions["default"].findings(rules=["channel_roles"])
    assert [f.key for f in default if f.severity == "high"] == []
    wrong = sessions["wrong-roles"].findings(rules=["channel_roles"])
    flagged = {f.key.split(":")[1] for f in wrong if f.key.startswith("channel_role_mismatch:")}
    assert "wechat_oa" in flagged  # run as a megaphone, its service score collapses
    assert flagged <= {"weibo", "wechat_oa", "forum"}  # channels run as planned are never flagged
    for f in wrong:
        if f.severity == "high":
            assert f.evidence["p_value"] < 0.05 and f.evidence["gap"] > 0.10


@pytest.mark.slow
def test_point_estimate_mismatch_without_significance_is_only_unclear(
    sessions: dict[str, AnalysisSession],
) -> None:
    session = sessions["default"]
    roles = session.run("roles")
    # plan roles the channels do not play: a point mismatch on each
    plan = dict(roles.expected, wechat_oa="broadcast", weibo="conversion")
    swapped = channel_roles(roles.metrics, expected=plan)
    p = role_p_values(session, swapped)
    assert set(p) >= {"wechat_oa", "weibo"} and all(0 < v <= 1 for v in p.values())
    # the same findings with p-values all 1 (nothing significant): no high finding, only unclear/thin ones
    weak = role_findings(swapped, p_values=dict.fromkeys(p, 1.0))
    assert weak and all(f.severity == "info" for f in weak)
    assert any(f.key == "channel_role_unclear:weibo" for f in weak)
    # with the bootstrap's p-values Weibo, where nobody orders, is a significant mismatch as a conversion
    # channel: its conversion score is 0 in every replicate, so p is the smallest possible, 1 / (replicates + 1)
    assert p["weibo"] == pytest.approx(1 / (ROLE_REPLICATES + 1))
    strong = role_findings(swapped, p_values=p)
    assert "channel_role_mismatch:weibo" in {f.key for f in strong}


def test_role_p_values_are_reproducible_and_bounded(sessions: dict[str, AnalysisSession]) -> None:
    session = sessions["wrong-roles"]
    roles = session.run("roles")
    a = role_p_values(session, roles, replicates=99)
    b = role_p_values(session, roles, replicates=99)
    assert a == b
    assert all(1 / 100 <= v <= 1 for v in a.values())
