"""Server-side HTML: the Jinja2 environment (autoescaped), the page helper, report blocks as HTML.

Report sections hand over blocks (text, tables, Plotly figures); tables and text are rendered
by the report's own renderer, so a number looks the same in the console and in the HTML
report. Figures are written as JSON data (``<script type="application/json">``) that
``static/app.js`` draws with the vendored plotly.js: no inline script, so the pages run under
a Content-Security-Policy of ``script-src 'self'``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from canyu.i18n import channel_label, is_zh, localize, t
from canyu.vocab import CHANNELS

if TYPE_CHECKING:
    from canyu.report import Block

__all__ = ["blocks_html", "env", "fmt_int", "page", "request_locale"]

HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def plotly_bundle() -> bytes:
    """plotly.js from the installed plotly package (the report inlines the same file)."""
    from canyu.report._charts import plotly_js

    return plotly_js().encode("utf-8")


def fmt_int(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "—"


def fmt_share(part: Any, whole: Any) -> str:
    try:
        return f"{int(part) / int(whole):.1%}" if int(whole) else "—"
    except (TypeError, ValueError):
        return "—"


@lru_cache(maxsize=1)
def env() -> jinja2.Environment:
    e = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    e.filters["int"] = fmt_int
    e.globals["share"] = fmt_share
    e.globals["channels"] = tuple(CHANNELS)
    return e


def request_locale(request: Request) -> str:
    """The page language: the language cookie, else the browser's Accept-Language, else zh-CN."""
    from canyu.web._security import LANG_COOKIE

    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("zh-CN", "en"):
        return chosen
    accept = request.headers.get("accept-language", "").lower()
    if accept.startswith("en"):
        return "en"
    return "zh-CN"


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` with what every page needs: language, messages, user, CSRF token."""
    from canyu.web._security import csrf_token, principal

    loc = request_locale(request)
    p = principal(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ctx = {
        "request": request,
        "locale": loc,
        "zh": is_zh(loc),
        "t": lambda key, **f: t(key, loc, **f),
        "text": lambda x: localize(x, loc),
        "ch": lambda code: channel_label(code, loc),
        "chs": lambda codes: ", ".join(channel_label(c, loc) for c in codes),
        "user": p.user if p else None,
        "csrf": csrf_token(request),
        "here": here,
        "ws": None,
        "role": None,
        "tab": "",
        **context,
    }
    html = env().get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status)


def _figure_html(block: Any, div_id: str, locale: str) -> str:
    from html import escape

    data = block.figure.to_json().replace("</", "<\\/")
    caption = localize(block.caption, locale)
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="chart"><div class="plotly-chart" id="{div_id}" data-figure="{div_id}-data"></div>'
        f'<script type="application/json" id="{div_id}-data">{data}</script>{cap}</figure>'
    )


def blocks_html(blocks: Sequence[Block], locale: str, *, prefix: str) -> Markup:
    """A section's blocks as HTML (escaped by the report's renderer; figures as JSON data)."""
    from canyu.report import FigureBlock
    from canyu.report._render import _block_html  # the report's own renderer: one look for both

    out = []
    for i, block in enumerate(blocks):
        div_id = f"chart-{prefix}-{i}"
        if isinstance(block, FigureBlock):
            out.append(_figure_html(block, div_id, locale))
        else:
            out.append(_block_html(block, locale, div_id=div_id))
    return Markup("\n".join(out))


def json_pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
