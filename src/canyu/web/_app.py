"""The console's FastAPI app: sign-in, the one error handler, security headers, static files.

``create_app(root)`` serves every workspace under ``root``: the pages (:mod:`canyu.web._pages`),
the JSON API (:mod:`canyu.web._api`) and, unless ``collector=False``, the live collector's
endpoints (:mod:`canyu.collect`) on the same host and port.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from canyu.errors import (
    CanyuError,
    CollectError,
    ConfigError,
    IngestError,
    InvalidArgumentError,
    MappingError,
    UnknownNameError,
    WorkspaceBusyError,
)
from canyu.web._accounts import AccountStore, LoginError
from canyu.web._audit import AuditLog
from canyu.web._data import Workspaces
from canyu.web._jobs import JobRunner
from canyu.web._render import HERE, page, plotly_bundle, request_locale
from canyu.web._security import (
    LANG_COOKIE,
    PRE_COOKIE,
    SESSION_COOKIE,
    AuthRequiredError,
    RateLimiter,
    WebError,
    client_ip,
    csrf_guard,
    is_tls,
    principal,
    safe_next,
    serializer,
)
from canyu.web._state import WebState

__all__ = ["create_app", "error_body", "handle_error"]

log = logging.getLogger("canyu.web")

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)
_STATIC = {
    "htmx.min.js": ("htmx.min.js", "text/javascript"),
    "app.js": ("app.js", "text/javascript"),
    "app.css": ("app.css", "text/css"),
}


def error_body(type: str, message: str, message_zh: str | None = None, details: Any = None) -> dict[str, Any]:
    """The one JSON error shape: ``{"error": {"type", "message", "message_zh", "details"}}``."""
    return {
        "error": {
            "type": type,
            "message": message,
            "message_zh": message_zh or message,
            "details": details or {},
        }
    }


def _classify(exc: Exception) -> tuple[int, str, str, str, dict[str, Any]]:
    """status, type, message, message_zh, details of any exception."""
    if isinstance(exc, WebError):
        return exc.status, exc.type, exc.message, exc.message_zh, {}
    if isinstance(exc, CollectError):
        return exc.status, exc.type, exc.message, exc.message_zh, {}
    if isinstance(exc, CanyuError):
        status = 400
        if isinstance(exc, UnknownNameError):
            status = 404
        elif isinstance(exc, WorkspaceBusyError):
            status = 409
        elif not isinstance(exc, InvalidArgumentError | ConfigError | MappingError | IngestError):
            status = 400
        return status, exc.error_type, exc.message, exc.message_zh, exc.details()
    if isinstance(exc, StarletteHTTPException):
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        zh = {404: "没有这个页面", 405: "不支持该请求方法"}.get(exc.status_code, str(exc.detail))
        return exc.status_code, kind, str(exc.detail), zh, {}
    if isinstance(exc, RequestValidationError):
        return 400, "malformed_request", f"the request is malformed: {exc.errors()}", "请求格式错误", {}
    return 500, "internal", "unexpected server error; it was logged", "服务器内部错误，已记录", {}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    st: WebState = request.app.state.web
    if path.startswith("/api/") or path in st.extra.get("collector_paths", ()):
        return True
    if request.headers.get("hx-request"):
        return False
    return "text/html" not in request.headers.get("accept", "")


async def handle_error(request: Request, exc: Exception) -> Response:
    """The one handler of every error: JSON for API, collector and scripts; a page for browsers."""
    status, kind, message, message_zh, details = _classify(exc)
    if status >= 500:
        log.error("canyu web: %s on %s", type(exc).__name__, request.url.path, exc_info=exc)
    if _wants_json(request):
        headers = (
            {"WWW-Authenticate": "Bearer"} if status == 401 and request.url.path.startswith("/api/") else None
        )
        return JSONResponse(
            error_body(kind, message, message_zh, details), status_code=status, headers=headers
        )
    if isinstance(exc, AuthRequiredError):
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(nxt)}", status_code=303)
    loc = request_locale(request)
    return page(
        request,
        "error.html",
        status=status,
        status_code=status,
        kind=kind,
        message=message_zh if loc.startswith("zh") else message,
    )


def _security_headers(response: Response, request: Request, st: WebState) -> None:
    h = response.headers
    h.setdefault("Content-Security-Policy", _CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not request.url.path.startswith("/static/"):
        h.setdefault("Cache-Control", "no-store")
    if is_tls(request, st.secure_cookies):
        h.setdefault("Strict-Transport-Security", "max-age=31536000")


def create_app(
    root: str | Path,
    *,
    collector: bool = True,
    secure_cookies: bool | None = None,
    clock: Callable[[], float] = time.time,
    max_failures: int = 5,
    lockout_s: float = 900.0,
    idle_s: float = 1800.0,
    absolute_s: float = 12 * 3600.0,
    login_rate: tuple[int, float] = (10, 60.0),
    collector_options: dict[str, Any] | None = None,
) -> FastAPI:
    """The agency console for every workspace under ``root``.

    Parameters
    ----------
    root
        A folder whose sub-folders are workspaces (one per client). Accounts live in
        ``root/.canyu`` (``canyu users add``).
    collector
        Also serve the live collector's endpoints (``/batch/``, ``/sa``, ...).
    secure_cookies
        Force the cookies' Secure flag on or off; default: on when the request came over TLS.
    clock
        The time source (seconds); tests move it to expire sessions and lockouts.
    max_failures, lockout_s
        Lock an account for ``lockout_s`` after this many failed sign-ins in a row.
    idle_s, absolute_s
        A session ends after this long idle, or this long after sign-in.
    login_rate
        At most this many sign-in attempts per client address per window (seconds).

    Examples
    --------
    >>> import uvicorn                                   # doctest: +SKIP
    >>> uvicorn.run(create_app("clients"), port=8000)    # doctest: +SKIP
    """
    from canyu.web import _api, _pages

    root = Path(root)
    st = WebState(
        root=root,
        accounts=AccountStore(
            root, max_failures=max_failures, lockout_s=lockout_s, idle_s=idle_s, absolute_s=absolute_s
        ),
        audit=AuditLog(root),
        workspaces=Workspaces(root),
        jobs=JobRunner(),
        login_limiter=RateLimiter(*login_rate),
        clock=clock,
        secure_cookies=secure_cookies,
    )
    collector_app = None
    if collector:
        from canyu.collect import create_collector_app

        collector_app = create_collector_app(root, **(collector_options or {}))
        st.collector = collector_app.state.collector

        def _status_auth(request: Request, workspace: str) -> bool:
            # the console's rule for the collector's status route: a signed-in user with a role there
            from canyu.web._security import principal

            who = principal(request)
            return who is not None and who.role(workspace) is not None

        st.collector.status_auth = _status_auth

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import asyncio

        if st.collector is not None:
            st.collector.start()
        try:
            yield
        finally:
            if st.collector is not None:
                await asyncio.get_running_loop().run_in_executor(None, st.collector.stop)
            st.jobs.shutdown()
            st.workspaces.close()

    app = FastAPI(title="canyu console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = st
    for kind in (Exception, StarletteHTTPException, RequestValidationError, CanyuError):
        app.add_exception_handler(kind, handle_error)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        new_pre = request.scope.get("canyu", {}).get("new_pre")
        if new_pre and not request.cookies.get(PRE_COOKIE):
            response.set_cookie(
                PRE_COOKIE, new_pre, httponly=True, samesite="lax", secure=is_tls(request, st.secure_cookies)
            )
        _security_headers(response, request, st)
        return response

    # -- sign-in, sign-out, language, static files ----------------------------------------
    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return RedirectResponse("/clients" if principal(request) else "/login", status_code=303)

    @app.get("/login", include_in_schema=False)
    async def login_form(request: Request) -> Response:
        return page(request, "login.html", next=safe_next(request.query_params.get("next")), error=None)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        await csrf_guard(request)
        form = await request.form()
        name, password = str(form.get("user", "")).strip(), str(form.get("password", ""))
        nxt = safe_next(form.get("next"))
        ip = client_ip(request)
        wait = st.login_limiter.hit(ip)
        if wait is not None:
            st.audit.record("sign_in", user=name or None, ip=ip, outcome="rate_limited")
            raise WebError(
                429,
                "rate_limited",
                f"too many sign-in attempts from this address; wait {int(wait) + 1} s",
                message_zh=f"该地址登录尝试过多，请 {int(wait) + 1} 秒后再试",
            )
        from starlette.concurrency import run_in_threadpool

        try:
            user = await run_in_threadpool(st.accounts.verify, name, password, now=st.clock())
        except LoginError as exc:
            st.audit.record("sign_in", user=name or None, ip=ip, outcome="locked" if exc.locked else "failed")
            return page(
                request, "login.html", status=401, next=nxt, error=exc.localized(request_locale(request))
            )
        sid, _ = st.accounts.create_session(user, now=st.clock())
        st.audit.record("sign_in", user=user, ip=ip)
        response = RedirectResponse(nxt if nxt != "/" else "/clients", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            serializer(st.accounts.secret).dumps(sid),
            httponly=True,
            samesite="lax",
            secure=is_tls(request, st.secure_cookies),
            max_age=int(st.accounts.absolute_s),
            path="/",
        )
        response.delete_cookie(PRE_COOKIE)
        return response

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        await csrf_guard(request)
        p = principal(request)
        if p is not None:
            st.accounts.end_session(p.session.id_hash)
            st.audit.record("sign_out", user=p.user, ip=client_ip(request))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/lang/{locale}", include_in_schema=False)
    async def language(request: Request, locale: str) -> Response:
        if locale not in ("zh-CN", "en"):
            raise UnknownNameError("locale", locale, ("zh-CN", "en"))
        response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        response.set_cookie(
            LANG_COOKIE,
            locale,
            samesite="lax",
            httponly=True,
            secure=is_tls(request, st.secure_cookies),
            max_age=365 * 86400,
        )
        return response

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name == "plotly.min.js":
            body, mime = plotly_bundle(), "text/javascript"
        elif name in _STATIC:
            file, mime = _STATIC[name]
            body = (HERE / "static" / file).read_bytes()
        else:
            raise WebError(404, "not_found", "no such file", message_zh="没有这个文件")
        return Response(body, media_type=mime, headers={"Cache-Control": "public, max-age=86400"})

    app.include_router(_pages.router)
    app.include_router(_api.router)
    if collector_app is not None:
        paths = []
        for route in collector_app.router.routes:
            if isinstance(route, Route) and route.path != "/healthz":
                app.router.routes.append(route)
                paths.append(route.path)
        st.extra["collector_paths"] = frozenset(paths)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, included routers flattened (HEAD left out).

    FastAPI keeps an included router as one lazy entry of ``app.routes``; this walks into it,
    so a security test can enumerate every route.
    """
    out: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            inner = getattr(r, "original_router", None)
            if inner is not None:
                walk(inner.routes, prefix + r.include_context.prefix)
                continue
            if not isinstance(r, Route):
                raise TypeError(f"unexpected route object {r!r}")
            out.extend((m, prefix + r.path) for m in sorted((r.methods or set()) - {"HEAD"}))

    walk(list(app.router.routes), "")
    return out
