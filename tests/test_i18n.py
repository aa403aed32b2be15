"""Messages: one catalogue for the CLI and the report, both languages for every message."""

from __future__ import annotations

import doctest
import re
import string

import pytest

from canyu import i18n
from canyu.errors import UnknownNameError
from canyu.i18n import MESSAGES, default_locale, localize, normalize_locale, render, t

_FIELDS = string.Formatter()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in _FIELDS.parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_both_languages_and_the_same_placeholders(key: str) -> None:
    en, zh = MESSAGES[key]
    assert en.strip() and zh.strip(), key
    assert re.search(r"[A-Za-z]", en), f"{key}: no English in {en!r}"
    assert re.search(r"[\u4e00-\u9fff]", zh), f"{key}: no Chinese in {zh!r}"
    assert _placeholders(en) == _placeholders(zh), key
    assert "" not in _placeholders(en), f"{key}: positional {{}} placeholder"


def test_cli_and_report_share_one_catalogue() -> None:
    assert t("channel", "zh-CN") == "渠道" and t("channel", "en") == "Channel"
    assert t("report_title", "zh-CN", brand="某品牌") == "某品牌 — 新媒体运营报告"
    assert t("created", "en", path="ws", brand="B", engine="duckdb") == (
        "Created workspace ws (brand B, engine duckdb)."
    )


def test_a_key_is_defined_once() -> None:
    with pytest.raises(ValueError, match="'table' is defined twice"):
        i18n._assemble({"table": ("Table", "表")}, {"table": ("Tab", "表格")})


def test_unknown_key_is_an_error_naming_the_closest() -> None:
    with pytest.raises(UnknownNameError, match=re.escape("'cli.seeds.rnak'; did you mean 'cli.seeds.rank'")):
        t("cli.seeds.rnak", "en")


# The table headers and lines the CLI still prints in English (wired by the CLI's owner).
CLI_KEYS = {
    "cli.seeds.rank": ("rank", "排名"),
    "cli.seeds.marginal_spread": ("marginal spread", "边际传播人数"),
    "cli.cascades.k_factor": ("K-factor", "K 因子"),
    "cli.mappings.path": ("path", "路径"),
}


@pytest.mark.parametrize(("key", "pair"), CLI_KEYS.items())
def test_cli_table_headers(key: str, pair: tuple[str, str]) -> None:
    assert MESSAGES[key] == pair
    assert t(key, "en") == pair[0] and t(key, "zh-CN") == pair[1]


def test_cli_result_lines_render_in_both_languages() -> None:
    fields = {"cascades": "12", "inferred": "25.0%"}
    assert t("cli.cascades.summary", "en", **fields) == (
        "12 cascades; 25.0% of parent links inferred from follows and timing"
    )
    assert (
        t("cli.cascades.summary", "zh-CN", **fields) == "12 个转发级联；25.0% 的上游关系由关注关系和时间推断"
    )
    assert t("cli.attribute.removal_effects", "zh", effects="weibo 0.120") == "移除效应：weibo 0.120"
    cost = t("cli.seeds.summary_cost", "en", cost="10.00", budget="50.00")
    assert t(
        "cli.seeds.summary", "en", spread="3.0", nodes="5", cost=cost, rr_sets="100", seconds="0.01"
    ) == ("expected spread 3.0 of 5 nodes, cost 10.00 of 50.00; 100 RR sets, 0.01s")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-cn", "zh-CN"),
        (" ZH-TW ", "zh-CN"),
        ("en-US", "en"),
        ("en", "en"),
    ],
)
def test_normalize_locale(given: str, expected: str) -> None:
    assert normalize_locale(given) == expected


def test_unknown_locale() -> None:
    with pytest.raises(UnknownNameError, match="'fr'") as err:
        normalize_locale("fr")
    assert set(err.value.valid) == {"zh-CN", "en"}


def test_localize_and_render() -> None:
    assert localize("file.csv", "zh-CN") == "file.csv"
    assert localize(("Views", "阅读"), "zh_CN") == "阅读" and localize(("Views", "阅读"), "en") == "Views"
    assert render({"k": ("{n} rows", "{n} 行")}, "k", "zh-CN", n=3) == "3 行"


def test_default_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANYU_LOCALE", "zh_CN.UTF-8")
    assert default_locale() == "zh-CN"
    monkeypatch.delenv("CANYU_LOCALE")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert default_locale() == "en"


def test_examples() -> None:
    assert doctest.testmod(i18n).failed == 0
