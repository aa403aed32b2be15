"""The live event collector: real SDKs send events, a durable spool keeps them, the importer loads them.

PostHog (v0 ``/batch/``, v1 ``/i/v1/analytics/events``), Sensors Data (``/sa``)
and canyu's native JSON are received by one FastAPI app serving every
workspace under a root; the public ingest key decides the workspace. Every
accepted batch is fsynced to the workspace's spool before the 2xx, and a
loader moves spooled batches through the importer (validation, quarantine,
accounting, dedupe by the client's event id), exactly once across kill -9.
:func:`collector_status` (also ``GET /collect/v1/status/{workspace}``) has what
the console shows: flows of the last minute and hour, the spool, the loader's
lag. See ``docs/collect.md``.

Examples
--------
>>> from canyu.collect import create_ingest_key, serve_collector   # doctest: +SKIP
>>> key = create_ingest_key("clients/brand-x", "H5 pages")         # doctest: +SKIP
>>> serve_collector("clients", port=8000)                          # doctest: +SKIP
"""

from __future__ import annotations

from canyu.collect._app import Collector, create_collector_app, error_body, serve_collector
from canyu.collect._events import CollectSettings, load_collect_settings
from canyu.collect._keys import IngestKey, create_ingest_key, list_ingest_keys, revoke_ingest_key
from canyu.collect._loader import CollectorCounts, LoadResult, collector_counts, load_spool
from canyu.collect._status import collector_status

__all__ = [
    "CollectSettings",
    "Collector",
    "CollectorCounts",
    "IngestKey",
    "LoadResult",
    "collector_counts",
    "collector_status",
    "create_collector_app",
    "create_ingest_key",
    "error_body",
    "list_ingest_keys",
    "load_collect_settings",
    "load_spool",
    "revoke_ingest_key",
    "serve_collector",
]
