"""The console's pages: the client list and, per workspace, overview, findings, plan, report
sections and analyses (with period, channel and campaign filters), imports and quarantine, the collector's
live counts, settings. Every page computes through the workspace's analysis session, the same
functions as ``canyu analyze`` and ``canyu report``, cached per data version (:mod:`._data`).

Every route here depends on :func:`canyu.web._security.csrf_guard` (unsafe methods need a session
and the CSRF token) and starts with :func:`require_role` for its workspace.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from canyu import vocab
from canyu.errors import InvalidArgumentError, UnknownNameError
from canyu.session import Period
from canyu.web._data import WorkspaceView, headline, latest_plan
from canyu.web._render import blocks_html, json_pretty, page, request_locale
from canyu.web._security import WebError, client_ip, csrf_guard, require_role, require_user

__all__ = ["Filters", "filters", "router"]

router = APIRouter(dependencies=[Depends(csrf_guard)])

_UPLOAD_DIR = ".tmp/web-uploads"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _st(request: Request) -> Any:
    return request.app.state.web


@dataclasses.dataclass(frozen=True)
class Filters:
    """The period, channels and campaigns a page is filtered on, from its query string."""

    period: Period
    channels: tuple[str, ...]
    text: str  # the period as typed
    since: str
    until: str
    campaigns: tuple[str, ...] = ()  # events.campaign_id values

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.period.start, self.period.end, self.channels, self.campaigns)

    def session(self, ws: Any) -> Any:
        s = ws.session(
            period=self.period, channels=list(self.channels) or None, campaigns=list(self.campaigns) or None
        )
        s.fit_models = False  # a page reads cached model fits only; fits run as jobs (/w/{ws}/jobs)
        return s


def _day(text: str, param: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgumentError(
            param, text, "a date YYYY-MM-DD", reason_zh=f"{param} 须为 YYYY-MM-DD 日期"
        ) from None


def filters(request: Request) -> Filters:
    q = request.query_params
    text, since, until = q.get("period", "").strip(), q.get("since", "").strip(), q.get("until", "").strip()
    period = Period.parse(text) if text else Period(_day(since, "since"), _day(until, "until"))
    chosen = tuple(sorted({c for c in q.getlist("channel") if c}))
    for c in chosen:
        if c not in vocab.CHANNELS:
            raise UnknownNameError("channel", c, tuple(vocab.CHANNELS))
    # ?campaign=a&campaign=b or ?campaign=a,b (as canyu analyze --campaigns a,b)
    campaigns = tuple(sorted({c.strip() for v in q.getlist("campaign") for c in v.split(",") if c.strip()}))
    for c in campaigns:
        if len(c) > 200:
            raise InvalidArgumentError(
                "campaign",
                c[:40] + "...",
                "a campaign id of at most 200 characters",
                reason_zh="活动编号最长 200 个字符",
            )
    return Filters(period, chosen, text, since, until, campaigns)


def _campaign_choices(ws: Any) -> dict[str, Any]:
    """The campaigns the workspace's events name: (id, name or "", events), most events first, and
    the workspace's events in all (each choice says "N of M events").

    Two queries in the engine (the campaigns table gives the names); at most 200 campaigns.
    """
    every = ws.table("events")
    total = int(ws.to_arrow(every.count().name("n").as_table()).column(0)[0].as_py())
    ev = every.filter(every.campaign_id.notnull())
    counts = ev.group_by("campaign_id").aggregate(n=ev.count())
    camps = ws.table("campaigns").select("campaign_id", "name").distinct(on="campaign_id")
    joined = counts.left_join(camps, "campaign_id").select(counts.campaign_id, camps.name, counts.n)
    rows = ws.to_arrow(joined.order_by([joined.n.desc(), joined.campaign_id]).limit(200)).to_pylist()
    return {"choices": [(r["campaign_id"], r["name"] or "", int(r["n"])) for r in rows], "events": total}


def _campaigns(request: Request, view: WorkspaceView, f: Filters) -> dict[str, Any]:
    """The filter form's campaign choices (cached per data version), the chosen ones included."""
    found = _st(request).workspaces.cached(view, ("campaign-choices",), _campaign_choices)
    known = {c for c, _, _ in found["choices"]}
    return {
        "campaign_choices": found["choices"] + [(c, "", 0) for c in f.campaigns if c not in known],
        "campaign_events": found["events"],
    }


