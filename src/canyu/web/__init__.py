"""The agency console: a web dashboard over every client workspace under a root.

``canyu serve ROOT`` runs :func:`create_app` with uvicorn: server-rendered pages (Jinja2, htmx
and plotly.js vendored, zh-CN and en) for the client list and each workspace's overview,
findings, plan, report sections, imports, collector and settings; accounts with Argon2 hashes,
signed session cookies, CSRF tokens, lockout and roles per workspace; a JSON API for read keys;
the live collector on the same host. See ``docs/web.md`` and ``docs/security.md``.

Examples
--------
>>> from canyu.web import create_app, serve     # doctest: +SKIP
>>> serve("clients", port=8000)                 # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from canyu.web._accounts import ROLES, AccountStore, LoginError
from canyu.web._app import create_app, error_body
from canyu.web._audit import AuditLog

__all__ = ["ROLES", "AccountStore", "AuditLog", "LoginError", "create_app", "error_body", "serve"]


def serve(
    root: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "warning",
    **options: object,
) -> None:
    """Serve the console (and the collector) for every workspace under ``root`` (blocks until stopped).

    TLS: pass ``ssl_certfile`` and ``ssl_keyfile`` (uvicorn's), and the cookies become Secure.
    """
    import uvicorn

    ssl = {k: options.pop(k) for k in ("ssl_certfile", "ssl_keyfile") if k in options}
    app = create_app(Path(root), **options)  # type: ignore[arg-type]
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, **ssl)  # type: ignore[arg-type]
