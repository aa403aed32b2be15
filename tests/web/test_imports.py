"""Uploads are imported in the background with their accounting and rejected rows; settings are
validated before canyu.toml is written, and both are audited."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import canyu
from canyu.ingest import suggest_mappings

from .conftest import DATA, Signed


def _wait(s: Signed, url: str) -> dict:  # type: ignore[type-arg]
    for _ in range(1200):
        state = s.client.get(url, headers={"accept": "application/json"}).json()
        if state["state"] in ("done", "failed"):
            return state  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {url} did not finish")


def test_upload_suggest_import_and_accounting(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    s = login("analyst_a")
    with open(DATA / "events_broken.csv", "rb") as fh:
        r = s.client.post(
            "/w/brand-a/imports",
            data={"csrf_token": s.csrf},
            files={"file": ("broken events.csv", fh, "text/csv")},
            follow_redirects=False,
        )
    assert r.status_code == 303
    review = s.client.get(r.headers["location"]).text
    offered = re.findall(r'name="mapping" value="([^"]+)"', review)
    ranked = [m.name for m in suggest_mappings(DATA / "events_broken.csv") if m.score > 0][:8]
    assert offered == ranked and "generic_events" in offered  # canyu mappings suggest's ranking
    assert re.search(r'name="mapping" value="([^"]+)" checked', review).group(1) == ranked[0]  # type: ignore[union-attr]
    token = r.headers["location"].rsplit("/", 1)[1]
    r = s.client.post(
        f"/w/brand-a/imports/{token}/run",
        data={"csrf_token": s.csrf, "mapping": "generic_events"},
        follow_redirects=False,
    )
    job_url = r.headers["location"]
    state = _wait(s, job_url)
    assert state["state"] == "done", state
    (res,) = state["result"]["imports"]
    # re-importing the same rows: the good ones are duplicates now, the broken ones quarantined again
    assert res["rows_in"] == 10 == res["rows_loaded"] + res["rows_duplicate"] + res["rows_quarantined"]
    assert res["rows_loaded"] == 0 and res["rows_quarantined"] == 8
    page = s.client.get(job_url).text
    assert page.count("<tr><td>" + res["batch_id"]) == 8  # the rejected rows, listed
    csv = s.client.get(f"/w/brand-a/quarantine/{res['batch_id']}.csv")
    assert csv.status_code == 200 and csv.text.count("\n") == 9 and "_reason" in csv.text
    audit = [json.loads(x) for x in (root / ".canyu" / "audit.jsonl").read_text().splitlines()]
    assert any(e["event"] == "import" and e["detail"]["batch_id"] == res["batch_id"] for e in audit)
    assert not list((root / "brand-a" / ".tmp" / "web-uploads").iterdir())  # the upload is removed


def test_settings_are_validated_and_audited(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    s = login("analyst_a")
    form = {
        "csrf_token": s.csrf,
        "brand": "品牌甲",
        "timezone": "Asia/Shanghai",
        "currency": "yuan",
        "conversion_actions": "purchase",
        "product_name": "乌龙茶",
        "category": "tea",
        "price": "59",
        "hit_products": "oolong-250g",
        "accounts": "weibo: brand_official",
    }
    bad = s.client.post("/w/brand-a/settings", data=form)
    assert bad.status_code == 400 and "ISO 4217" in bad.text
    assert "乌龙茶" not in (root / "brand-a" / "canyu.toml").read_text(encoding="utf-8")
    for field, value in (
        ("price", "-3"),
        ("accounts", "weibo brand_official"),
        ("accounts", "nochannel: x"),
        ("timezone", "Mars/Base"),
    ):
        r = s.client.post("/w/brand-a/settings", data={**form, "currency": "CNY", field: value})
        assert r.status_code == 400, (field, value)
    ok = s.client.post("/w/brand-a/settings", data={**form, "currency": "CNY", "role.weibo": "retention"})
    assert ok.status_code == 200 and 'id="settings-saved"' in ok.text
    with canyu.open(root / "brand-a") as ws:
        assert ws.config.product.name == "乌龙茶" and ws.config.product.price == 59.0
        assert ws.config.accounts == {"weibo": ("brand_official",)}
        assert ws.config.product.roles["weibo"] == "retention"
    audit = [json.loads(x) for x in (root / ".canyu" / "audit.jsonl").read_text().splitlines()]
    change = [e for e in audit if e["event"] == "settings_change"][-1]
    assert change["user"] == "analyst_a" and "product" in change["detail"]["fields"]


def test_fix_and_reimport_rejected_rows(login, root: Path) -> None:  # type: ignore[no-untyped-def]
    """Download the rejected rows, fix two of them, upload the file as it is: the fixed rows load."""
    s = login("analyst_a")
    with canyu.open(root / "brand-a") as ws:
        imp = ws.table("imports")
        batch = ws.to_pandas(
            imp.filter((imp.rows_quarantined == 8) & imp.source.endswith("events_broken.csv")).limit(1)
        )["batch_id"][0]
        before = ws.status().rows["events"]
    csv_text = s.client.get(f"/w/brand-a/quarantine/{batch}.csv").content.decode("utf-8-sig")
    fixed = csv_text.replace(",liek,", ",like,").replace(",twitter,", ",weibo,")
    assert fixed != csv_text and "_reason" in fixed.splitlines()[0]
    r = s.client.post(
        "/w/brand-a/imports",
        data={"csrf_token": s.csrf},
        files={"file": ("fixed.csv", fixed.encode("utf-8"), "text/csv")},
        follow_redirects=False,
    )
    token = r.headers["location"].rsplit("/", 1)[1]
    r = s.client.post(
        f"/w/brand-a/imports/{token}/run",
        data={"csrf_token": s.csrf, "mapping": "generic_events"},
        follow_redirects=False,
    )
    state = _wait(s, r.headers["location"])
    assert state["state"] == "done", state
    (res,) = state["result"]["imports"]
    # 8 rejected rows came back; the 2 fixed ones load, the 6 still broken are quarantined again
    assert res["rows_in"] == 8 and res["rows_loaded"] == 2 and res["rows_quarantined"] == 6
    with canyu.open(root / "brand-a") as ws:
        assert ws.status().rows["events"] == before + 2
