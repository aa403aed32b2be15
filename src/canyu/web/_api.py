"""The JSON API: ``GET /api/w/{ws}/analyze/{name}`` and ``GET /api/w/{ws}/findings``.

Authenticated by a secret read key (``Authorization: Bearer cyrk_...``, ``canyu keys create WS
--kind read``) and nothing else: a session cookie opens no API route, so the API needs no CSRF
token. A key opens its own workspace only; any other answers 404, like one that does not exist.
The answer of ``analyze`` is the same document as ``canyu analyze --json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from canyu.web._pages import filters
from canyu.web._security import WebError, not_found

__all__ = ["router"]

router = APIRouter(prefix="/api")


def _key_workspace(request: Request, ws: str) -> Any:
    st = request.app.state.web
    auth = request.headers.get("authorization", "")
    scheme, _, key = auth.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise WebError(
            401,
            "unauthenticated",
            "send a read key: Authorization: Bearer cyrk_...",
            message_zh="请发送读取密钥：Authorization: Bearer cyrk_...",
        )
    opened = st.accounts.read_key_workspace(key.strip())
    if opened is None:
        raise WebError(
            401, "unauthenticated", "unknown or revoked read key", message_zh="未知或已吊销的读取密钥"
        )
    view = st.workspaces.view(ws) if opened == ws else None
    if view is None:
        raise not_found()
    return view


@router.get("/w/{ws}/analyze/{name}")
def api_analyze(request: Request, ws: str, name: str) -> JSONResponse:
    from canyu.analytics.registry import get_analysis, to_jsonable

    view = _key_workspace(request, ws)
    a = get_analysis(name)
    f = filters(request)
    opts = {k[4:]: v for k, v in request.query_params.items() if k.startswith("opt.") and v}
    params = a.bind(opts)
    locale = request.query_params.get("locale", "en")
    if locale not in ("en", "zh-CN"):
        locale = "en"

    def compute(w: Any) -> Any:
        result = f.session(w).run(name, **params)
        return {"analysis": name, "period": f.period.to_dict(), "result": to_jsonable(result, locale=locale)}

    doc = request.app.state.web.workspaces.cached(
        view, ("api", name, locale, tuple(sorted(params.items())), *f.key), compute
    )
    return JSONResponse(doc)


@router.get("/w/{ws}/findings")
def api_findings(request: Request, ws: str) -> JSONResponse:
    view = _key_workspace(request, ws)
    f = filters(request)
    locale = request.query_params.get("locale", "en")
    if locale not in ("en", "zh-CN"):
        locale = "en"
    found = request.app.state.web.workspaces.cached(
        view, ("findings", *f.key), lambda w: f.session(w).findings()
    )
    return JSONResponse({"period": f.period.to_dict(), "findings": [x.to_dict(locale) for x in found]})
