"""A finding's evidence in the report: scalars on a line, nested values as small tables, numbers rounded."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

import canyu
from canyu.plan import Finding
from canyu.report import ReportContext, SectionResult, build_report, register_section
from canyu.report._contracts import SECTIONS
from canyu.report._render import _ev_number, _evidence_html

# evidence shaped as the rules write it (word_of_mouth_event, agenda_lead_topics, slow_service)
EVIDENCE = {
    "window_start": "2026-09-01",
    "sharer_days_window": 2620,
    "ratio": 11.23456,
    "p_value_bonferroni": 2.78e-24,
    "p_value_speed": 0.0123456,
    "strength_interval": [0.012344, 0.18881],
    "answer_rate_low": True,
    "median_reply_minutes": None,
    "channels": [{"channel": "weibo", "sharers": 1200}, {"channel": "douyin", "sharers": 80}],
    "converted": {"新品发布": 5, "价格优惠": 3},
    "engaged": {"新品发布": 476, "价格优惠": 300},
    "q_brand_leads": {"新品发布": 0.00012, "价格优惠": 0.0234},
}


class _Tables(HTMLParser):
    """Each <table>'s caption and rows of cell texts, read back with the standard library's parser."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, object]] = []
        self._cell: list[str] | None = None
        self._row: list[str] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr":
            self.tables[-1]["rows"].append(self._row)  # type: ignore[union-attr]

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.tables[-1]["caption"] = str(self.tables[-1]["caption"]) + data
        elif self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> list[dict[str, object]]:
    p = _Tables()
    p.feed(html)
    return p.tables


@pytest.mark.parametrize(
    ("x", "p", "shown"),
    [
        (2.78e-24, True, "< 0.001"),
        (0.000999, True, "< 0.001"),
        (0.001, True, "0.001"),
        (0.0123456, True, "0.0123"),
        (0.5, True, "0.5"),
        (11.23456, False, "11.2"),
        (8.1, False, "8.1"),
        (0.0000123456, False, "0.0000123"),
        (123.456, False, "123.5"),
        (123456.789, False, "123,457"),
        (4.0, False, "4"),
        (float("nan"), False, "—"),
        (float("inf"), False, "∞"),
    ],
)
def test_numbers_are_rounded_for_reading(x: float, p: bool, shown: str) -> None:
    assert _ev_number(x, p_value=p) == shown


@pytest.mark.parametrize(
    ("locale", "weibo", "yes", "by_channel", "q_label"),
    [("en", "Weibo", "yes", "by channel", "q, brand leads"), ("zh-CN", "微博", "是", "各渠道", "品牌领先 q")],
)
def test_nested_evidence_is_tables(locale: str, weibo: str, yes: str, by_channel: str, q_label: str) -> None:
    html = _evidence_html(EVIDENCE, locale)
    assert "2.78e-24" not in html and "[{" not in html and "{&quot;" not in html  # no raw JSON
    assert "&lt; 0.001" in html and "0.0123" in html and "0.0123 – 0.189" in html and "11.2" in html
    assert "2,620" in html and f"{yes}" in html and "11.23456" not in html
    tables = _tables(html)
    assert len(tables) == 2
    channels, topics = tables
    assert channels["caption"] == by_channel
    assert channels["rows"][1:] == [[weibo, "1,200"], ["抖音" if locale != "en" else "Douyin", "80"]]
    # the three mappings over the same topics share one table: one row per topic
    assert q_label in str(topics["caption"])
    assert topics["rows"][0][1:] == [
        "converted" if locale == "en" else "转化人数",
        "engaged" if locale == "en" else "互动人数",
        q_label,
    ]
    assert topics["rows"][1:] == [["新品发布", "5", "476", "< 0.001"], ["价格优惠", "3", "300", "0.0234"]]


def test_long_nested_lists_are_cut(workspace: canyu.Workspace) -> None:
    """A finding with 30 records in its evidence shows 12 rows and '… +18', in the built report."""
    name = "evidence_plugin"

    @register_section(name, order=20)
    def evidence_plugin(ctx: ReportContext) -> SectionResult:
        rows = [{"channel": "weibo", "sharers": i, "q_value": 10.0**-i} for i in range(30)]
        f = Finding(
            "plugin:ev", ("Ev", "证据"), 1, ("-", "-"), "low", ("-", "-"), evidence={"channels": rows}
        )
        return SectionResult(title=("Evidence", "证据"), findings=[f])

    try:
        html = build_report(workspace, locale="en", sections=[name]).html
    finally:
        SECTIONS.pop(name, None)
    start = html.index('data-key="plugin:ev"')
    item = html[start : html.index("</li>", start)]
    (table,) = _tables(item)
    assert len(table["rows"]) == 1 + 12  # header + 12 rows
    assert table["rows"][1] == ["Weibo", "0", "1"] and table["rows"][4] == ["Weibo", "3", "0.001"]
    assert table["rows"][5][2] == "< 0.001"
    assert "… +18" in item
