"""Identity resolution: channel-scoped ids joined into one person.

identity_links (WeChat unionid, phone hash, explicit binds) are edges between
``channel:user_id`` nodes; each connected component is one person. Components
come from scipy's sparse-graph connected_components (a union-find over
millions of links in C, rather than by hand). A person's id is derived from
the smallest node of its component with the same formula a lone id uses, so
ids are deterministic, a person with no links needs no row in ``identities``,
and re-running resolution on the same links changes nothing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from canyu.store import Transaction

__all__ = ["components", "person_id", "person_id_sql", "resolve_identities"]


def person_id_sql(channel_sql: str, user_sql: str) -> str:
    """SQL for :func:`person_id`: a person's id before any link joins them to others."""
    # md5, not a keyed hash: the id is a join key, not a secret (the ids it is made from sit in the
    # same row); md5 is three times cheaper than sha256 in the ingest scan.
    return f"('P' || substr(md5({channel_sql} || ':' || {user_sql}), 1, 16))"


def person_id(channel: str, user_id: str) -> str:
    """The id of a person known only as ``channel:user_id`` (equal to the SQL of ingest)."""
    return "P" + hashlib.md5(f"{channel}:{user_id}".encode(), usedforsecurity=False).hexdigest()[:16]


def components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and their person ids for links ``a[i] -- b[i]`` (node keys as strings)."""
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    n, m = len(nodes), len(a)
    if n == 0:
        return nodes, np.array([], dtype=object)
    graph = coo_matrix((np.ones(m, dtype=np.int8), (inverse[:m], inverse[m:])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # nodes are sorted, so the first node seen per label is the component's smallest key.
    first = np.full(labels.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))
    root_keys = nodes[first[labels]]
    ids = np.array(
        ["P" + hashlib.md5(k.encode(), usedforsecurity=False).hexdigest()[:16] for k in root_keys.tolist()],
        dtype=object,
    )
    return nodes, ids


def resolve_identities(txn: Transaction) -> int:
    """Recompute ``identities`` from ``identity_links`` and fix ``events.person_id``.

    Returns the number of events whose person changed. Idempotent: a second
    call with the same links changes nothing.
    """
    links = txn.con.sql(
        f"SELECT channel_a || ':' || user_a, channel_b || ':' || user_b FROM {txn.source('identity_links')}"
    ).to_arrow_table()
    a = np.array(links.column(0).to_pylist(), dtype=object)
    b = np.array(links.column(1).to_pylist(), dtype=object)
    nodes, ids = components(a, b)
    keys = np.array(nodes.tolist(), dtype=object)
    channel, user = (
        (
            np.array([k.split(":", 1)[0] for k in keys], dtype=object),
            np.array([k.split(":", 1)[1] for k in keys], dtype=object),
        )
        if len(keys)
        else (np.array([], dtype=object), np.array([], dtype=object))
    )
    ident = pa.table(
        {
            "channel": pa.array(channel, pa.string()),
            "user_id": pa.array(user, pa.string()),
            "person_id": pa.array(ids, pa.string()),
        }
    )
    txn.con.register("_canyu_new_identities", ident)
    try:
        txn.replace("identities", "SELECT channel, user_id, person_id FROM _canyu_new_identities")
        new_pid = (
            "COALESCE((SELECT i.person_id FROM _canyu_new_identities AS i"
            " WHERE i.channel = t.channel AND i.user_id = t.user_id), "
            + person_id_sql("t.channel", "t.user_id")
            + ")"
        )
        changed = txn.update("events", {"person_id": new_pid}, f"t.person_id IS DISTINCT FROM {new_pid}")
    finally:
        txn.con.unregister("_canyu_new_identities")
    return changed
