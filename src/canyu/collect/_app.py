"""The collector's HTTP server: FastAPI routes for each wire format, one error shape, a loader thread.

Every request: read the body (bounded) -> decode its wire format and check its
shape -> find the workspace from the ingest key (unknown key: 401, nothing
written) -> append the body as received to that workspace's spool and wait
for the fsync (group commit) -> 2xx. Records become rows in the loader. A malformed body gets a 400 with the
reason and, when its key is known, is kept in ``.collect/rejected/`` (the loader copies it into
the store's ``quarantine``, with its reason in zh-CN and en). A
background thread seals the open segments every ``load_interval`` seconds and
has a loader process load them (:func:`canyu.collect.load_spool`).

Endpoints::

    POST /batch/  /capture/  /e/  /i/v0/e/  /track/     PostHog v0 (200 {"status": 1})
    POST /i/v1/analytics/events                          PostHog v1 (200 {"results": {uuid: {"result": "ok"}}})
    POST|GET /sa  /sa.gif                                Sensors Data (200, empty body)
    POST /collect/v1/events                              canyu native (200 {"accepted": n})
    GET  /collect/v1/status/{workspace}                  the workspace's collector_status (loopback only,
                                                         unless Collector.status_auth says otherwise)
    GET  /healthz

Errors are always ``{"error": {"type", "message", "message_zh"}}`` with the status
the SDKs act on: 400 malformed (final), 401 unknown key (final), 413 too large,
415 unknown encoding, 503 spool unavailable (PostHog retries 5xx).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import json
import logging
import multiprocessing
import multiprocessing.process
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from canyu.collect._keys import KeyIndex, KeyMatch
from canyu.collect._loader import load_spool, unstored_rejected
from canyu.collect._spool import SpoolWriter, sealed_segments, write_rejected
from canyu.collect._status import LiveCounts, collector_status
from canyu.collect._wire import (
    MAX_BODY_BYTES,
    Decoded,
    decode_native,
    decode_posthog_v0,
    decode_posthog_v1,
    decode_sensors,
)
from canyu.errors import CanyuError, CollectError
from canyu.privacy import mask_phones

__all__ = ["Collector", "create_collector_app", "error_body", "serve_collector"]

log = logging.getLogger("canyu.collect")

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def error_body(type: str, message: str, message_zh: str | None = None) -> dict[str, Any]:
    """The one JSON error shape: ``{"error": {"type", "message", "message_zh"}}``."""
    return {"error": {"type": type, "message": message, "message_zh": message_zh or message}}


def _unknown_key(key: str | None) -> CollectError:
    shown = f"{key[:9]}..." if key else "none"
    return CollectError(
        f"unknown or revoked ingest key ({shown}); create one with: canyu keys create WORKSPACE --kind ingest",
        message_zh=f"未知或已吊销的采集密钥（{shown}）；请用 canyu keys create WORKSPACE --kind ingest 创建",
        status=401,
        type="unknown_key",
    )


@dataclass
class _WorkspaceState:
    path: Path
    writer: SpoolWriter
    live: LiveCounts
    accepted: int = 0
    rejected: int = 0


class Collector:
    """The collector's state: key index, one spool writer per workspace, the loader thread.

    Parameters
    ----------
    root
        A folder whose sub-folders are workspaces (one per client).
    load_interval
        Seconds between loader runs; None: no loader thread (call
        :func:`canyu.collect.load_spool` yourself).
    segment_bytes
        Size at which a spool segment is sealed.
    load_on_shutdown
        Load what is spooled when the server stops.
    load_records
        At most this many records per import call (a backlog takes several).
    loader_process
        Load in a child process (the default: mapping and importing then use
        another core than the HTTP server) or in the loader thread.
    """

    def __init__(
        self,
        root: Path,
        *,
        load_interval: float | None = 1.0,
        segment_bytes: int = 16 * 1024 * 1024,
        load_on_shutdown: bool = True,
        load_records: int = 500_000,
        loader_process: bool = True,
    ) -> None:
        self.root = Path(root)
        self.load_records = load_records
        self.keys = KeyIndex(self.root)
        self.load_interval = load_interval
        self.segment_bytes = segment_bytes
        self.load_on_shutdown = load_on_shutdown
        self._states: dict[Path, _WorkspaceState] = {}
        self._states_lock = threading.Lock()
        self._stop = threading.Event()
        self._loader: threading.Thread | None = None
        self.loader_process = loader_process
        self._child: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._heartbeat: threading.Thread | None = None
        self.heartbeat_s = 1.0
        #: Who may read ``GET /collect/v1/status/{workspace}``: ``fn(request, workspace_name) -> bool``.
        #: None (a standalone collector): clients on the loopback interface only. The console sets its
        #: own (signed-in users with a role on the workspace, or its read keys).
        self.status_auth: Callable[[Request, str], bool] | None = None

    # -- workspaces ----------------------------------------------------------
    def state(self, workspace: Path) -> _WorkspaceState:
        st = self._states.get(workspace)
        if st is not None:
            return st
        with self._states_lock:
            st = self._states.get(workspace)
            if st is None:
                st = _WorkspaceState(
                    path=workspace,
                    writer=SpoolWriter(workspace, segment_bytes=self.segment_bytes),
                    live=LiveCounts(workspace),
                )
                self._states[workspace] = st
        return st

    async def accept(self, match: KeyMatch, fmt: str, decoded: Decoded) -> int:
        """Spool a decoded request as received; returns its record count once the batch is durable.

        The request path only decodes and checks the body (C-speed JSON);
        mapping records to rows happens in the loader, off the request path.
        """
        st = self.state(match.workspace)
        header = json.dumps(
            {
                "fmt": fmt,
                "key_id": match.key.key_id,
                "channel": match.key.channel,
                "received": dt.datetime.now(dt.UTC).isoformat(),
            },
            separators=(",", ":"),
        ).encode("utf-8")
        n = len(decoded.records)
        try:
            await asyncio.wrap_future(st.writer.submit(header + b"\n" + decoded.raw, n))
        except OSError as exc:
            st.live.add(requests=1, received=n, failed=n)
            raise CollectError(
                f"the spool could not be written ({exc}); retry later",
                message_zh=f"无法写入缓冲区（{exc}），请稍后重试",
                status=503,
                type="spool_unavailable",
            ) from exc
        st.accepted += n
        st.live.add(requests=1, received=n, acknowledged=n)
        return n

    def reject(self, workspace: Path, request: Request, body: bytes, err: CollectError) -> None:
        """Keep a refused body (identifiers masked) for the workspace's quarantine view."""
        text: str | None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        record = {
            "received": dt.datetime.now(dt.UTC).isoformat(),
            "path": request.url.path,
            "type": err.type,
            "reason": err.message,
            "reason_zh": err.message_zh,
            "content_type": request.headers.get("content-type"),
            "content_encoding": request.headers.get("content-encoding"),
            "user_agent": request.headers.get("user-agent"),
            "bytes": len(body),
        }
        if text is not None:
            record["body"] = _EMAIL_RE.sub("<email>", mask_phones(text[:1_000_000]))
        else:
            record["body_base64"] = base64.b64encode(body[:1_000_000]).decode("ascii")
        st = self.state(workspace)
        st.rejected += 1
        st.live.add(requests=1, rejected=1)
        write_rejected(workspace, record)

    # -- loader ----------------------------------------------------------------
    def load_once(self) -> None:
        """Seal every open segment and load every workspace with something spooled."""
        for st in list(self._states.values()):
            try:
                if st.writer.pending_open_records:
                    st.writer.seal().result(timeout=30)
                if sealed_segments(st.path) or unstored_rejected(st.path):
                    self._load(st.path)
            except (CanyuError, OSError, TimeoutError, EOFError) as exc:
                log.warning("collector: loading %s failed, will retry: %s", st.path, exc)

    def _spawn(self) -> None:
        """Start the loader process if it is not running (its imports take seconds: done ahead of need)."""
        if self._child is None or not self._child.is_alive():
            ctx = multiprocessing.get_context("spawn")
            self._conn, child_conn = ctx.Pipe()
            self._child = ctx.Process(
                target=_loader_main, args=(child_conn,), name="canyu-collect-loader", daemon=True
            )
            self._child.start()
            child_conn.close()

    def _load(self, workspace: Path) -> None:
        """Run :func:`load_spool` in the loader process (its own interpreter: a second core, no GIL shared)."""
        if not self.loader_process:
            load_spool(workspace, max_records=self.load_records)
            return
        self._spawn()
        assert self._conn is not None
        self._conn.send((str(workspace), self.load_records))
        error = self._conn.recv()
        if error:
            log.warning("collector: loading %s failed, will retry: %s", workspace, error)

    def _loader_loop(self) -> None:
        """Start a load every ``load_interval`` s; one that took longer is followed at once by the next
        (a backlog is drained back to back, so ack -> queryable is about one load's time)."""
        assert self.load_interval is not None
        wait = self.load_interval
        while not self._stop.wait(wait):
            started = time.monotonic()
            self.load_once()
            wait = max(0.0, self.load_interval - (time.monotonic() - started))

    def write_live(self) -> None:
        """Write every workspace's ``live.json`` (the status other processes read)."""
        for st in list(self._states.values()):
            try:
                st.live.write()
            except OSError as exc:
                log.warning("collector: cannot write the live counts of %s: %s", st.path, exc)

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            self.write_live()

    def workspace_named(self, name: str) -> Path | None:
        """The workspace folder ``name`` directly under the root (None when there is none)."""
        return next((p for p in self.keys.workspaces() if p.name == name), None)

    def status(self, workspace: Path) -> dict[str, Any]:
        """:func:`canyu.collect.collector_status` of a workspace, with this server's own (fresher) counts."""
        st = self._states.get(workspace)
        return collector_status(workspace, live=st.live.snapshot() if st is not None else None)

    def start(self) -> None:
        """Recover every workspace that has spooled batches (a previous run's), then start the loader."""
        for ws in self.keys.workspaces():
            spool = ws / ".collect" / "spool"
            if spool.exists() and any(p.name.startswith("seg-") for p in spool.iterdir()):
                self.state(ws)  # seals what a killed writer left open; the loader takes it from there
        if self.load_interval is not None and self.loader_process:
            self._spawn()
        if self.load_interval is not None and self._loader is None:
            self._loader = threading.Thread(target=self._loader_loop, name="collect-loader", daemon=True)
            self._loader.start()
        if self._heartbeat is None:
            self._heartbeat = threading.Thread(target=self._heartbeat_loop, name="collect-live", daemon=True)
            self._heartbeat.start()

    def stop(self) -> None:
        self._stop.set()
        if self._loader is not None:
            self._loader.join(timeout=60)
            self._loader = None
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=10)
            self._heartbeat = None
        if self.load_on_shutdown:
            # the last load in this process unless a warm loader process is there (starting one costs seconds)
            self.loader_process = self.loader_process and self._child is not None and self._child.is_alive()
            self.load_once()
        self.write_live()
        for st in self._states.values():
            st.writer.close()
        self._states.clear()
        if self._child is not None:
            assert self._conn is not None
            self._conn.close()  # the child exits at EOF
            self._child.join(timeout=30)
            self._child = None

    def live_counts(self) -> dict[str, dict[str, int]]:
        """Requests this process accepted and refused since it started, per workspace."""
        return {str(p): {"accepted": s.accepted, "rejected": s.rejected} for p, s in self._states.items()}