def _common(view: WorkspaceView, role: str | None, tab: str, f: Filters | None = None) -> dict[str, Any]:
    return {"ws": view.name, "role": role, "tab": tab, "f": f}


# -- the client list ---------------------------------------------------------------------
def _summary(ws: Any) -> dict[str, Any]:
    s = ws.session()
    h = headline(s)
    found = s.findings()
    return {
        "brand": ws.config.brand,
        "headline": h,
        "findings": len(found),
        "severities": dict(Counter(x.severity for x in found)),
        "currency": ws.config.currency,
    }


@router.get("/clients")
def clients(request: Request) -> Response:
    p = require_user(request)
    st = _st(request)
    rows = []
    for name in p.workspaces(st.workspaces.names()):
        view = st.workspaces.view(name)
        if view is None:
            continue
        rows.append(
            {"name": name, "role": p.role(name), **st.workspaces.cached(view, ("summary",), _summary)}
        )
    return page(request, "clients.html", rows=rows, tab="clients")


# -- overview and findings ------------------------------------------------------------------
def _overview(f: Filters) -> Any:
    def compute(ws: Any) -> dict[str, Any]:
        s = f.session(ws)
        found = s.findings()
        status = ws.status(last_imports=5)
        return {
            "brand": ws.config.brand,
            "currency": ws.config.currency,
            "timezone": ws.config.timezone,
            "conversion_actions": ws.config.conversion_actions,
            "headline": headline(s),
            "findings": len(found),
            "severities": dict(Counter(x.severity for x in found)),
            "imports": status.imports,
            "rows": status.rows,
        }

    return compute


@router.get("/w/{ws}")
@router.get("/w/{ws}/")
def overview(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws)
    f = filters(request)
    data = _st(request).workspaces.cached(view, ("overview", *f.key), _overview(f))
    return page(
        request,
        "overview.html",
        d=data,
        **_common(view, p.role(ws), "overview", f),
        **_campaigns(request, view, f),
    )


def _findings(f: Filters) -> Any:
    return lambda ws: f.session(ws).findings()


@router.get("/w/{ws}/findings")
def findings(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws)
    f = filters(request)
    found = _st(request).workspaces.cached(view, ("findings", *f.key), _findings(f))
    return page(
        request,
        "findings.html",
        findings=found,
        **_common(view, p.role(ws), "findings", f),
        **_campaigns(request, view, f),
    )


@router.get("/w/{ws}/plan")
def plan(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws)
    found = latest_plan(view.path)
    ctx: dict[str, Any] = {"plan_file": None, "plan": None, "plan_json": "", "summary": []}
    if found is not None:
        path, content = found
        summary = []
        if isinstance(content, dict):
            for k, v in content.items():
                n = len(v) if isinstance(v, list | dict) else None
                summary.append({"key": k, "size": n, "value": None if n is not None else v})
        ctx = {"plan_file": path.name, "plan": content, "plan_json": json_pretty(content), "summary": summary}
        ctx.update(_plan_tasks_and_tracking(request, view, path))
    return page(request, "plan.html", **ctx, **_common(view, p.role(ws), "plan"))


def _plan_tasks_and_tracking(request: Request, view: WorkspaceView, path: Any) -> dict[str, Any]:
    """The plan's tasks and, on the data imported since, each KPI against its target (cached)."""
    from canyu.errors import CanyuError
    from canyu.plan.actions import load_plan, track

    locale = request_locale(request)
    try:
        plan = load_plan(path)
    except (CanyuError, KeyError, TypeError, ValueError):
        return {"tasks": [], "tracking": None, "tracking_note": None}
    tasks = [t.to_dict(locale) for t in plan.tasks]

    def compute(ws: Any) -> dict[str, Any]:
        try:
            return {"result": track(ws.session(), plan).to_dict(locale), "note": None}
        except CanyuError as exc:
            return {"result": None, "note": exc.localized(locale)}

    mtime = path.stat().st_mtime_ns
    found = _st(request).workspaces.cached(view, ("plan-track", path.name, mtime, locale), compute)
    return {"tasks": tasks, "tracking": found["result"], "tracking_note": found["note"]}


