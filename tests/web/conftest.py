"""A console root of two client workspaces, users of every role, and signed-in test clients."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import canyu
from canyu.web import AccountStore, create_app

DATA = Path(__file__).parents[1] / "data"
PASSWORD = "correct horse battery staple"

#: user -> (workspace, role); "boss" is the agency owner of every workspace.
USERS = {
    "boss": ("*", "owner"),
    "owner_a": ("brand-a", "owner"),
    "analyst_a": ("brand-a", "analyst"),
    "viewer_a": ("brand-a", "viewer"),
    "viewer_b": ("brand-b", "viewer"),
}


@pytest.fixture(scope="session")
def web_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("web-home")


@pytest.fixture(autouse=True)
def canyu_home(web_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One CANYU_HOME for the whole session: the module's workspaces keep their hashing keys."""
    monkeypatch.setenv("CANYU_HOME", str(web_home))
    monkeypatch.delenv("CANYU_HMAC_KEY", raising=False)
    monkeypatch.setenv("CANYU_LOCALE", "en")
    return web_home


def make_root(base: Path, home: Path) -> Path:
    """brand-a (events, broken events, notes) and brand-b (events), with every user of USERS."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(home))
        with canyu.create(base / "brand-a", brand="品牌甲", locale="zh-CN") as ws:
            ws.import_files([DATA / "events_basic.csv"], mapping="generic_events")
            ws.import_files([DATA / "events_broken.csv"], mapping="generic_events")
            ws.import_files([DATA / "xhs_notes.xlsx"], table="content_stats", mapping="xiaohongshu_notes")
        with canyu.create(base / "brand-b", brand="Brand B", locale="en") as ws:
            ws.import_files([DATA / "events_basic.csv"], mapping="generic_events")
    add_users(base, USERS)
    return base


def add_users(base: Path, users: dict[str, tuple[str, str]]) -> None:
    """Each user with PASSWORD and its (workspace, role) grant, in the console's account store."""
    store = AccountStore(base)
    for user, (workspace, role) in users.items():
        store.add_user(user, PASSWORD, now=time.time())
        store.grant(user, workspace, role)


def wait_for(job: Any, state: str) -> None:
    """Poll a background job (the runner's own record) for up to 2 s until it reaches ``state``."""
    for _ in range(100):
        if job.state == state:
            return
        time.sleep(0.02)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory, web_home: Path) -> Path:
    return make_root(tmp_path_factory.mktemp("clients"), web_home)


class Clock:
    """A clock the test moves (sessions and lockouts expire on it)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Signed:
    client: TestClient
    user: str
    csrf: str


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, user: str, password: str = PASSWORD) -> Signed:
    r = client.get("/login")
    token = csrf_of(r.text)
    r = client.post(
        "/login",
        data={"user": user, "password": password, "csrf_token": token, "next": "/clients"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    ws = USERS[user][0] if user in USERS else None
    cheap = "/clients" if ws is None else f"/w/{'brand-a' if ws == '*' else ws}/plan"
    page = client.get(cheap, headers={"accept": "text/html"})
    assert page.status_code == 200
    return Signed(client, user, csrf_of(page.text))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(root: Path, clock: Clock):  # type: ignore[no-untyped-def]
    return create_app(root, collector=False, clock=clock, login_rate=(1000, 60.0))


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture
def login(app):  # type: ignore[no-untyped-def]
    """``login(user)`` -> a new client signed in as ``user``."""
    made: list[TestClient] = []

    def _login(user: str) -> Signed:
        c = TestClient(app)
        made.append(c)
        return sign_in(c, user)

    yield _login
    for c in made:
        c.close()