def _loader_main(conn: Connection, idle_close_s: float = 3.0) -> None:
    """The loader process: load the workspaces it is sent until the server closes the pipe (or dies).

    A workspace stays open while batches keep coming (opening the store costs
    more than a small import) and is closed once idle for ``idle_close_s``, so
    other processes can open it between bursts.
    """
    import canyu

    opened: dict[str, tuple[Any, float]] = {}
    try:
        while True:
            if not conn.poll(0.5):
                now = time.monotonic()
                for path, (ws, used) in list(opened.items()):
                    if now - used > idle_close_s:
                        ws.close()
                        del opened[path]
                continue
            try:
                workspace, max_records = conn.recv()
            except (EOFError, OSError):
                return
            try:
                if workspace not in opened:
                    opened[workspace] = (canyu.open(workspace), time.monotonic())
                load_spool(workspace, max_records=max_records, opened=opened[workspace][0])
                opened[workspace] = (opened[workspace][0], time.monotonic())
            except Exception as exc:  # reported to the server, which retries on its next cycle
                if workspace in opened:
                    opened.pop(workspace)[0].close()
                conn.send(f"{type(exc).__name__}: {exc}")
            else:
                conn.send("")
    finally:
        for ws, _ in opened.values():
            ws.close()


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _local_request(request: Request) -> bool:
    """A client on this host's loopback interface, not relayed by a proxy (which adds a forwarding header)."""
    host = request.client.host if request.client else ""
    relayed = any(h in request.headers for h in ("x-forwarded-for", "forwarded", "x-real-ip"))
    return host in ("127.0.0.1", "::1") and not relayed