# -- report sections and analyses, live --------------------------------------------------------
def _section(name: str, f: Filters, locale: str) -> Any:
    def compute(ws: Any) -> dict[str, Any]:
        from canyu.plan import diagnose, rank_findings
        from canyu.report import ReportContext, get_section

        sec = get_section(name)
        s = f.session(ws)
        result = sec.render(ReportContext(session=s, locale=locale))
        found = rank_findings([*diagnose(s, sections=[name]), *result.findings])
        return {
            "title": result.title,
            "html": blocks_html(result.blocks, locale, prefix=name),
            "findings": found,
        }

    return compute


@router.get("/w/{ws}/report")
def report(request: Request, ws: str) -> Response:
    from canyu.report import section_names

    p, view = require_role(request, ws)
    f = filters(request)
    names = section_names()
    name = request.query_params.get("section") or names[0]
    if name not in names:
        raise UnknownNameError("report section", name, names)
    loc = request_locale(request)
    data = _st(request).workspaces.cached(view, ("section", name, loc, *f.key), _section(name, f, loc))
    reports = (
        sorted((view.path / "reports").glob("*.html"), key=lambda x: -x.stat().st_mtime)
        if (view.path / "reports").is_dir()
        else []
    )
    return page(
        request,
        "report.html",
        sections=names,
        section=name,
        data=data,
        reports=[r.name for r in reports[:10]],
        **_common(view, p.role(ws), "report", f),
        **_campaigns(request, view, f),
    )


def _analysis(name: str, params: dict[str, Any], f: Filters, locale: str) -> Any:
    def compute(ws: Any) -> Any:
        from canyu.analytics.registry import as_tables
        from canyu.report import TableBlock

        result = f.session(ws).run(name, **params)
        blocks = [
            TableBlock(frame, caption="" if key == "result" else key)
            for key, frame in as_tables(result).items()
        ]
        return blocks_html(blocks, locale, prefix=name)

    return compute


@router.get("/w/{ws}/analyze")
@router.get("/w/{ws}/analyze/{name}")
def analyze(request: Request, ws: str, name: str = "") -> Response:
    from canyu.analytics.registry import analysis_names, get_analysis

    p, view = require_role(request, ws)
    f = filters(request)
    names = analysis_names()
    name = name or names[0]
    a = get_analysis(name)
    opts = {k[4:]: v for k, v in request.query_params.items() if k.startswith("opt.") and v}
    params = a.bind(opts)
    loc = request_locale(request)
    html = _st(request).workspaces.cached(
        view, ("analysis", name, loc, tuple(sorted(params.items())), *f.key), _analysis(name, params, f, loc)
    )
    return page(
        request,
        "analyze.html",
        analyses=names,
        name=name,
        title=a.title_in(loc),
        options=a.options,
        chosen=opts,
        html=html,
        **_common(view, p.role(ws), "analyze", f),
        **_campaigns(request, view, f),
    )


@router.post("/w/{ws}/report")
async def report_job(request: Request, ws: str) -> Response:
    """Build the HTML report (:func:`canyu.report.write_report`) in the background (analysts, owners)."""
    p, view = require_role(request, ws, "analyst")
    st = _st(request)
    loc = request_locale(request)

    def run(job: Any) -> dict[str, Any]:
        import canyu
        from canyu.report import write_report

        def progress(section: str, fraction: float) -> None:
            job.step = section
            job.progress = min(0.99, max(job.progress, fraction))

        job.step = "report"
        with canyu.open(str(view.path)) as w:
            res = write_report(w, locale=loc, progress=progress)
        return {"file": res.path.name, "findings": len(res.findings), "sections": len(res.sections)}

    job = st.jobs.submit(ws, p.user, "report", run)
    st.audit.record("report", user=p.user, workspace=ws, ip=client_ip(request), job=job.job_id)
    return RedirectResponse(f"/w/{ws}/jobs/{job.job_id}", status_code=303)


