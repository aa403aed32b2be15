"""Forgetting a person (PIPL) as a store operation: every row of theirs, in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from canyu.errors import PrivacyError
from canyu.store._base import Transaction
from canyu.store._identity import resolve_identities
from canyu.store._sql import literal, values_list

__all__ = ["ForgetResult", "forget_person"]


@dataclass(frozen=True)
class ForgetResult:
    """What a forget request removed, per table (also recorded in ``deletions``)."""

    deletion_id: str
    person_id: str
    ids: tuple[str, ...]
    rows_deleted: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {
            "deletion_id": self.deletion_id,
            "person_id": self.person_id,
            "ids": list(self.ids),
            "rows_deleted": dict(self.rows_deleted),
        }


def forget_person(txn: Transaction, person: str, *, reason: str = "data subject request") -> ForgetResult:
    """Delete every row of ``person`` from every table, and record the deletion.

    The person's channel-scoped ids are those linked to it in ``identities``
    plus those its events carry. Rows deleted: their events, identity rows and
    links, follow edges in either direction, and quarantined rows naming one of
    their ids; other people's share events that name them as the sharer keep
    the event but lose the reference (``parent_user_id`` set to NULL).
    """
    pid = literal(person)
    ids = txn.con.execute(
        f"SELECT DISTINCT channel, user_id FROM {txn.source('identities')} WHERE person_id = {pid}"
        f" UNION SELECT DISTINCT channel, user_id FROM {txn.source('events')} WHERE person_id = {pid}"
    ).fetchall()
    if not ids:
        raise PrivacyError(f"no rows belong to person {person!r}", message_zh=f"没有属于 {person!r} 的数据")
    keys = sorted(f"{c}:{u}" for c, u in ids)
    ident_row = txn.con.execute(
        f"SELECT count(*) FROM {txn.source('identities')} WHERE person_id = {pid}"
    ).fetchall()[0]
    key_list = ", ".join(literal(k) for k in keys)
    deleted: dict[str, int] = {}
    deleted["events"] = txn.delete_where("events", f"person_id = {pid}")
    deleted["events (sharer reference removed)"] = txn.update(
        "events", {"parent_user_id": "NULL"}, f"t.channel || ':' || t.parent_user_id IN ({key_list})"
    )
    deleted["identity_links"] = txn.delete_where(
        "identity_links",
        f"channel_a || ':' || user_a IN ({key_list}) OR channel_b || ':' || user_b IN ({key_list})",
    )
    deleted["follows"] = txn.delete_where(
        "follows",
        f"channel || ':' || follower_id IN ({key_list}) OR channel || ':' || followee_id IN ({key_list})",
    )
    deleted["quarantine"] = txn.delete_where("quarantine", f"user_key IN ({key_list})")
    resolve_identities(txn)  # the person's links are gone: their identities rows go with them
    deleted["identities"] = int(ident_row[0]) if ident_row else 0
    deletion_id = uuid.uuid4().hex
    requested = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [(deletion_id, person, requested, t, n, reason) for t, n in deleted.items()]
    txn.append(
        "deletions",
        "SELECT deletion_id, person_id, requested, table_name, rows_deleted::BIGINT AS rows_deleted, reason FROM (VALUES "
        + values_list(rows)
        + ") AS d(deletion_id, person_id, requested, table_name, rows_deleted, reason)",
    )
    return ForgetResult(deletion_id, person, tuple(keys), deleted)