def _too_large() -> CollectError:
    return CollectError(
        f"the body is larger than {MAX_BODY_BYTES} bytes",
        message_zh=f"请求体超过 {MAX_BODY_BYTES} 字节",
        status=413,
        type="body_too_large",
    )


def create_collector_app(
    root: Path,
    *,
    load_interval: float | None = 1.0,
    segment_bytes: int = 16 * 1024 * 1024,
    load_on_shutdown: bool = True,
    load_records: int = 500_000,
    status_auth: Callable[[Request, str], bool] | None = None,
) -> FastAPI:
    """The collector for every workspace under ``root`` (see the module docstring for the endpoints).

    The ingest key decides the workspace; a key of one workspace can never
    write to another. ``app.state.collector`` is the :class:`Collector`.

    Examples
    --------
    >>> import uvicorn                                           # doctest: +SKIP
    >>> uvicorn.run(create_collector_app(Path("clients")), port=8000)  # doctest: +SKIP
    """
    collector = Collector(
        Path(root),
        load_interval=load_interval,
        segment_bytes=segment_bytes,
        load_on_shutdown=load_on_shutdown,
        load_records=load_records,
    )
    collector.status_auth = status_auth

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        collector.start()
        try:
            yield
        finally:
            await asyncio.get_running_loop().run_in_executor(None, collector.stop)

    app = FastAPI(title="canyu collector", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.collector = collector

    @app.exception_handler(CollectError)
    async def _collect_error(request: Request, exc: CollectError) -> JSONResponse:
        return JSONResponse(error_body(exc.type, exc.message, exc.message_zh), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(kind, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("malformed_request", str(exc.errors())), status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("collector: unexpected error on %s", request.url.path)
        return JSONResponse(error_body("internal", "unexpected server error; retry later"), status_code=500)

    async def handle(
        request: Request, fmt: str, decode: Callable[[bytes, Request], Decoded], sensors: bool = False
    ) -> tuple[Decoded, int]:
        body = await _read_body(request)
        try:
            decoded = decode(body, request)
        except CollectError as exc:
            named = collector.keys.lookup(exc.ingest_key) or (
                collector.keys.lookup_project(exc.ingest_key) if sensors else None
            )
            if exc.status == 400 and named is not None:
                await asyncio.get_running_loop().run_in_executor(
                    None, collector.reject, named.workspace, request, body, exc
                )
            raise
        match = collector.keys.lookup(decoded.key)
        if match is None and sensors and decoded.key is None:
            match = collector.keys.lookup_project(decoded.project)
        if match is None:
            raise _unknown_key(decoded.key or decoded.project)
        return decoded, await collector.accept(match, fmt, decoded)

    def _v0(body: bytes, request: Request) -> Decoded:
        return decode_posthog_v0(body, request.headers, request.query_params)

    async def posthog_v0(request: Request) -> JSONResponse:
        await handle(request, "posthog", _v0)
        return JSONResponse({"status": 1})

    for path in (
        "/batch",
        "/batch/",
        "/capture",
        "/capture/",
        "/e",
        "/e/",
        "/i/v0/e",
        "/i/v0/e/",
        "/track",
        "/track/",
    ):
        app.add_api_route(path, posthog_v0, methods=["POST"], include_in_schema=False)

    @app.post("/i/v1/analytics/events")
    async def posthog_v1(request: Request) -> JSONResponse:
        decoded, _ = await handle(request, "posthog", lambda b, r: decode_posthog_v1(b, r.headers))
        results = {str(e["uuid"]): {"result": "ok"} for e in decoded.records if e.get("uuid")}
        return JSONResponse({"results": results})

    async def sensors(request: Request) -> Response:
        await handle(
            request, "sensors", lambda b, r: decode_sensors(b, r.headers, r.query_params), sensors=True
        )
        return Response(status_code=200)

    for path in ("/sa", "/sa.gif"):
        app.add_api_route(path, sensors, methods=["GET", "POST"], include_in_schema=False)

    @app.post("/collect/v1/events")
    async def native(request: Request) -> JSONResponse:
        _, n = await handle(request, "native", lambda b, r: decode_native(b, r.headers))
        return JSONResponse({"accepted": n})

    @app.get("/collect/v1/status/{workspace}")
    async def status(request: Request, workspace: str) -> JSONResponse:
        """The workspace's :func:`canyu.collect.collector_status` (who may read it: ``Collector.status_auth``)."""
        auth = collector.status_auth
        if not (auth(request, workspace) if auth is not None else _local_request(request)):
            raise CollectError(
                "not allowed to read this workspace's collector status",
                message_zh="无权查看此工作区的采集状态",
                status=403,
                type="forbidden",
            )
        path = collector.workspace_named(workspace)
        if path is None:
            raise CollectError(
                f"no workspace {workspace!r} under the collector's root",
                message_zh=f"采集服务的根目录下没有工作区 {workspace!r}",
                status=404,
                type="not_found",
            )
        return JSONResponse(await asyncio.get_running_loop().run_in_executor(None, collector.status, path))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def serve_collector(
    root: str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    load_interval: float = 1.0,
    segment_bytes: int = 16 * 1024 * 1024,
    load_records: int = 500_000,
    log_level: str = "warning",
) -> None:
    """Serve the collector for every workspace under ``root`` with uvicorn (blocks until stopped)."""
    import uvicorn

    app = create_collector_app(
        Path(root), load_interval=load_interval, segment_bytes=segment_bytes, load_records=load_records
    )
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