def _frame_table(frame: Any) -> dict[str, Any]:
    """A small DataFrame as {"columns", "rows"} of plain values (the job's result is JSON)."""
    import json

    return {"columns": [str(c) for c in frame.columns], "rows": json.loads(frame.to_json(orient="values"))}


@router.post("/w/{ws}/fit")
async def fit_job(request: Request, ws: str) -> Response:
    """Fit the media-mix model (the ``mmm`` analysis, as ``canyu mmm DIR --target T``) in the
    background (analysts, owners). The fit is cached in the workspace (the ``mmm_fit`` derived table),
    so ``canyu budget`` and the report's spend section read it afterwards. Too little data fails the
    job with the analysis's own reason."""
    from canyu.analytics.mmm import OUTCOMES
    from canyu.errors import CanyuError

    p, view = require_role(request, ws, "analyst")
    st = _st(request)
    form = await request.form()
    target = str(form.get("target", "revenue") or "revenue")
    if target not in OUTCOMES:
        raise UnknownNameError("media-mix target", target, OUTCOMES)
    ip = client_ip(request)

    def run(job: Any) -> dict[str, Any]:
        import canyu

        job.step = "weekly frame"
        job.progress = 0.05
        with canyu.open(str(view.path)) as w:
            s = w.session()
            job.step = "mmm"
            job.progress = 0.1
            res = s.run("mmm", target=target)
            if res.fit is None:
                raise CanyuError(
                    f"no media-mix fit: {res.reason}",
                    message_zh=f"无法拟合媒体组合模型：{res.reason_zh}",
                )
            out: dict[str, Any] = {
                "target": target,
                "weeks": res.weeks,
                "need_weeks": res.need,
                "channels": list(res.channels),
                "excluded": dict(res.excluded),
                "trusted": res.trusted,
                "cached": res.cached,
                "summary": _frame_table(res.fit.summary),
            }
        st.audit.record(
            "fit", user=p.user, workspace=ws, ip=ip, job=job.job_id, target=target, weeks=res.weeks
        )
        return out

    job = st.jobs.submit(ws, p.user, "fit", run)
    st.audit.record("fit", user=p.user, workspace=ws, ip=ip, outcome="queued", job=job.job_id, target=target)
    return RedirectResponse(f"/w/{ws}/jobs/{job.job_id}", status_code=303)


@router.get("/w/{ws}/jobs")
def jobs_page(request: Request, ws: str) -> Response:
    """This workspace's background jobs (anyone with a role on it; another's jobs are not listed)."""
    from canyu.analytics.mmm import OUTCOMES

    p, view = require_role(request, ws)
    return page(
        request,
        "jobs.html",
        jobs=_st(request).jobs.of(ws)[:50],
        outcomes=OUTCOMES,
        **_common(view, p.role(ws), "jobs"),
    )


@router.get("/w/{ws}/reports/{filename}")
def report_file(request: Request, ws: str, filename: str) -> Response:
    _, view = require_role(request, ws)
    folder = view.path / "reports"
    names = {p.name for p in folder.glob("*.html")} if folder.is_dir() else set()
    if filename not in names:
        raise WebError(404, "not_found", "no such report", message_zh="没有这个报告")
    # The report inlines plotly.js and its figures' scripts: it is served as a file to save,
    # not run as a page of this site.
    return FileResponse(
        folder / filename, media_type="text/html", filename=filename, content_disposition_type="attachment"
    )


# -- imports and quarantine ----------------------------------------------------------------------
def _imports(ws: Any) -> dict[str, Any]:
    status = ws.status(last_imports=20)
    q = ws.table("quarantine")
    total = int(ws.to_pandas(q.aggregate(n=q.count()))["n"].iloc[0])
    rows = ws.to_arrow(q.order_by([q.batch_id.desc(), q.row_number]).limit(200)).to_pylist()
    return {"imports": status.imports, "quarantine": rows, "quarantined": total}


