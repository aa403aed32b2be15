"""The console in a real browser: headless Chromium (Debian's) driven by Playwright against a real
uvicorn on 127.0.0.1. Signs in, opens every page in both languages, uploads a file and reads the
accounting, checks that a client viewer cannot reach another client. Screenshots of the main pages
go to ``$CANYU_SCREENSHOT_DIR`` (or the test's temporary folder)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DATA, PASSWORD, make_root

CHROMIUM = Path(os.environ.get("CANYU_CHROMIUM", "/usr/bin/chromium"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (install Debian's chromium)"),
]

PAGES = [
    "",
    "/findings",
    "/plan",
    "/report",
    "/report?section=activity",
    "/analyze/activity",
    "/imports",
    "/collector",
    "/settings",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, web_home: Path) -> Iterator[str]:
    import uvicorn

    from canyu.web import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(web_home))
        root = make_root(tmp_path_factory.mktemp("browser-clients"), web_home)
        port = _free_port()
        config = uvicorn.Config(
            create_app(root, collector=False), host="127.0.0.1", port=port, log_level="warning"
        )
        srv = uvicorn.Server(config)
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        for _ in range(300):
            if srv.started:
                break
            time.sleep(0.05)
        assert srv.started
        yield f"http://127.0.0.1:{port}"
        srv.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("CANYU_SCREENSHOT_DIR") or tmp_path) / "console"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _page(browser, server: str, errors: list[str]):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def _sign_in(page, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/clients")


def test_every_page_in_both_languages(browser, server: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page = _page(browser, server, errors)
    _sign_in(page, "owner_a")
    for lang, word in (("zh-CN", "概览"), ("en", "Overview")):
        page.goto(f"/lang/{lang}?next=/clients")
        assert page.locator("html").get_attribute("lang") == lang
        page.screenshot(path=str(shots / f"clients.{lang}.png"), full_page=True)
        for p in PAGES:
            page.goto(f"/w/brand-a{p}")
            assert page.locator("html").get_attribute("lang") == lang, p
            assert page.locator("nav.tabs").inner_text().count(word) == 1, p
        page.goto("/w/brand-a")
        page.screenshot(path=str(shots / f"overview.{lang}.png"), full_page=True)
        page.goto("/w/brand-a/report?section=overview")
        page.wait_for_selector("div.plotly-chart .main-svg", timeout=20_000)  # plotly.js drew the figure
        assert page.locator("div.plotly-chart .main-svg").count() >= 1
        page.screenshot(path=str(shots / f"report.{lang}.png"), full_page=True)
        page.goto("/w/brand-a/findings")
        page.screenshot(path=str(shots / f"findings.{lang}.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
    assert not errors, errors


def test_upload_a_file_and_see_the_accounting(browser, server: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page = _page(browser, server, errors)
    _sign_in(page, "analyst_a")
    page.goto("/lang/en?next=/w/brand-a/imports")
    page.set_input_files("#upload-file", str(DATA / "events_broken.csv"))
    page.click("#upload")
    page.wait_for_selector("#mapping-form")
    page.check("input[value=generic_events]")
    page.click("#import")
    # the job page polls its status with htmx until the import is done
    page.wait_for_selector('.job-status[data-state="done"]', timeout=120_000)
    assert page.locator(".accounting .rows-in").inner_text() == "10"
    assert page.locator(".accounting .rows-quarantined").inner_text() == "8 of 10"
    assert page.locator("table.rejected tbody tr").count() == 8
    page.screenshot(path=str(shots / "import.en.png"), full_page=True)
    assert not errors, errors


def test_a_client_viewer_cannot_reach_another_client(browser, server: str, shots: Path) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page = _page(browser, server, errors)
    _sign_in(page, "viewer_b")
    assert page.locator("tr[data-workspace]").count() == 1
    assert page.locator('tr[data-workspace="brand-b"]').count() == 1
    for p in PAGES:
        r = page.goto(f"/w/brand-a{p}")
        assert r is not None and r.status == 404, p
        assert "品牌甲" not in page.content()
    page.screenshot(path=str(shots / "denied.png"), full_page=True)
    # and a viewer has no upload form or settings button on its own workspace
    page.goto("/w/brand-b/imports")
    assert page.locator("#upload-form").count() == 0
    page.goto("/w/brand-b/settings")
    assert page.locator("#save-settings").count() == 0
