"""Who is asking, and may they: session cookies, CSRF tokens, roles per workspace, login rate limits.

- The session cookie carries a random 256-bit session id signed with the root's secret
  (itsdangerous, HMAC-SHA1 over the value with a per-purpose salt); the server keeps the
  session (user, CSRF token, times) and ends it after an idle or absolute time, or at sign-out.
  Cookie flags: HttpOnly, SameSite=Lax, Path=/, Secure when the request came over TLS (or
  when the app was created with ``secure_cookies=True``).
- CSRF: every unsafe request (POST, PUT, PATCH, DELETE) outside the collector and the API
  carries the session's token (form field ``csrf_token`` or header ``X-CSRF-Token``); before
  sign-in, the token is an HMAC of a random pre-session cookie (the sign-in form's).
- Access: a workspace the user has no role on answers 404, exactly as one that does not exist
  (client names are not disclosed); a role too weak for the action answers 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request

from canyu.errors import CanyuError
from canyu.web._accounts import AccountStore, Session, role_allows

if TYPE_CHECKING:
    from canyu.web._data import WorkspaceView
    from canyu.web._state import WebState

__all__ = [
    "LANG_COOKIE",
    "PRE_COOKIE",
    "SESSION_COOKIE",
    "AuthRequiredError",
    "Principal",
    "RateLimiter",
    "WebError",
    "csrf_guard",
    "csrf_token",
    "principal",
    "require_role",
    "require_user",
]

SESSION_COOKIE = "canyu_session"
PRE_COOKIE = "canyu_pre"
LANG_COOKIE = "canyu_lang"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class WebError(CanyuError):
    """An HTTP refusal with its status and machine-readable type (``forbidden``, ``csrf``, ...)."""

    def __init__(self, status: int, type: str, message: str, *, message_zh: str) -> None:
        super().__init__(message, message_zh=message_zh)
        self.status = status
        self.type = type

    @property
    def error_type(self) -> str:
        return self.type


class AuthRequiredError(WebError):
    def __init__(self) -> None:
        super().__init__(401, "unauthenticated", "sign in first", message_zh="请先登录")


def not_found() -> WebError:
    return WebError(404, "not_found", "no such page or workspace", message_zh="没有这个页面或工作区")


def forbidden(needed: str) -> WebError:
    return WebError(
        403,
        "forbidden",
        f"your role on this workspace does not allow this (it needs {needed})",
        message_zh=f"你在该工作区的角色不能执行此操作（需要 {needed}）",
    )


@dataclass(frozen=True)
class Principal:
    user: str
    grants: dict[str, str]
    session: Session

    def role(self, workspace: str) -> str | None:
        return AccountStore.role_in(self.grants, workspace)

    def workspaces(self, names: list[str]) -> list[str]:
        return [n for n in names if self.role(n) is not None]


def _state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def serializer(secret: bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="canyu-session")


def principal(request: Request) -> Principal | None:
    """The signed-in user of this request (None: no, a bad or an expired session)."""
    if "principal" in request.scope.setdefault("canyu", {}):
        return request.scope["canyu"]["principal"]  # type: ignore[no-any-return]
    st = _state(request)
    found: Principal | None = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            sid = serializer(st.accounts.secret).loads(cookie)
        except BadSignature:
            sid = None
        if isinstance(sid, str):
            sess = st.accounts.session(sid, now=st.clock())
            if sess is not None:
                found = Principal(sess.user, st.accounts.grants(sess.user), sess)
    request.scope["canyu"]["principal"] = found
    return found


def require_user(request: Request) -> Principal:
    p = principal(request)
    if p is None:
        raise AuthRequiredError()
    return p


def require_role(request: Request, workspace: str, needed: str = "viewer") -> tuple[Principal, WorkspaceView]:
    """The user and the workspace view, if the user holds at least ``needed`` there."""
    p = require_user(request)
    role = p.role(workspace)
    view = _state(request).workspaces.view(workspace) if role is not None else None
    if view is None:
        raise not_found()
    if not role_allows(role, needed):
        raise forbidden(needed)
    return p, view


def _pre_token(secret: bytes, pre: str) -> str:
    return hmac.new(secret, b"csrf-pre:" + pre.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token this request's forms must carry."""
    p = principal(request)
    if p is not None:
        return p.session.csrf
    pre = request.cookies.get(PRE_COOKIE) or request.scope.setdefault("canyu", {}).get("new_pre")
    if not pre:
        pre = secrets.token_urlsafe(24)
        request.scope["canyu"]["new_pre"] = pre  # set as a cookie on the way out
    return _pre_token(_state(request).accounts.secret, pre)


async def csrf_guard(request: Request) -> None:
    """A dependency of every page route: unsafe methods need a session (but sign-in) and the token."""
    if request.method not in UNSAFE:
        return
    if request.url.path != "/login":
        require_user(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    p = principal(request)
    expected: str | None
    if p is not None:
        expected = p.session.csrf
    else:
        pre = request.cookies.get(PRE_COOKIE)
        expected = _pre_token(_state(request).accounts.secret, pre) if pre else None
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise WebError(
            403,
            "csrf",
            "the form's security token is missing or stale; reload the page and try again",
            message_zh="表单的安全令牌缺失或已过期；请刷新页面后重试",
        )


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds per key (a sliding window in memory)."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one event; None if allowed, else the seconds until the next is allowed."""
        now = self.clock()
        with self._lock:
            q = self._hits.setdefault(key, deque())
            while q and q[0] <= now - self.window_s:
                q.popleft()
            if len(q) >= self.limit:
                return max(0.0, q[0] + self.window_s - now)
            q.append(now)
            if len(self._hits) > 10_000:  # forget idle keys
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def is_tls(request: Request, forced: bool | None) -> bool:
    return forced if forced is not None else request.url.scheme == "https"


def safe_next(target: Any) -> str:
    """A local path to go back to after sign-in or a language switch (never another site)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