def _reason(r: dict[str, Any], loc: str) -> str:
    from canyu.ingest import quarantine_reason

    return quarantine_reason(r, loc)


@router.get("/w/{ws}/imports")
def imports(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws)
    data = _st(request).workspaces.cached(view, ("imports",), _imports)
    loc = request_locale(request)
    jobs = [j for j in _st(request).jobs.of(ws) if j.kind == "import"][:10]
    return page(
        request,
        "imports.html",
        d=data,
        reason=lambda r: _reason(r, loc),
        jobs=jobs,
        **_common(view, p.role(ws), "imports"),
    )


def _safe_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")) or "upload"
    base = re.sub(r"[^\w.\-\u4e00-\u9fff]", "_", base)[:120].lstrip(".")
    return base or "upload"


@router.post("/w/{ws}/imports")
async def upload(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws, "analyst")
    st = _st(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > st.max_upload_bytes:
        raise WebError(413, "too_large", "the file is too large", message_zh="文件过大")
    form = await request.form()
    file = form.get("file")
    if file is None or isinstance(file, str) or not file.filename:
        raise InvalidArgumentError("file", "", "a file to upload", reason_zh="请选择要上传的文件")
    token = secrets.token_urlsafe(18)
    folder = view.path / _UPLOAD_DIR / token
    folder.mkdir(parents=True, mode=0o700)
    dest = folder / _safe_filename(file.filename)
    with open(dest, "wb") as out:
        await run_in_threadpool(shutil.copyfileobj, file.file, out, 1024 * 1024)
    await run_in_threadpool(strip_review_columns, dest)  # a fixed rejected-rows file imports as it is
    st.audit.record(
        "upload", user=p.user, workspace=ws, ip=client_ip(request), file=dest.name, bytes=dest.stat().st_size
    )
    return RedirectResponse(f"/w/{ws}/imports/{token}", status_code=303)


_REVIEW_COLUMNS = ("_row", "_field", "_reason")


def strip_review_columns(path: Path) -> bool:
    """Drop the ``_row``, ``_field``, ``_reason`` columns a rejected-rows CSV carries (fix-and-reimport).

    The CSV module streams the rows unchanged, cell for cell (no type inference that could
    alter a value); only a UTF-8 CSV whose header has those columns is rewritten.
    """
    import csv

    if path.suffix.lower() != ".csv":
        return False
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        if not set(_REVIEW_COLUMNS) & set(header):
            return False
        keep = [i for i, h in enumerate(header) if h not in _REVIEW_COLUMNS]
        tmp = path.with_name(path.name + ".tmp")
        with (
            open(path, encoding="utf-8-sig", newline="") as src,
            open(tmp, "w", encoding="utf-8", newline="") as out,
        ):
            w = csv.writer(out)
            for row in csv.reader(src):
                w.writerow([row[i] if i < len(row) else "" for i in keep])
        os.replace(tmp, path)
        return True
    except UnicodeDecodeError:
        return False


def _upload_file(view: WorkspaceView, token: str) -> Path:
    folder = view.path / _UPLOAD_DIR / token
    files = [x for x in folder.iterdir() if x.is_file()] if _TOKEN_RE.match(token) and folder.is_dir() else []
    if not files:
        raise WebError(
            404,
            "not_found",
            "no such upload (it was imported or removed)",
            message_zh="没有这个上传文件（已导入或已删除）",
        )
    return files[0]


@router.get("/w/{ws}/imports/{token}")
def upload_review(request: Request, ws: str, token: str) -> Response:
    from canyu.ingest import suggest_mappings

    p, view = require_role(request, ws, "analyst")
    path = _upload_file(view, token)
    ranked = suggest_mappings(path, tmp_dir=view.path / ".tmp")
    return page(
        request,
        "upload.html",
        file=path.name,
        token=token,
        suggestions=[m for m in ranked if m.score > 0][:8],
        all_mappings=sorted(m.name for m in ranked),
        **_common(view, p.role(ws), "imports"),
    )


@router.post("/w/{ws}/imports/{token}/run")
async def upload_run(request: Request, ws: str, token: str) -> Response:
    from canyu.ingest import shipped_mappings

    p, view = require_role(request, ws, "analyst")
    st = _st(request)
    path = _upload_file(view, token)
    form = await request.form()
    mapping = str(form.get("mapping", ""))
    if mapping not in shipped_mappings():
        raise UnknownNameError("mapping", mapping, tuple(shipped_mappings()))
    ip = client_ip(request)

    def run(job: Any) -> dict[str, Any]:
        import canyu

        def progress(_: str, fraction: float) -> None:
            job.progress = min(0.99, max(job.progress, fraction))

        job.step = "import"
        try:
            with canyu.open(str(view.path)) as w:
                results = w.import_files([path], mapping=mapping, progress=progress)
        except Exception as exc:
            st.audit.record(
                "import", user=p.user, workspace=ws, ip=ip, outcome="failed", file=path.name, error=str(exc)
            )
            raise
        finally:
            shutil.rmtree(path.parent, ignore_errors=True)
        out = [dict(r.to_dict(), source=path.name) for r in results]
        for r in out:
            st.audit.record(
                "import",
                user=p.user,
                workspace=ws,
                ip=ip,
                file=path.name,
                mapping=mapping,
                batch_id=r["batch_id"],
                rows_in=r["rows_in"],
                rows_loaded=r["rows_loaded"],
                rows_duplicate=r["rows_duplicate"],
                rows_quarantined=r["rows_quarantined"],
            )
        return {"imports": out}

    job = st.jobs.submit(ws, p.user, "import", run)
    return RedirectResponse(f"/w/{ws}/jobs/{job.job_id}", status_code=303)


@router.get("/w/{ws}/quarantine/{batch_id}.csv")
def quarantine_csv(request: Request, ws: str, batch_id: str) -> Response:
    """The rejected rows of one import, as a CSV to fix and upload again."""
    import tempfile

    _, view = require_role(request, ws, "analyst")
    if not re.fullmatch(r"[\w-]{1,80}", batch_id):
        raise WebError(404, "not_found", "no such import", message_zh="没有这个导入批次")
    out = Path(
        tempfile.mkdtemp(prefix="canyu-q-", dir=view.path / ".tmp" if (view.path / ".tmp").is_dir() else None)
    )
    with view.workspace() as w:
        files = w.export_quarantine(out, batch_id=batch_id)
    if not files:
        shutil.rmtree(out, ignore_errors=True)
        raise WebError(
            404, "not_found", "this import has no rejected rows", message_zh="该批次没有被拒绝的行"
        )
    from starlette.background import BackgroundTask

    return FileResponse(
        files[0],
        media_type="text/csv",
        filename=files[0].name,
        background=BackgroundTask(shutil.rmtree, out, True),
    )


# -- jobs -------------------------------------------------------------------------------------------
def _job_rows(view: WorkspaceView, job: Any) -> list[dict[str, Any]]:
    """The rejected rows of a finished import job (first 100 per batch)."""
    out: list[dict[str, Any]] = []
    if job.kind != "import" or job.state != "done":
        return out
    with view.workspace() as w:
        for r in job.result.get("imports", []):
            if r["rows_quarantined"]:
                q = w.table("quarantine")
                out += w.to_arrow(
                    q.filter(q.batch_id == r["batch_id"]).order_by("row_number").limit(100)
                ).to_pylist()
    return out


@router.get("/w/{ws}/jobs/{job_id}")
def job_page(request: Request, ws: str, job_id: str) -> Response:
    p, view = require_role(request, ws)
    job = _st(request).jobs.get(ws, job_id)
    if job is None:
        raise WebError(404, "not_found", "no such job", message_zh="没有这个任务")
    if "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get(
        "accept", ""
    ):
        return JSONResponse(job.to_dict())
    loc = request_locale(request)
    rows = _job_rows(view, job)
    template = "job_status.html" if request.headers.get("hx-request") else "job.html"
    # htmx stops polling on status 286.
    status = 286 if request.headers.get("hx-request") and job.state in ("done", "failed") else 200
    return page(
        request,
        template,
        status=status,
        job=job,
        rejected=rows,
        reason=lambda r: _reason(r, loc),
        **_common(view, p.role(ws), {"import": "imports"}.get(job.kind, "jobs")),
    )


