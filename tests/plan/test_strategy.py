"""The strategy: the layout rule table, measured roles, the retail calendar, the budget split."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import canyu
from canyu.analytics.registry import ANALYSES, register_analysis
from canyu.config import DEFAULT_ROLES, ProductProfile
from canyu.plan import Finding
from canyu.plan.budget import saturated_channels
from canyu.plan.strategy import LAYOUT_RULES, budget_split, build_strategy, channel_layout, retail_dates

CHANNELS = ["douyin", "ecommerce", "forum", "qzone", "wechat_oa", "wecom", "weibo", "xiaohongshu"]
SEPT = (dt.date(2026, 9, 1), dt.date(2026, 9, 30))


def _mismatch(channel: str, actual: str) -> Finding:
    return Finding(
        key=f"channel_role_mismatch:{channel}",
        metric=("m", "m"),
        value=actual,
        expectation=("e", "e"),
        severity="high",
        action=("a", "a"),
        section="roles",
    )


def test_default_profile_keeps_the_playbook_roles() -> None:
    layout = channel_layout(ProductProfile(), CHANNELS)
    assert {ch: r.role for ch, r in layout.items()} == {ch: DEFAULT_ROLES[ch] for ch in CHANNELS}
    assert all("default role" in r.reason[0] and "默认定位" in r.reason[1] for r in layout.values())


def test_enthusiasts_build_the_forum_first_then_spread_on_weibo_and_qzone() -> None:
    profile = ProductProfile(core_users="enthusiasts", roles={})
    layout = channel_layout(profile, ["weibo", "wechat_oa"])  # no forum or QQ Zone data yet
    assert layout["forum"].role == "retention" and not layout["forum"].has_data  # a channel to open
    assert layout["weibo"].role == "broadcast" and layout["qzone"].role == "broadcast"
    assert layout["wechat_oa"].role == "service"
    assert "参与感" in layout["forum"].reason[1] and "Participation" in layout["forum"].reason[0]
    assert "论坛" in layout["forum"].reason[1]


def test_rule_rows_apply_in_order_and_name_their_fields() -> None:
    impulse = ProductProfile(involvement="low", price_band="low")
    assert channel_layout(impulse, ["douyin"])["douyin"].role == "conversion"
    # low price alone is not the impulse row: Douyin keeps broadcasting
    assert channel_layout(ProductProfile(price_band="low"), ["douyin"])["douyin"].role == "broadcast"
    mature = channel_layout(ProductProfile(stage="mature"), ["wecom"])
    assert mature["wecom"].role == "retention"
    fields = {f for rule in LAYOUT_RULES for f in rule.when}
    assert fields <= {"category", "price_band", "involvement", "core_users", "stage"}


def test_measured_role_moves_a_channel_only_when_its_role_stays_covered() -> None:
    # WeChat OA measured as retention: WeCom still serves, so the OA is laid out for retention
    layout = channel_layout(
        ProductProfile(), CHANNELS, [_mismatch("wechat_oa", "retention")], {"wechat_oa": "retention"}
    )
    assert layout["wechat_oa"].role == "retention"
    assert layout["wechat_oa"].evidence == "channel_role_mismatch:wechat_oa"
    # the forum is the only retention channel: it keeps the role the product needs (and gets repaired)
    layout = channel_layout(
        ProductProfile(), CHANNELS, [_mismatch("forum", "broadcast")], {"forum": "broadcast"}
    )
    assert layout["forum"].role == "retention" and layout["forum"].evidence
    assert "repairs" in layout["forum"].reason[0]


def test_retail_calendar_knows_the_chinese_dates() -> None:
    nov = {r.key: r for r in retail_dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))}
    assert nov["double11-2026"].day == dt.date(2026, 11, 11)
    assert nov["double11-2026"].start == dt.date(2026, 11, 1)  # clipped to the period
    dec = {r.key for r in retail_dates(dt.date(2026, 12, 1), dt.date(2026, 12, 31))}
    assert "double12-2026" in dec
    jan = {r.key: r for r in retail_dates(dt.date(2027, 1, 1), dt.date(2027, 1, 31))}
    # Spring Festival 2027 is 6 February: the New Year goods festival runs to 8 days before it
    assert jan["new_year_goods-2027"].day == dt.date(2027, 1, 29)
    aug = {
        r.key: r
        for r in retail_dates(dt.date(2026, 8, 1), dt.date(2026, 8, 31), launches={"2026-08-28": "X1"})
    }
    assert aug["qixi-2026"].day == dt.date(2026, 8, 19)
    assert aug["back_to_school-2026"].start == dt.date(2026, 8, 15)
    assert aug["launch-2026-08-28"].kind == "launch" and "X1" in aug["launch-2026-08-28"].name[1]
    may = {r.key for r in retail_dates(dt.date(2026, 5, 1), dt.date(2026, 6, 30))}
    assert {"520-2026", "618-2026"} <= may


def _strategy(path: Path) -> tuple[dict[str, str], dict[str, str], list[str]]:
    with canyu.open(path) as ws:
        st = build_strategy(ws.session(), period_start=SEPT[0], period_end=SEPT[1])
        ev = {ch: r.evidence for ch, r in st.layout.items()}
        return st.roles(), ev, [f.key for f in st.findings]


def test_wrong_roles_scenario_changes_the_layout_where_the_data_say_so(
    sim_workspace: Callable[[str], Path],
) -> None:
    default_roles, default_ev, _ = _strategy(sim_workspace("default"))
    assert default_roles == {ch: DEFAULT_ROLES[ch] for ch in default_roles}  # data confirm the playbook
    assert not any(default_ev.values())
    wrong_roles, wrong_ev, keys = _strategy(sim_workspace("wrong-roles"))
    changed = {ch for ch in wrong_roles if wrong_roles[ch] != default_roles.get(ch)}
    assert changed, "the wrong-roles layout must differ from the default's"
    for ch in changed:  # every change stands on a finding of the channel_roles rule
        assert wrong_ev[ch] == f"channel_role_mismatch:{ch}" and wrong_ev[ch] in keys
    # and the roles the product needs are all still covered
    assert set(wrong_roles.values()) >= {"broadcast", "service", "retention", "conversion"}


def test_budget_split_tilts_last_periods_spend_by_measured_return_per_yuan(
    sim_workspace: Callable[[str], Path],
) -> None:
    """Without a media-mix fit: last period's split of paid spend, each channel's share times its return
    per yuan over the cost-weighted mean return, clipped to ±25% (healthy data: no channel is saturated)."""
    with canyu.open(sim_workspace("default")) as ws:
        s = ws.session()
        assert saturated_channels(s) == {}
        spend = s.run("spend")
        paid = spend[spend["spend"] > 0]
        for objective, col in (
            ("conversions", "orders"),
            ("revenue", "revenue"),
            ("activity", "new_followers"),
        ):
            split = budget_split(s, total=10_000, objective=objective)
            assert split.source == "measured_roas" and "tilted by measured" in split.reason[0]
            mean = paid[col].sum() / paid["cost"].sum()
            weight = {
                r["channel"]: r["spend"] * min(max(r[col] / r["cost"] / mean, 0.75), 1.25)
                for r in paid.to_dict("records")
            }
            assert set(split.allocation) == set(weight)
            assert sum(split.allocation.values()) == pytest.approx(10_000)
            for ch, amount in split.allocation.items():
                assert amount == pytest.approx(10_000 * weight[ch] / sum(weight.values()))
            tilts = {
                ch: split.allocation[ch] / (10_000 * w / paid["spend"].sum())
                for ch, w in paid.set_index("channel")["spend"].items()
            }
            assert max(tilts.values()) / min(tilts.values()) <= 1.25 / 0.75 + 1e-9


@pytest.fixture
def mmm_budget() -> Iterator[None]:
    """A `budget` analysis whose fit passed, in place of the registered one (put back afterwards)."""
    from canyu.analytics.registry import get_analysis

    had = get_analysis("budget")  # loads the registered modules first
    ANALYSES.pop("budget")

    @register_analysis("budget", title=("Budget", "预算"))
    def budget(session: object, *, total: float = 0.0, objective: str = "conversions") -> dict[str, object]:
        return {
            "allocation": {"weibo": 3.0, "douyin": 1.0},
            "source": "mmm",
            "reason": ("fit passed", "拟合通过"),
        }

    yield
    ANALYSES["budget"] = had


def test_budget_split_takes_the_media_mix_when_it_passed(
    sim_workspace: Callable[[str], Path], mmm_budget: None
) -> None:
    with canyu.open(sim_workspace("default")) as ws:
        split = budget_split(ws.session(), total=8_000, objective="conversions")
    assert split.source == "mmm" and split.reason == ("fit passed", "拟合通过")
    assert split.allocation == {"weibo": 6_000.0, "douyin": 2_000.0}


def test_profile_fields_are_read_validated_and_saved(tmp_path: Path) -> None:
    from dataclasses import replace

    from canyu.config import load_config, save_config
    from canyu.errors import ConfigError

    with canyu.create(tmp_path / "ws", brand="b", locale="en") as ws:
        cfg = ws.config
    prof = replace(cfg.product, core_users="enthusiasts", stage="launch", launches={"2026-12-10": "X1 Pro"})
    save_config(tmp_path / "ws", replace(cfg, product=prof))
    back = load_config(tmp_path / "ws").product
    assert (back.core_users, back.stage, back.launches) == ("enthusiasts", "launch", {"2026-12-10": "X1 Pro"})
    text = (tmp_path / "ws" / "canyu.toml").read_text(encoding="utf-8")
    (tmp_path / "ws" / "canyu.toml").write_text(
        text.replace('stage = "launch"', 'stage = "teen"'), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"product\.stage"):
        load_config(tmp_path / "ws")
