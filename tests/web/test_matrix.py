"""Every route × every role × a foreign workspace: every cross-workspace request is denied.

The routes are read from the app itself, so a route added later is in the matrix without anyone
writing it, and a route the matrix cannot classify fails the test until it is classified.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from canyu.web import AccountStore, create_app
from canyu.web._app import route_table

from .conftest import USERS, Signed, sign_in, wait_for

PUBLIC = {"/", "/login", "/logout", "/lang/{locale}", "/static/{name}", "/healthz"}
DENIED = (403, 404)
BRANDS = {"brand-a": "品牌甲", "brand-b": "Brand B"}


@pytest.fixture(scope="module")
def matrix_app(root: Path):  # type: ignore[no-untyped-def]
    return create_app(root, collector=True, login_rate=(10_000, 60.0))


@pytest.fixture(scope="module")
def signed(matrix_app) -> dict[str, Signed]:  # type: ignore[no-untyped-def]
    return {user: sign_in(TestClient(matrix_app), user) for user in USERS}


@pytest.fixture(scope="module")
def b_job(matrix_app) -> str:  # type: ignore[no-untyped-def]
    """A background job of brand-b (the runner's own record; what it ran does not matter here)."""
    job = matrix_app.state.web.jobs.submit(
        "brand-b", "boss", "report", lambda j: {"file": "x.html", "findings": 0}
    )
    wait_for(job, "done")
    assert job.state == "done"
    return str(job.job_id)


def routes(app: Any) -> list[tuple[str, str]]:
    found = route_table(app)
    assert len(found) == len(set(found))
    return found


def fill(path: str, ws: str, extra: dict[str, str]) -> str:
    values = {
        "ws": ws,
        "name": "activity",
        "token": "A" * 24,
        "batch_id": extra.get("batch_id", "x"),
        "job_id": extra.get("job_id", "job_0"),
        "filename": extra.get("filename", "report.html"),
        "locale": "en",
    }

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        assert key in values, f"the matrix has no value for path parameter {key!r} of {path}"
        return values[key]

    return re.sub(r"\{(\w+)(?::\w+)?\}", sub, path)


def kind(path: str, app: Any) -> str:
    if path in PUBLIC:
        return "public"
    if path in app.state.web.extra.get("collector_paths", ()):
        return "collector"
    if path == "/clients":
        return "signed-in"
    if path.startswith("/api/w/{ws}"):
        return "api"
    if path.startswith("/w/{ws}"):
        return "workspace"
    raise AssertionError(f"route {path} is not classified by the security matrix")


def send(c: TestClient, method: str, url: str, csrf: str | None = None, **kw: Any) -> Any:
    data = {"csrf_token": csrf} if csrf and method != "GET" else None
    return c.request(method, url, data=data, follow_redirects=False, **kw)


def test_every_route_is_classified(matrix_app) -> None:  # type: ignore[no-untyped-def]
    kinds = {p: kind(p, matrix_app) for _, p in routes(matrix_app)}
    assert sum(k == "workspace" for k in kinds.values()) >= 15
    assert "collector" in kinds.values() and "api" in kinds.values()


def test_every_role_is_denied_every_foreign_workspace_route(
    matrix_app,
    signed: dict[str, Signed],
    b_job: str,
    root: Path,  # type: ignore[no-untyped-def]
) -> None:
    checked = 0
    foreign = {u: ("brand-a" if ws == "brand-b" else "brand-b") for u, (ws, _) in USERS.items() if ws != "*"}
    extra = {"job_id": b_job}
    for method, path in routes(matrix_app):
        if kind(path, matrix_app) != "workspace":
            continue
        for user, other in foreign.items():
            s = signed[user]
            r = send(s.client, method, fill(path, other, extra), s.csrf)
            assert r.status_code in DENIED, f"{user} {method} {fill(path, other, extra)} -> {r.status_code}"
            assert BRANDS[other] not in r.text  # nothing of the foreign client leaks into the refusal
            checked += 1
    assert checked >= 15 * len(foreign)
    # brand-b's job is not reachable through brand-a's URL either, by brand-a's owner
    r = signed["owner_a"].client.get(f"/w/brand-a/jobs/{b_job}")
    assert r.status_code == 404


def test_unauthenticated_requests_are_denied(matrix_app, b_job: str) -> None:  # type: ignore[no-untyped-def]
    anon = TestClient(matrix_app)
    for method, path in routes(matrix_app):
        k = kind(path, matrix_app)
        if k not in ("workspace", "signed-in"):
            continue
        for ws in ("brand-a", "brand-b"):
            url = fill(path, ws, {"job_id": b_job})
            r = send(anon, method, url)
            assert r.status_code == 401 or (
                r.status_code == 303 and r.headers["location"].startswith("/login")
            ), f"anonymous {method} {url} -> {r.status_code}"
            r = send(anon, method, url, headers={"accept": "text/html"})
            assert r.status_code in (401, 303), f"anonymous browser {method} {url} -> {r.status_code}"
            if r.status_code == 303:
                assert r.headers["location"].startswith("/login?next=")


def test_the_own_workspace_is_reachable(matrix_app, signed: dict[str, Signed], b_job: str) -> None:  # type: ignore[no-untyped-def]
    """The positive control: the same requests succeed where the role allows them."""
    pages = [
        "",
        "/findings",
        "/plan",
        "/report",
        "/analyze",
        "/analyze/activity",
        "/imports",
        "/collector",
        "/settings",
        "/jobs",
    ]
    for user in ("owner_a", "analyst_a", "viewer_a"):
        for p in pages:
            r = signed[user].client.get(f"/w/brand-a{p}")
            assert r.status_code == 200, (user, p, r.status_code, r.text[:300])
    for p in pages:
        assert signed["viewer_b"].client.get(f"/w/brand-b{p}").status_code == 200
        assert signed["boss"].client.get(f"/w/brand-b{p}").status_code == 200
        assert signed["boss"].client.get(f"/w/brand-a{p}").status_code == 200
    assert signed["boss"].client.get(f"/w/brand-b/jobs/{b_job}").status_code == 200


@pytest.mark.parametrize(
    ("user", "method", "path", "status"),
    [
        ("viewer_a", "POST", "/w/brand-a/settings", 403),
        ("viewer_a", "POST", "/w/brand-a/imports", 403),
        ("viewer_a", "POST", "/w/brand-a/report", 403),
        ("viewer_a", "POST", "/w/brand-a/fit", 403),
        ("viewer_a", "GET", "/w/brand-a/audit", 403),
        ("analyst_a", "POST", "/w/brand-a/forget", 403),
        ("analyst_a", "GET", "/w/brand-a/audit", 403),
        ("owner_a", "GET", "/w/brand-a/audit", 200),
    ],
)
def test_roles_inside_the_own_workspace(
    signed: dict[str, Signed], user: str, method: str, path: str, status: int
) -> None:
    s = signed[user]
    assert send(s.client, method, path, s.csrf).status_code == status


def test_the_client_list_shows_only_granted_workspaces(signed: dict[str, Signed]) -> None:
    page = signed["viewer_a"].client.get("/clients").text
    assert 'data-workspace="brand-a"' in page and 'data-workspace="brand-b"' not in page
    page = signed["boss"].client.get("/clients").text
    assert 'data-workspace="brand-a"' in page and 'data-workspace="brand-b"' in page


def test_api_routes_take_only_their_own_read_key(matrix_app, root: Path, signed: dict[str, Signed]) -> None:  # type: ignore[no-untyped-def]
    store = AccountStore(root)
    key_a = store.create_read_key("brand-a", "test", now=time.time())
    api = [(m, p) for m, p in routes(matrix_app) if kind(p, matrix_app) == "api"]
    assert api
    anon = TestClient(matrix_app)
    for method, path in api:
        own, other = fill(path, "brand-a", {}), fill(path, "brand-b", {})
        assert send(anon, method, own).status_code == 401
        # a session cookie (even the agency owner's) opens no API route
        assert send(signed["boss"].client, method, own).status_code == 401
        assert (
            send(anon, method, own, headers={"authorization": "Bearer cyrk_" + "0" * 40}).status_code == 401
        )
        r = send(anon, method, other, headers={"authorization": f"Bearer {key_a}"})
        assert r.status_code in DENIED, (path, r.status_code)
        assert send(anon, method, own, headers={"authorization": f"Bearer {key_a}"}).status_code == 200


STATUS = "/collect/v1/status/{workspace}"


def test_collector_status_is_read_only_by_people_of_that_workspace(
    matrix_app, signed: dict[str, Signed]
) -> None:  # type: ignore[no-untyped-def]
    assert ("GET", STATUS) in routes(matrix_app)
    anon = TestClient(matrix_app)
    for ws in BRANDS:
        assert anon.get(STATUS.format(workspace=ws)).status_code in DENIED
    for user, sig in signed.items():
        for ws in BRANDS:
            r = sig.client.get(STATUS.format(workspace=ws))
            if USERS[user][0] in (ws, "*"):
                assert r.status_code == 200, (user, ws, r.status_code)
                assert {"last_minute", "last_hour"} <= set(r.json()), r.json()
            else:
                assert r.status_code in DENIED, (user, ws, r.status_code)
                assert set(r.json()) == {"error"}


def test_collector_routes_need_an_ingest_key(matrix_app, root: Path, signed: dict[str, Signed]) -> None:  # type: ignore[no-untyped-def]
    col = [(m, p) for m, p in routes(matrix_app) if kind(p, matrix_app) == "collector" and p != STATUS]
    assert len(col) >= 5
    for method, path in col:
        r = send(signed["boss"].client, method, path, json={"batch": [{"event": "x", "distinct_id": "d"}]})
        assert r.status_code in (400, 401), (method, path, r.status_code)
        assert set(r.json()) == {"error"} and {"type", "message", "message_zh"} <= set(r.json()["error"])
    for ws in ("brand-a", "brand-b"):
        spool = root / ws / ".collect" / "spool"
        assert not spool.exists() or not any(p.name.startswith("seg-") for p in spool.iterdir())