# -- the collector ------------------------------------------------------------------------------------
def _collector(view: WorkspaceView) -> dict[str, Any]:
    from canyu.collect import collector_counts, list_ingest_keys

    counts = collector_counts(view.path)
    return {"counts": counts, "keys": list_ingest_keys(view.path)}


@router.get("/w/{ws}/collector")
def collector(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws)
    data = _collector(view)
    template = "collector_counts.html" if request.headers.get("hx-request") else "collector.html"
    return page(request, template, d=data, **_common(view, p.role(ws), "collector"))


# -- settings -------------------------------------------------------------------------------------------
def _settings_ctx(view: WorkspaceView, cfg: Any) -> dict[str, Any]:
    accounts = "\n".join(f"{ch}: {', '.join(ids)}" for ch, ids in cfg.accounts.items())
    return {
        "cfg": cfg,
        "accounts_text": accounts,
        "topics_text": "\n".join(f"{topic}: {', '.join(seeds)}" for topic, seeds in cfg.topics.items()),
        "roles": vocab.CHANNEL_ROLES,
        "actions": tuple(vocab.ACTIONS),
        "channel_codes": tuple(vocab.CHANNELS),
    }


@router.get("/w/{ws}/settings")
def settings(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws)
    with view.workspace() as w:
        cfg = w.config
    return page(
        request,
        "settings.html",
        error=None,
        saved=False,
        **_settings_ctx(view, cfg),
        **_common(view, p.role(ws), "settings"),
    )


