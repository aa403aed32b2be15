"""Sign-in, cookies, CSRF, lockout, rate limits, session expiry, the one error shape, the audit log."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from canyu.web import AccountStore, create_app
from canyu.web._app import route_table

from .conftest import PASSWORD, Clock, csrf_of, sign_in


def _login_post(c: TestClient, user: str, password: str) -> object:
    token = csrf_of(c.get("/login").text)
    return c.post(
        "/login", data={"user": user, "password": password, "csrf_token": token}, follow_redirects=False
    )


def test_passwords_are_argon2id_and_the_files_private(root: Path) -> None:
    import sqlite3

    con = sqlite3.connect(root / ".canyu" / "web.sqlite")
    hashes = [h for (h,) in con.execute("SELECT hash FROM users")]
    con.close()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    for name in ("web.sqlite", "secret"):
        assert stat.S_IMODE(os.stat(root / ".canyu" / name).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(root / ".canyu").st_mode) == 0o700


def test_short_passwords_and_bad_names_are_refused(tmp_path: Path) -> None:
    from canyu.errors import InvalidArgumentError

    store = AccountStore(tmp_path)
    with pytest.raises(InvalidArgumentError, match="12 to 128"):
        store.add_user("carol", "short", now=0)
    with pytest.raises(InvalidArgumentError):
        store.add_user("../etc", PASSWORD, now=0)


def test_session_cookie_flags(client: TestClient) -> None:
    r = _login_post(client, "viewer_a", PASSWORD)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "canyu_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    assert r.headers["location"] == "/clients"


def test_cookies_are_secure_over_tls(root: Path) -> None:
    with TestClient(create_app(root, collector=False), base_url="https://console.example") as c:
        r = _login_post(c, "viewer_a", PASSWORD)
        assert "Secure" in r.headers["set-cookie"]
        assert r.headers["strict-transport-security"].startswith("max-age=")


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    a = _login_post(client, "viewer_a", "wrong password here")
    b = _login_post(client, "nobody_at_all", "wrong password here")
    assert a.status_code == b.status_code == 401
    assert "wrong user name or password" in a.text or "用户名或密码错误" in a.text
    assert a.text.count('role="alert"') == b.text.count('role="alert"') == 1


def test_lockout_after_five_failures_then_it_expires(root: Path, clock: Clock) -> None:
    store = AccountStore(root)
    store.add_user("locky", PASSWORD, now=clock())
    store.grant("locky", "brand-a", "viewer")
    app = create_app(root, collector=False, clock=clock, max_failures=5, lockout_s=900, login_rate=(1000, 60))
    with TestClient(app) as c:
        for _ in range(5):
            assert _login_post(c, "locky", "not the password").status_code == 401
        r = _login_post(c, "locky", PASSWORD)  # the right password, but locked
        assert r.status_code == 401 and ("locked" in r.text or "锁定" in r.text)
        clock.now += 901
        assert _login_post(c, "locky", PASSWORD).status_code == 303
    audit = [json.loads(x) for x in (root / ".canyu" / "audit.jsonl").read_text().splitlines()]
    mine = [e["outcome"] for e in audit if e["event"] == "sign_in" and e["user"] == "locky"]
    assert mine == ["failed"] * 5 + ["locked", "ok"]
    store.remove_user("locky")


def test_login_rate_limit_per_address(root: Path) -> None:
    app = create_app(root, collector=False, login_rate=(3, 60.0))
    with TestClient(app) as c:
        for _ in range(3):
            assert _login_post(c, "viewer_a", "nope nope nope").status_code == 401
        r = _login_post(c, "viewer_a", PASSWORD)
        assert r.status_code == 429


def test_sessions_expire_when_idle_and_absolutely(root: Path, clock: Clock) -> None:
    app = create_app(root, collector=False, clock=clock, idle_s=600, absolute_s=3600, login_rate=(1000, 60))
    with TestClient(app) as c:
        sign_in(c, "viewer_a")
        assert c.get("/w/brand-a/plan").status_code == 200
        clock.now += 601  # idle too long
        r = c.get("/w/brand-a/plan", follow_redirects=False)
        assert r.status_code == 401
        r = c.get("/w/brand-a/plan", headers={"accept": "text/html"}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login?next=/w/brand-a/plan"
        sign_in(c, "viewer_a")
        for _ in range(7):  # active every 9 minutes, but past the absolute hour
            clock.now += 540
            last = c.get("/w/brand-a/plan", follow_redirects=False).status_code
        assert last == 401


def test_sign_out_ends_the_session_server_side(app, root: Path) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        s = sign_in(c, "viewer_a")
        stolen = c.cookies.get("canyu_session")
        assert c.post("/logout", data={"csrf_token": s.csrf}, follow_redirects=False).status_code == 303
    with TestClient(app, cookies={"canyu_session": stolen}) as other:
        assert other.get("/w/brand-a/plan", follow_redirects=False).status_code == 401


def test_a_forged_or_tampered_cookie_is_nobody(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        sign_in(c, "viewer_a")
        good = c.cookies.get("canyu_session")
    for bad in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "x", '"abc".def'):
        with TestClient(app, cookies={"canyu_session": bad}) as c:
            assert c.get("/w/brand-a/plan", follow_redirects=False).status_code == 401


def test_every_form_post_without_the_csrf_token_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        s = sign_in(c, "owner_a")
        posts = [p for m, p in route_table(app) if m == "POST" and p != "/login"]
        assert len(posts) >= 6
        for path in posts:
            url = path.replace("{ws}", "brand-a").replace("{token}", "A" * 24)
            r = c.post(url, data={"x": "1"}, follow_redirects=False)
            assert r.status_code == 403 and r.json()["error"]["type"] == "csrf", (path, r.status_code)
            r = c.post(url, data={"csrf_token": "forged"}, follow_redirects=False)
            assert r.status_code == 403, path
        # the same token in the header (htmx) is accepted
        r = c.post("/logout", headers={"x-csrf-token": s.csrf}, follow_redirects=False)
        assert r.status_code == 303
    with TestClient(app) as c:  # the sign-in form needs its pre-session token too
        r = c.post("/login", data={"user": "viewer_a", "password": PASSWORD}, follow_redirects=False)
        assert r.status_code == 403


def test_one_json_error_shape(client: TestClient) -> None:
    cases = [
        client.get("/no/such/page"),
        client.get("/api/w/brand-a/findings"),
        client.get("/w/brand-a"),
        client.get("/static/../../etc/passwd"),
        client.delete("/clients"),
    ]
    for r in cases:
        body = r.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"type", "message", "message_zh", "details"}, body
    assert [r.status_code for r in cases] == [404, 401, 401, 404, 405]


def test_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_open_redirects_are_refused(client: TestClient) -> None:
    r = client.get("/lang/en?next=//evil.example/x", follow_redirects=False)
    assert r.headers["location"] == "/"
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"user": "viewer_a", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/clients"


def test_read_keys_are_stored_hashed_and_revocable(root: Path) -> None:
    store = AccountStore(root)
    key = store.create_read_key("brand-b", "bi tool", now=time.time())
    assert key.startswith("cyrk_") and store.read_key_workspace(key) == "brand-b"
    assert key not in (root / ".canyu" / "web.sqlite").read_bytes().decode("latin-1")
    (rk,) = [k for k in store.read_keys("brand-b") if k.label == "bi tool"]
    store.revoke_read_key(rk.key_id, now=time.time())
    assert store.read_key_workspace(key) is None
