"""Identity resolution as a store operation: links in, ``identities`` and ``events.person_id`` out.

The graph logic (connected components, person ids) is :mod:`canyu.identity`;
this module reads the links and writes the results inside a transaction.
"""

from __future__ import annotations

import numpy as np

from canyu.identity import identities_table
from canyu.store._base import Transaction

__all__ = ["person_id_sql", "resolve_identities"]


def person_id_sql(channel_sql: str, user_sql: str) -> str:
    """SQL for :func:`canyu.identity.person_id`: a person's id before any link joins them to others."""
    # md5, not a keyed hash: the id is a join key, not a secret (the ids it is made from sit in the
    # same row); md5 is three times cheaper than sha256 in the ingest scan.
    return f"('P' || substr(md5({channel_sql} || ':' || {user_sql}), 1, 16))"


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
    ident = identities_table(a, b)
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
