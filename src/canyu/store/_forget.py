"""Forgetting a person (PIPL) as a store operation: every row of theirs, in one transaction.

What it removes: the person's events, identity rows and links, follow edges in either
direction, quarantined rows that name one of their ids (whatever channel label the raw row
used: 微博, 公众号 ... are read as their codes; a broken row with no parsed id is matched by the
id appearing in its raw text), rows of any other table that carries ``channel`` + ``user_id`` or
``person_id`` (tables added later, such as mentions), and rows of derived tables
(``Store.write_derived``) that name the person. Other people's shares that name them as the
sharer keep the event and lose the reference. The deletion record counts what each table lost.

Then it keeps the forgotten ids as keyed hashes in ``suppressions`` so that importing the same
export again skips their rows (the importer counts them as ``suppressed``). Making the bytes
leave the disk is the engine's part (``DuckDBStore.compact``), run after the commit.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field

import pyarrow as pa

from canyu import vocab
from canyu.errors import PrivacyError
from canyu.privacy import hash_identifier
from canyu.store._base import Transaction
from canyu.store._identity import resolve_identities
from canyu.store._schema import TABLES
from canyu.store._sql import literal, values_list

__all__ = ["ForgetResult", "forget_person"]

# Tables forget handles by name (the rest are searched for channel + user_id / person_id columns).
_HANDLED = frozenset(
    {"events", "identity_links", "follows", "quarantine", "identities", "deletions", "suppressions"}
)


@dataclass(frozen=True)
class ForgetResult:
    """What a forget request removed, per table (also recorded in ``deletions``)."""

    deletion_id: str
    person_id: str
    ids: tuple[str, ...]
    rows_deleted: dict[str, int]
    suppressed: int = 0  # ids added to the suppression list
    dry_run: bool = False
    compacted: bool = False  # the store's files were rewritten so the deleted bytes are gone
    reports: tuple[str, ...] = field(default=())  # reports written before that mention the person
    exports_cleaned: tuple[str, ...] = field(default=())  # quarantine exports rewritten without them

    def to_dict(self) -> dict[str, object]:
        return {
            "deletion_id": self.deletion_id,
            "person_id": self.person_id,
            "ids": list(self.ids),
            "rows_deleted": dict(self.rows_deleted),
            "suppressed": self.suppressed,
            "dry_run": self.dry_run,
            "compacted": self.compacted,
            "reports": list(self.reports),
            "exports_cleaned": list(self.exports_cleaned),
        }


def _label_table() -> pa.Table:
    """Every channel label (normalized) -> its code, for quarantined rows that kept the raw label."""
    labels: dict[str, str] = {}
    for label, code in {**dict(vocab.CHANNEL_LABELS), **{v: k for k, v in vocab.CHANNELS.items()}}.items():
        labels[vocab.normalize_label(label)] = code
    for code in vocab.CHANNELS:
        labels[vocab.normalize_label(code)] = code
    return pa.table({"label": list(labels), "code": list(labels.values())})


def _quarantine_condition(keys: list[str]) -> str:
    """Quarantined rows of the person: by their user key (label read as code), or by raw text."""
    key_list = ", ".join(literal(k) for k in keys)
    label = "lower(replace(split_part(user_key, ':', 1), ' ', ''))"
    rest = "substr(user_key, strpos(user_key, ':') + 1)"
    by_label = (
        f"(SELECT l.code FROM _canyu_channel_labels AS l WHERE l.label = {label}) || ':' || {rest}"
        f" IN ({key_list})"
    )
    # A broken row (bad bytes, wrong column count) has no parsed id: its raw text is searched for
    # the id as a whole token. Hand-written because the id is data, not a pattern: re.escape.
    tokens = []
    for k in keys:
        uid = k.split(":", 1)[1]
        tokens.append(
            f"regexp_matches(raw, {literal('(^|[^A-Za-z0-9_])' + re.escape(uid) + '([^A-Za-z0-9_]|$)')})"
        )
    by_raw = f"(user_key IS NULL AND ({' OR '.join(tokens)}))" if tokens else "false"
    return f"(user_key IN ({key_list}) OR {by_label} OR {by_raw})"


def _derived_rows(txn: Transaction, pid: str, key_list: str) -> dict[str, int]:
    """Delete the person's rows from derived tables that have person_id or channel + user_id columns.

    Both engines list their derived tables (DuckDB: the ``derived`` schema; Spark: the Parquet
    file of each version) and delete through the transaction, so a Spark workspace's derived
    files are rewritten without the person as a DuckDB one's tables are.
    """
    deleted: dict[str, int] = {}
    for table, src in txn.derived_sources().items():
        names = {str(r[0]) for r in txn.con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
        conds = []
        if "person_id" in names:
            conds.append(f"person_id = {pid}")
        if {"channel", "user_id"} <= names:
            conds.append(f"channel || ':' || user_id IN ({key_list})")
        if not conds:
            continue
        n = txn.delete_derived_where(table, " OR ".join(conds))
        if n:
            deleted[f"derived:{table}"] = n
    return deleted


def forget_person(
    txn: Transaction,
    person: str,
    *,
    key: bytes | None,
    reason: str = "data subject request",
    user_keys: tuple[str, ...] = (),
) -> ForgetResult:
    """Delete every row of ``person`` from every table, record the deletion, suppress their ids.

    The person's channel-scoped ids are those linked to it in ``identities``, those its events
    carry, and ``user_keys`` (``channel:user_id``, e.g. the id a request named). ``key`` is the
    workspace's hashing key; the suppression list holds HMAC(key, ``channel:user_id``).
    """
    if key is None:
        raise PrivacyError(
            "forget needs the workspace's hashing key (to keep the forgotten ids suppressed)",
            message_zh="删除个人数据需要工作区的哈希密钥（用于记录被删除的 ID，防止重新导入）",
        )
    pid = literal(person)
    ids = txn.con.execute(
        f"SELECT DISTINCT channel, user_id FROM {txn.source('identities')} WHERE person_id = {pid}"
        f" UNION SELECT DISTINCT channel, user_id FROM {txn.source('events')} WHERE person_id = {pid}"
    ).fetchall()
    keys = sorted({f"{c}:{u}" for c, u in ids} | set(user_keys))
    key_list = ", ".join(literal(k) for k in keys) or "NULL"
    txn.con.register("_canyu_channel_labels", _label_table())
    try:
        quarantine_cond = _quarantine_condition(keys) if keys else "false"
        present = txn.con.execute(
            f"SELECT (SELECT count(*) FROM {txn.source('quarantine')} WHERE {quarantine_cond})"
            f" + (SELECT count(*) FROM {txn.source('follows')}"
            f" WHERE channel || ':' || follower_id IN ({key_list}) OR channel || ':' || followee_id IN ({key_list}))"
        ).fetchall()[0][0]
        if not ids and not present:
            raise PrivacyError(
                f"no rows belong to person {person!r}", message_zh=f"没有属于 {person!r} 的数据"
            )
        ident_row = txn.con.execute(
            f"SELECT count(*) FROM {txn.source('identities')} WHERE person_id = {pid}"
        ).fetchall()[0]
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
        deleted["quarantine"] = txn.delete_where("quarantine", quarantine_cond)
    finally:
        txn.con.unregister("_canyu_channel_labels")
    for name, schema in TABLES.items():
        if name in _HANDLED:
            continue
        conds = []
        if "person_id" in schema.names:
            conds.append(f"person_id = {pid}")
        if {"channel", "user_id"} <= set(schema.names):
            conds.append(f"channel || ':' || user_id IN ({key_list})")
        if conds:
            deleted[name] = txn.delete_where(name, " OR ".join(conds))
    resolve_identities(txn)  # the person's links are gone: their identities rows go with them
    deleted["identities"] = int(ident_row[0]) if ident_row else 0
    deleted.update(_derived_rows(txn, pid, key_list))
    deletion_id = uuid.uuid4().hex
    requested = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [(deletion_id, person, requested, t, n, reason) for t, n in deleted.items()]
    txn.append(
        "deletions",
        "SELECT deletion_id, person_id, requested, table_name, rows_deleted::BIGINT AS rows_deleted, reason FROM (VALUES "
        + values_list(rows)
        + ") AS d(deletion_id, person_id, requested, table_name, rows_deleted, reason)",
    )
    hashes = [(hash_identifier(key, "raw", k), deletion_id, requested) for k in keys]
    suppressed = 0
    if hashes:
        suppressed = txn.append(
            "suppressions",
            "SELECT h.hash, h.deletion_id, h.requested FROM (VALUES "
            + values_list(hashes)
            + f") AS h(hash, deletion_id, requested) ANTI JOIN {txn.source('suppressions')} AS s ON s.hash = h.hash",
        )
    return ForgetResult(deletion_id, person, tuple(keys), deleted, suppressed=suppressed)