def _parse_accounts(text: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        ch, sep, ids = line.partition(":")
        if not sep:
            raise InvalidArgumentError(
                "accounts",
                line,
                "CHANNEL: id1, id2 (one channel a line)",
                reason_zh=f"第 {n} 行应为 渠道: 账号1, 账号2",
            )
        out[ch.strip()] = tuple(i.strip() for i in ids.split(",") if i.strip())
    return out


def _parse_topics(text: str) -> dict[str, list[str]]:
    """``TOPIC: seed, seed`` lines as the ``[topics]`` table of canyu.toml (checked by the caller)."""
    from canyu.errors import ConfigError

    out: dict[str, list[str]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        topic, sep, seeds = line.replace("：", ":").partition(":")
        topic = topic.strip()
        if not sep or not topic:
            raise ConfigError(
                f"topics: line {n} must be TOPIC: seed word, seed word (got {line.strip()!r})",
                message_zh=f"topics：第 {n} 行应为 话题: 种子词, 种子词（实际为 {line.strip()!r}）",
                path="canyu.toml",
                key="topics",
            )
        if topic in out:
            raise ConfigError(
                f"topics.{topic} is given twice (lines of one topic go on one line)",
                message_zh=f"topics.{topic} 出现了两次（同一话题的种子词请写在同一行）",
                path="canyu.toml",
                key=f"topics.{topic}",
            )
        out[topic] = [w.strip() for w in seeds.replace("，", ",").split(",") if w.strip()]
    return out


def _topics_and_words(cfg: Any, form: Any) -> dict[str, Any]:
    """``[topics]`` and ``[text] brand_words`` from the form, validated as canyu.toml is."""
    from canyu.config import parse_text_settings

    if "topics" not in form and "brand_words" not in form:
        return {}
    topics = _parse_topics(str(form.get("topics", "")))
    words = [w.strip() for w in str(form.get("brand_words", "")).replace("，", ",").split(",") if w.strip()]
    text, taxonomy = parse_text_settings(
        {"text": {"brand_words": words, "stop_words": list(cfg.text.stop_words)}, "topics": topics}
    )
    return {"text": text, "topics": taxonomy}


def _new_config(cfg: Any, form: Any) -> Any:
    def field(name: str, default: str = "") -> str:
        v = form.get(name, default)
        return str(v).strip() if isinstance(v, str) else default

    try:
        price = float(field("price", "0") or 0)
    except ValueError:
        raise InvalidArgumentError(
            "price", field("price"), "a number ≥ 0", reason_zh="价格须为不小于 0 的数字"
        ) from None
    if price < 0:
        raise InvalidArgumentError(
            "price", field("price"), "a number ≥ 0", reason_zh="价格须为不小于 0 的数字"
        )
    brand = field("brand")
    if not brand:
        raise InvalidArgumentError("brand", "", "a brand name", reason_zh="品牌名称不能为空")
    roles = {ch: str(form.get(f"role.{ch}")) for ch in vocab.CHANNELS if form.get(f"role.{ch}")}
    product = dataclasses.replace(
        cfg.product,
        name=field("product_name"),
        category=field("category"),
        price=price,
        hit_products=tuple(x.strip() for x in field("hit_products").split(",") if x.strip()),
        roles=roles or dict(cfg.product.roles),
    )
    actions = tuple(x.strip() for x in field("conversion_actions").split(",") if x.strip())
    return {
        "brand": brand,
        "timezone": field("timezone") or cfg.timezone,
        "currency": field("currency").upper() or cfg.currency,
        "conversion_actions": actions or cfg.conversion_actions,
        "product": product,
        "accounts": _parse_accounts(field("accounts")),
        **_topics_and_words(cfg, form),
    }


@router.post("/w/{ws}/settings")
async def settings_save(request: Request, ws: str) -> Response:
    from canyu.errors import CanyuError

    p, view = require_role(request, ws, "analyst")
    st = _st(request)
    form = await request.form()
    loc = request_locale(request)

    def save() -> tuple[Any, str | None, list[str]]:
        with view.workspace() as w:
            old = w.config
            try:
                changes = _new_config(old, form)
                new = w.update_config(**changes)
            except CanyuError as exc:
                return old, exc.localized(loc), []
            changed = [k for k in changes if getattr(old, k) != getattr(new, k)]
            return new, None, changed

    cfg, error, changed = await run_in_threadpool(save)
    if error is None:
        st.audit.record("settings_change", user=p.user, workspace=ws, ip=client_ip(request), fields=changed)
    return page(
        request,
        "settings.html",
        status=400 if error else 200,
        error=error,
        saved=error is None,
        **_settings_ctx(view, cfg),
        **_common(view, p.role(ws), "settings"),
    )


@router.post("/w/{ws}/forget")
async def forget(request: Request, ws: str) -> Response:
    """A data subject's forget request (owner only), run in the background and audited."""
    p, view = require_role(request, ws, "owner")
    st = _st(request)
    form = await request.form()
    who = str(form.get("user", "")).strip()
    if ":" not in who:
        raise InvalidArgumentError("user", who, "CHANNEL:ID", reason_zh="请填写 渠道:用户ID")
    ip = client_ip(request)

    def run(job: Any) -> dict[str, Any]:
        import canyu

        job.step = "forget"
        with canyu.open(str(view.path)) as w:
            res = w.forget(user=who, reason="console forget request")
        d = res.to_dict() if hasattr(res, "to_dict") else {"result": str(res)}
        st.audit.record("forget_request", user=p.user, workspace=ws, ip=ip, job=job.job_id, result=d)
        return {"forget": d}

    job = st.jobs.submit(ws, p.user, "forget", run)
    st.audit.record("forget_request", user=p.user, workspace=ws, ip=ip, outcome="queued", job=job.job_id)
    return RedirectResponse(f"/w/{ws}/jobs/{job.job_id}", status_code=303)


@router.get("/w/{ws}/audit")
def audit(request: Request, ws: str) -> Response:
    p, view = require_role(request, ws, "owner")
    entries = _st(request).audit.entries(workspace=ws, limit=200)
    return page(request, "audit.html", entries=entries, **_common(view, p.role(ws), "audit"))
