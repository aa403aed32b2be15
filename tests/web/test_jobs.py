"""Model fits and reports run as background jobs on the one job registry, with progress, their result
or a clear error; a workspace's jobs are seen only by its people. Settings edit [topics] and [text]."""

from __future__ import annotations

import html
import json
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import canyu
from canyu.config import load_config
from canyu.simulate import import_simulation, simulate
from canyu.web import create_app

from .conftest import DATA, Signed, add_users, sign_in, wait_for

#: user -> (workspace, role) of this module's root
JOB_USERS = {
    "an_sim": ("sim", "analyst"),
    "vw_sim": ("sim", "viewer"),
    "an_other": ("other", "analyst"),
}


@pytest.fixture(scope="module")
def jobs_root(tmp_path_factory: pytest.TempPathFactory, web_home: Path) -> Path:
    """``sim``: a small simulated brand (400 people, 9 weeks, spend on 4 channels); ``other``: events only."""
    base = tmp_path_factory.mktemp("jobs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(web_home))
        files = simulate(base / "files", people=400, days=63, seed=3)
        with canyu.create(base / "sim", brand="Sim Brand", locale="en") as ws:
            import_simulation(ws, files.path)
        with canyu.create(base / "other", brand="Other Brand", locale="en") as ws:
            ws.import_files([DATA / "events_basic.csv"], mapping="generic_events")
    add_users(base, JOB_USERS)
    return base


@pytest.fixture(scope="module")
def jobs_app(jobs_root: Path):  # type: ignore[no-untyped-def]
    return create_app(jobs_root, collector=False, login_rate=(1000, 60.0))


@pytest.fixture(scope="module")
def users(jobs_app) -> dict[str, Signed]:  # type: ignore[no-untyped-def]
    out = {u: sign_in(TestClient(jobs_app), u) for u in JOB_USERS}
    for s in out.values():
        s.client.get("/lang/en?next=/", follow_redirects=False)
    yield out  # type: ignore[misc]
    for s in out.values():
        s.client.close()


def _wait(s: Signed, url: str, limit: float = 120.0) -> dict:  # type: ignore[type-arg]
    end = time.time() + limit
    while time.time() < end:
        state = s.client.get(url, headers={"accept": "application/json"}).json()
        if state["state"] in ("done", "failed"):
            return state  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {url} did not finish")


def _start(s: Signed, path: str, **data: str) -> str:
    r = s.client.post(path, data={"csrf_token": s.csrf, **data}, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return str(r.headers["location"])


def test_a_fit_on_too_little_data_fails_with_the_analysis_reason(
    users: dict[str, Signed], jobs_root: Path, jobs_app
) -> None:  # type: ignore[no-untyped-def]
    s = users["an_sim"]
    url = _start(s, "/w/sim/fit", target="orders")
    assert url.startswith("/w/sim/jobs/job_")
    state = _wait(s, url)
    with canyu.open(jobs_root / "sim") as ws:
        direct = ws.session().run("mmm", target="orders")  # what canyu mmm DIR --target orders says
    assert direct.fit is None and direct.weeks == 10 and direct.need > direct.weeks
    assert state["state"] == "failed" and state["kind"] == "fit"
    assert state["error"]["message"] == f"no media-mix fit: {direct.reason}"
    assert "too little data: 10 weeks of spend" in state["error"]["message"]
    assert state["error"]["message_zh"] == f"无法拟合媒体组合模型：{direct.reason_zh}"
    # the page says it in the reader's language, and the htmx fragment stops polling (286)
    s.client.get("/lang/zh-CN?next=/", follow_redirects=False)
    try:
        frag = s.client.get(url, headers={"hx-request": "true"})
        assert frag.status_code == 286 and html.escape(direct.reason_zh) in frag.text
        assert 'data-state="failed"' in frag.text and "Traceback" not in frag.text
    finally:
        s.client.get("/lang/en?next=/", follow_redirects=False)
    page = s.client.get(url).text
    assert html.escape(direct.reason) in page and "media-mix fit" in page
    audit = [json.loads(x) for x in (jobs_root / ".canyu" / "audit.jsonl").read_text().splitlines()]
    assert any(e["event"] == "fit" and e["detail"]["job"] == url.rsplit("/", 1)[1] for e in audit)
    # a bad target is refused before any job starts
    r = s.client.post("/w/sim/fit", data={"csrf_token": s.csrf, "target": "likes"}, follow_redirects=False)
    assert r.status_code in (400, 404) and "revenue" in r.text
    # without the CSRF token nothing starts
    before = len(jobs_app.state.web.jobs.of("sim"))
    r = s.client.post("/w/sim/fit", data={"target": "orders"}, follow_redirects=False)
    assert r.status_code == 403 and len(jobs_app.state.web.jobs.of("sim")) == before


def test_a_report_job_builds_the_html_report_to_download(users: dict[str, Signed], jobs_root: Path) -> None:
    from canyu.report import section_names
    from canyu.report._render import section_anchor

    s = users["an_sim"]
    url = _start(s, "/w/sim/report")
    state = _wait(s, url, limit=240)
    assert state["state"] == "done", state
    names = section_names()
    assert state["result"]["sections"] == len(names) and state["progress"] == 1.0
    page = s.client.get(url).text
    assert 'id="report-download"' in page and f"{len(names)} sections" in page
    r = s.client.get(f"/w/sim/reports/{state['result']['file']}")
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    for name in names:  # every section of the report is in the file
        assert f'<section id="{section_anchor(name)}" data-section="{name}">' in r.text
    assert "Sim Brand" in r.text
    assert (jobs_root / "sim" / "reports" / state["result"]["file"]).is_file()


def test_a_running_job_shows_its_progress_and_keeps_polling(users: dict[str, Signed], jobs_app) -> None:  # type: ignore[no-untyped-def]
    """A job half done, on the same registry: the page polls every second and shows the step and share."""
    go = threading.Event()

    def slow(job):  # type: ignore[no-untyped-def]
        job.step = "mmm"
        job.progress = 0.4
        assert go.wait(30)
        return {"file": "x.html", "findings": 0, "sections": 0}

    job = jobs_app.state.web.jobs.submit("sim", "an_sim", "report", slow)
    try:
        for _ in range(100):
            if job.state == "running" and job.progress == 0.4:
                break
            time.sleep(0.02)
        s = users["vw_sim"]  # a viewer of the workspace sees its jobs
        page = s.client.get(f"/w/sim/jobs/{job.job_id}").text
        assert 'hx-trigger="every 1s"' in page and 'data-poll="on"' in page
        frag = s.client.get(f"/w/sim/jobs/{job.job_id}", headers={"hx-request": "true"})
        assert frag.status_code == 200 and "40%" in frag.text and "step: mmm" in frag.text
    finally:
        go.set()
    wait_for(job, "done")
    frag = users["vw_sim"].client.get(f"/w/sim/jobs/{job.job_id}", headers={"hx-request": "true"})
    assert frag.status_code == 286 and "100%" in frag.text


def test_a_finished_fit_shows_its_summary_table(users: dict[str, Signed], jobs_app) -> None:  # type: ignore[no-untyped-def]
    """The job page renders the fit's summary as the fit job stores it (through ``_frame_table``)."""
    import pandas as pd

    from canyu.web._pages import _frame_table

    summary = pd.DataFrame({"channel": ["weibo", "douyin"], "roas": [2.5, 0.75], "mroas": [1.25, 0.5]})
    table = _frame_table(summary)
    assert table == {
        "columns": ["channel", "roas", "mroas"],
        "rows": [["weibo", 2.5, 1.25], ["douyin", 0.75, 0.5]],
    }
    result = {
        "target": "orders",
        "weeks": 60,
        "need_weeks": 52,
        "channels": ["weibo", "douyin"],
        "excluded": {"qzone": "spent in 3 of 60 weeks, need ≥ 8"},
        "trusted": False,
        "cached": False,
        "summary": table,
    }
    job = jobs_app.state.web.jobs.submit("sim", "an_sim", "fit", lambda j: result)
    wait_for(job, "done")
    page = users["an_sim"].client.get(f"/w/sim/jobs/{job.job_id}").text
    assert "on 60 weeks of spend (a fit needs at least 52)" in page
    assert '<td class="">weibo</td><td class="num">2.5</td><td class="num">1.25</td>' in page
    assert "too uncertain to judge" in page and "spent in 3 of 60 weeks" in page


def test_an_internal_failure_shows_no_traceback(users: dict[str, Signed], jobs_app) -> None:  # type: ignore[no-untyped-def]
    def broken(job):  # type: ignore[no-untyped-def]
        raise ValueError("secret /srv/clients/sim detail")

    job = jobs_app.state.web.jobs.submit("sim", "an_sim", "fit", broken)
    wait_for(job, "failed")
    s = users["an_sim"]
    state = s.client.get(f"/w/sim/jobs/{job.job_id}", headers={"accept": "application/json"})
    page = s.client.get(f"/w/sim/jobs/{job.job_id}").text
    for text in (state.text, page):
        assert "Traceback" not in text and "secret" not in text and "ValueError" not in text
        assert job.job_id in text
    assert state.json()["error"]["type"] == "internal"


def test_jobs_are_seen_only_by_the_workspace_people(users: dict[str, Signed], jobs_app) -> None:  # type: ignore[no-untyped-def]
    job = jobs_app.state.web.jobs.submit(
        "sim", "an_sim", "report", lambda j: {"file": "x.html", "findings": 0}
    )
    wait_for(job, "done")
    viewer, analyst, stranger = users["vw_sim"], users["an_sim"], users["an_other"]
    listing = viewer.client.get("/w/sim/jobs").text
    assert f'data-job="{job.job_id}"' in listing and 'id="start-fit"' not in listing
    assert 'id="start-fit"' in analyst.client.get("/w/sim/jobs").text
    # a viewer cannot start a fit or a report
    for path in ("/w/sim/fit", "/w/sim/report"):
        r = viewer.client.post(path, data={"csrf_token": viewer.csrf}, follow_redirects=False)
        assert r.status_code == 403, path
    # someone of another workspace: neither the list, the job nor starting one, and nothing leaks
    for method, path in (
        ("GET", "/w/sim/jobs"),
        ("GET", f"/w/sim/jobs/{job.job_id}"),
        ("POST", "/w/sim/fit"),
        ("POST", "/w/sim/report"),
    ):
        r = stranger.client.request(
            method,
            path,
            data={"csrf_token": stranger.csrf} if method == "POST" else None,
            follow_redirects=False,
        )
        assert r.status_code == 404 and "Sim Brand" not in r.text, (method, path, r.status_code)
    # the sim job is not reachable through the stranger's own workspace URL either
    assert stranger.client.get(f"/w/other/jobs/{job.job_id}").status_code == 404
    assert f'data-job="{job.job_id}"' not in stranger.client.get("/w/other/jobs").text


def _settings_form(s: Signed, ws: str) -> dict[str, str]:
    with canyu.open(ws) as w:
        cfg = w.config
    return {
        "csrf_token": s.csrf,
        "brand": cfg.brand,
        "timezone": cfg.timezone,
        "currency": cfg.currency,
        "conversion_actions": ", ".join(cfg.conversion_actions),
        "product_name": cfg.product.name,
        "category": cfg.product.category,
        "price": str(cfg.product.price),
        "hit_products": ", ".join(cfg.product.hit_products),
        "accounts": "\n".join(f"{ch}: {', '.join(ids)}" for ch, ids in cfg.accounts.items()),
    }


def test_settings_edit_topics_and_brand_words(users: dict[str, Signed], jobs_root: Path) -> None:
    s = users["an_other"]
    ws = jobs_root / "other"
    form = _settings_form(s, str(ws))
    before = (ws / "canyu.toml").read_text(encoding="utf-8")
    # an empty topic names its key, in both languages; canyu.toml is unchanged
    bad = {**form, "topics": "售后服务: 客服, 退货\n包装:", "brand_words": "乌龙茶"}
    r = s.client.post("/w/other/settings", data=bad)
    assert r.status_code == 400 and "topics.包装" in r.text and "seed words" in r.text
    s.client.get("/lang/zh-CN?next=/", follow_redirects=False)
    try:
        r = s.client.post("/w/other/settings", data=bad)
        assert r.status_code == 400 and "topics.包装" in r.text and "种子词" in r.text
        r = s.client.post("/w/other/settings", data={**form, "topics": "no colon here"})
        assert r.status_code == 400 and "topics" in r.text and "第 1 行" in r.text
    finally:
        s.client.get("/lang/en?next=/", follow_redirects=False)
    r = s.client.post("/w/other/settings", data={**form, "topics": "a: x\na: y"})
    assert r.status_code == 400 and "topics.a is given twice" in r.text
    assert (ws / "canyu.toml").read_text(encoding="utf-8") == before
    # a good one is saved to canyu.toml (read back by the same loader the CLI uses) and audited
    good = {
        **form,
        "topics": "售后服务: 客服, 退货，换货\n\n口味：回甘, 香气",
        "brand_words": "乌龙茶, 回甘茶园",
    }
    r = s.client.post("/w/other/settings", data=good)
    assert r.status_code == 200 and 'id="settings-saved"' in r.text
    cfg = load_config(ws)
    assert cfg.topics == {"售后服务": ("客服", "退货", "换货"), "口味": ("回甘", "香气")}
    assert cfg.text.brand_words == ("乌龙茶", "回甘茶园")
    assert "[topics]" in (ws / "canyu.toml").read_text(encoding="utf-8")
    assert "售后服务: 客服, 退货, 换货" in r.text  # the page shows what was saved
    audit = [json.loads(x) for x in (jobs_root / ".canyu" / "audit.jsonl").read_text().splitlines()]
    change = [e for e in audit if e["event"] == "settings_change"][-1]
    assert change["user"] == "an_other" and {"topics", "text"} <= set(change["detail"]["fields"])
    # a form without the topics fields (an older page) leaves them as they are
    r = s.client.post("/w/other/settings", data=form)
    assert r.status_code == 200 and load_config(ws).topics == cfg.topics
    # a viewer cannot save
    v = users["vw_sim"]
    assert v.client.post("/w/sim/settings", data={**form, "csrf_token": v.csrf}).status_code == 403
