"""agenda_join_audience's decision on the strength's interval: weak, strong, or unclear (too thin)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from canyu.plan._agenda_rules import WEAK_STRENGTH, join_audience_findings


def _agenda(direction: str, strength: float, lo: float, hi: float) -> SimpleNamespace:
    """The attributes of an AgendaAnalysis the rule reads, for one pooled result."""
    topics = pd.DataFrame(
        {
            "topic": ["新品发布", "价格优惠"],
            "q_audience_leads": [0.5, 0.6],
            "audience_share": [0.3, 0.2],
            "brand_share": [0.1, 0.4],
        }
    )
    result = SimpleNamespace(
        direction=direction,
        strength=strength,
        strength_interval=(lo, hi),
        p_brand_leads=0.019,
        p_audience_leads=0.6,
        days=90,
        topics=topics,
        alpha=0.05,
        reverse_lag_days=3,
    )
    return SimpleNamespace(result=result, brand_texts=1062, audience_texts=1746, note=None)


@pytest.mark.parametrize(
    ("direction", "strength", "lo", "hi", "keys"),
    [
        ("brand_leads", 0.54, 0.47, 0.61, []),  # the default scenario: sets the agenda
        ("brand_leads", 0.095, 0.0, 0.153, ["agenda_join_audience"]),  # significantly weak
        ("none", 0.09, 0.0, 0.22, ["agenda_join_audience"]),  # does not lead at all
        ("brand_leads", 0.185, 0.12, 0.216, ["agenda_weak_unclear"]),  # below 0.2, interval reaches it
        ("brand_leads", 0.25, 0.12, 0.40, []),  # above 0.2: no reason to call it weak
        # no significant lead, but as strong as an agenda the brand sets (45 days of the default scenario)
        ("none", 0.547, 0.444, 0.57, ["agenda_lead_unclear"]),
    ],
)
def test_weak_strong_or_unclear(
    direction: str, strength: float, lo: float, hi: float, keys: list[str]
) -> None:
    assert WEAK_STRENGTH == 0.2
    found = join_audience_findings(_agenda(direction, strength, lo, hi))  # type: ignore[arg-type]
    assert [f.key for f in found] == keys
    if keys == ["agenda_weak_unclear"]:
        (f,) = found
        assert f.severity == "info" and f.evidence["strength_interval"] == [lo, hi]
        assert "0.12–0.22" in f.text("metric", "en") and "0.12–0.22" in f.text("metric", "zh-CN")
    if keys == ["agenda_join_audience"]:
        assert found[0].severity == "medium"
    if keys == ["agenda_lead_unclear"]:
        (f,) = found
        assert (
            f.severity == "info"
            and "0.44–0.57" in f.text("metric", "en")
            and "p = 0.019" in f.text("metric", "en")
        )
        assert "0.44–0.57" in f.text("metric", "zh-CN")


def test_the_unclear_finding_states_its_power_limit() -> None:
    """Seed 4 of weak-agenda at 1,000 people: 0.185 (0.12-0.216) over 90 days. The half-width 0.048
    shrinks as 1/sqrt(days), so it clears 0.2 after 90 * (0.048 / 0.015) ** 2 = 921.6 -> 922 days."""
    from canyu.plan._agenda_rules import days_to_separate

    assert days_to_separate(0.185, (0.12, 0.216), 90) == 922
    assert days_to_separate(0.1, (0.05, 0.15), 90) == 23  # 90 * (0.05 / 0.1) ** 2 = 22.5
    (f,) = join_audience_findings(_agenda("brand_leads", 0.185, 0.12, 0.216))  # type: ignore[arg-type]
    assert f.evidence["days_to_separate"] == 922 and f.evidence["audience_texts_per_day"] == 19.4
    assert "needs about 922 days" in f.text("action", "en") and "±0.05" in f.text("action", "en")
    assert "约 922 天" in f.text("action", "zh-CN") and "每天 19 条受众讨论" in f.text("action", "zh-CN")
    (g,) = join_audience_findings(_agenda("brand_leads", 0.199, 0.10, 0.30))  # type: ignore[arg-type]
    assert "more than 3,650 days" in g.text("action", "en") and "超过 3,650 天" in g.text("action", "zh-CN")


@pytest.mark.parametrize(
    ("direction", "strength", "lo", "hi", "mix"),
    [
        ("brand_leads", 0.54, 0.47, 0.61, {}),  # sets its audience's agenda: keeps its own mix
        ("brand_leads", 0.185, 0.12, 0.216, {}),  # unclear: no move on noise
        (
            "none",
            0.09,
            0.0,
            0.22,
            {"新品发布": 0.6, "价格优惠": 0.4},
        ),  # joins: the audience's shares 0.3 : 0.2
    ],
)
def test_the_plan_joins_the_audiences_agenda_only_when_the_finding_says_so(
    direction: str, strength: float, lo: float, hi: float, mix: dict[str, float]
) -> None:
    from canyu.plan.levers import Levers
    from canyu.plan.strategy import _topic_mix

    agenda = _agenda(direction, strength, lo, hi)
    session = SimpleNamespace(run=lambda name, **_: agenda)
    findings = join_audience_findings(agenda)  # type: ignore[arg-type]
    got, note = _topic_mix(session, findings)  # type: ignore[arg-type]
    assert got.keys() == mix.keys() and all(abs(got[k] - v) < 1e-12 for k, v in mix.items())
    if mix:
        assert sum(got.values()) == 1.0  # exactly, for the levers' check
        Levers(topic_mix=got)  # accepted as a plan's lever
        assert "新品发布 60%" in note[0] and "新品发布 60%" in note[1] and "agenda_join_audience" in note[0]
    else:
        assert "unchanged" in note[0] and "不变" in note[1]
