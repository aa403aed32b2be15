"""Identity resolution: channel-scoped ids joined into one person.

identity_links (WeChat unionid, phone hash, explicit binds) are edges between
``channel:user_id`` nodes; each connected component is one person. Components
come from scipy's sparse-graph connected_components (a union-find over
millions of links in C, rather than by hand). A person's id is derived from
the smallest node of its component with the same formula a lone id uses, so
ids are deterministic, a person with no links needs no row in ``identities``,
and re-running resolution on the same links changes nothing.

This module is the graph logic only; reading links and writing identities is
a store operation (``canyu.store.resolve_identities``).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

__all__ = ["components", "identities_table", "person_id"]


def person_id(channel: str, user_id: str) -> str:
    """The id of a person known only as ``channel:user_id`` (equal to ``canyu.store.person_id_sql``)."""
    return "P" + hashlib.md5(f"{channel}:{user_id}".encode(), usedforsecurity=False).hexdigest()[:16]


def components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and their person ids for links ``a[i] -- b[i]`` (node keys as strings)."""
    nodes, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    n, m = len(nodes), len(a)
    if n == 0:
        return nodes, np.array([], dtype=object)
    # scipy is imported here, not at the top: every command imports this module, few resolve links
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

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


def identities_table(a: np.ndarray, b: np.ndarray) -> pa.Table:
    """The ``identities`` rows (channel, user_id, person_id) for links ``a[i] -- b[i]`` of ``channel:user_id`` keys."""
    nodes, ids = components(a, b)
    keys = nodes.tolist()
    return pa.table(
        {
            "channel": pa.array([k.split(":", 1)[0] for k in keys], pa.string()),
            "user_id": pa.array([k.split(":", 1)[1] for k in keys], pa.string()),
            "person_id": pa.array(ids.tolist(), pa.string()),
        }
    )
