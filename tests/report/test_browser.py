"""The report in a real browser: headless Chromium draws its sections and Plotly charts offline."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import canyu
from canyu.report import section_names, write_report

CHROMIUM = Path(os.environ.get("CANYU_CHROMIUM", "/usr/bin/chromium"))
DATA = Path(__file__).parents[1] / "data"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing (install Debian's chromium and fonts-wqy-microhei)",
    ),
]


def chromium(page: Path, profile: Path, *extra: str) -> str:
    """Run headless Chromium on ``page`` with no network, extensions, sync or first-run UI."""
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        # Any request leaving the machine fails: a chart drawn here was drawn from the file alone.
        "--proxy-server=http://127.0.0.1:9",
        f"--user-data-dir={profile}",
        "--window-size=1280,2400",
        # Let plotly.js finish its drawing before the DOM is dumped.
        "--virtual-time-budget=10000",
        *extra,
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """zh-CN and en reports of a workspace built from tests/data."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(tmp_path_factory.mktemp("browser-home")))
        mp.delenv("CANYU_HMAC_KEY", raising=False)
        root = tmp_path_factory.mktemp("browser")
        with canyu.create(root / "ws", brand="浏览器测试", locale="zh-CN") as ws:
            ws.import_files([DATA / "events_basic.csv"], mapping="generic_events")
            ws.import_files([DATA / "events_broken.csv"], mapping="generic_events")
            ws.import_files([DATA / "xhs_notes.xlsx"], table="content_stats", mapping="xiaohongshu_notes")
            yield {loc: write_report(ws, locale=loc).path for loc in ("zh-CN", "en")}


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_sections_and_charts_are_drawn(reports: dict[str, Path], locale: str, tmp_path: Path) -> None:
    page = reports[locale]
    source = page.read_text(encoding="utf-8")
    charts = source.count('class="plotly-graph-div"')
    assert charts >= 4  # overview, content, channel roles, activity
    dom = chromium(page, tmp_path / "profile", "--dump-dom")
    assert f'lang="{locale}"' in dom
    for name in section_names():
        assert f'id="section-{name}"' in dom, name
    assert dom.count('class="finding ') >= 1

    # plotly.js turns each chart's div into a plot container holding its SVG layers at run
    # time; count what the page did not have before (the inline plotly.js names these classes).
    def drawn(marker: str) -> int:
        return dom.count(marker) - source.count(marker)

    assert drawn('class="plot-container plotly"') == charts
    assert drawn('class="main-svg"') >= charts
    # Bars and line traces were actually drawn, not just empty axes.
    assert drawn('class="trace bars"') >= 1 and drawn('class="trace scatter') >= 1


def test_screenshot_of_the_chinese_report(reports: dict[str, Path], tmp_path: Path) -> None:
    """A PNG of the zh-CN page (kept under $CANYU_SCREENSHOT_DIR when set, to look at)."""
    out = Path(os.environ.get("CANYU_SCREENSHOT_DIR") or tmp_path) / "report.zh-CN.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    chromium(reports["zh-CN"], tmp_path / "profile", f"--screenshot={out}")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


@pytest.fixture(scope="module")
def plan_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """zh-CN and en reports of a small simulated workspace, whose plan section has real tasks."""
    from canyu.simulate import import_simulation, simulate

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(tmp_path_factory.mktemp("browser-plan-home")))
        mp.delenv("CANYU_HMAC_KEY", raising=False)
        root = tmp_path_factory.mktemp("browser-plan")
        sim = simulate(root / "sim", people=1500, days=21, seed=3)
        with canyu.create(root / "ws", brand="计划测试", locale="zh-CN") as ws:
            import_simulation(ws, sim.path)
            yield {
                loc: write_report(
                    ws, locale=loc, sections=["overview", "plan"], path=root / f"r.{loc}.html"
                ).path
                for loc in ("zh-CN", "en")
            }


@pytest.mark.parametrize(
    ("locale", "title", "owner"), [("zh-CN", "行动方案", "投放"), ("en", "Action plan", "Paid media")]
)
def test_plan_section_is_drawn_first(
    plan_reports: dict[str, Path], locale: str, title: str, owner: str, tmp_path: Path
) -> None:
    """The plan comes first, before the findings and every other section, with its layout and task tables, in both languages;
    a PNG of each page is kept under $CANYU_SCREENSHOT_DIR when set."""
    page = plan_reports[locale]
    dom = chromium(page, tmp_path / "profile", "--dump-dom")
    start, findings = dom.index('id="section-plan"'), dom.index('id="findings"')
    assert start < findings < dom.index('id="section-overview"')  # the plan first, before the findings
    assert dom.index('href="#section-plan"') < dom.index('href="#findings"')  # and first in the contents
    plan = dom[start:findings]
    assert title in plan and owner in plan
    assert plan.count("<table") >= 2 and plan.count("<tr") >= 8  # layout + tasks, with rows
    out = Path(os.environ.get("CANYU_SCREENSHOT_DIR") or tmp_path) / f"report-plan.{locale}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    chromium(page, tmp_path / "profile2", f"--screenshot={out}")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
