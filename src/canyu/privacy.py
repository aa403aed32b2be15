"""Personal data: keyed hashing of direct identifiers, and forgetting a person.

Phone numbers and e-mail addresses are replaced at ingest by
HMAC-SHA256(key, normalized value) (RFC 2104), so equal identifiers still join
across files while the raw value is never stored. The key lives outside
canyu.toml: in the environment variable named by ``privacy.key_env``
(default ``CANYU_HMAC_KEY``, hex or text) or in a key file readable only by
its owner (default ``$CANYU_HOME/keys/<workspace id>.key``, ``CANYU_HOME``
defaulting to ``~/.config/canyu``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from canyu.config import WorkspaceConfig
from canyu.errors import PrivacyError

if TYPE_CHECKING:
    from canyu.store import Transaction

__all__ = [
    "PII_KINDS",
    "ForgetResult",
    "create_key",
    "forget_person",
    "hash_identifier",
    "hmac_sql",
    "key_path",
    "load_key",
    "normalize_identifier",
]

PII_KINDS = ("phone", "email")

# Header names that hold direct identifiers even when a mapping forgets to say so.
PII_HEADER_PATTERNS: dict[str, re.Pattern[str]] = {
    "phone": re.compile(r"(phone|mobile|tel|手机|电话|联系方式)", re.IGNORECASE),
    "email": re.compile(r"(e-?mail|邮箱|电子邮件)", re.IGNORECASE),
}


def canyu_home() -> Path:
    return Path(os.environ.get("CANYU_HOME") or Path.home() / ".config" / "canyu")


def key_path(cfg: WorkspaceConfig) -> Path:
    """Where the workspace's key file is (whether or not it exists)."""
    if cfg.privacy.key_file:
        return Path(os.path.expanduser(cfg.privacy.key_file))
    return canyu_home() / "keys" / f"{cfg.workspace_id}.key"


def create_key(cfg: WorkspaceConfig) -> Path | None:
    """Create an owner-only key file for a new workspace, unless the key comes from the environment."""
    if os.environ.get(cfg.privacy.key_env):
        return None
    path = key_path(cfg)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


def load_key(cfg: WorkspaceConfig) -> bytes:
    """The HMAC key: from the environment, else from the owner-only key file."""
    env = os.environ.get(cfg.privacy.key_env)
    if env:
        return _decode_key(env.strip())
    path = key_path(cfg)
    if not path.exists():
        raise PrivacyError(
            f"no hashing key: set {cfg.privacy.key_env} or create {path} (canyu init does)",
            message_zh=f"缺少哈希密钥：请设置环境变量 {cfg.privacy.key_env} 或创建 {path}（canyu init 会创建）",
        )
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PrivacyError(
            f"the key file {path} is readable by others (mode {oct(mode & 0o777)}); run: chmod 600 {path}",
            message_zh=f"密钥文件 {path} 对其他用户可读（权限 {oct(mode & 0o777)}）；请执行 chmod 600 {path}",
        )
    return _decode_key(path.read_text(encoding="utf-8").strip())


def _decode_key(text: str) -> bytes:
    if len(text) < 16:
        raise PrivacyError(
            "the hashing key is shorter than 16 characters", message_zh="哈希密钥少于 16 个字符"
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode("utf-8")


def normalize_identifier(kind: str, value: str) -> str:
    """The canonical form hashed: phone digits without +86/0086 and separators; e-mail lower case."""
    value = value.strip()
    if kind == "phone":
        digits = re.sub(r"\D", "", value)
        for prefix in ("0086", "86"):
            if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
                digits = digits[len(prefix) :]
        return digits
    return value.lower()


def hash_identifier(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of the normalized identifier, hex (the same as :func:`hmac_sql`)."""
    return hmac.new(key, normalize_identifier(kind, value).encode("utf-8"), hashlib.sha256).hexdigest()


def hmac_sql(key: bytes, kind: str, column_sql: str) -> str:
    """A DuckDB SQL expression for :func:`hash_identifier` of ``column_sql``.

    HMAC is written out from its definition (RFC 2104) because DuckDB has
    SHA-256 but no HMAC; doing it in SQL keeps hashing inside the vectorized
    scan instead of a per-row Python call.
    """
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    if kind == "phone":
        digits = f"regexp_replace({column_sql}, '\\D', '', 'g')"
        norm = (
            f"(CASE WHEN length({digits}) = 15 AND starts_with({digits}, '0086') THEN substr({digits}, 5)"
            f" WHEN length({digits}) = 13 AND starts_with({digits}, '86') THEN substr({digits}, 3)"
            f" ELSE {digits} END)"
        )
    else:
        norm = f"lower(trim({column_sql}))"
    inner = f"unhex(sha256(unhex('{ipad}') || encode({norm})))"
    return f"(CASE WHEN NULLIF(trim({column_sql}), '') IS NULL THEN NULL ELSE sha256(unhex('{opad}') || {inner}) END)"


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


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def forget_person(txn: Transaction, person: str, *, reason: str = "data subject request") -> ForgetResult:
    """Delete every row of ``person`` from every table, and record the deletion.

    The person's channel-scoped ids are those linked to it in ``identities``
    plus those its events carry. Rows deleted: their events, identity rows and
    links, follow edges in either direction, and quarantined rows naming one of
    their ids; other people's share events that name them as the sharer keep
    the event but lose the reference (``parent_user_id`` set to NULL).
    """
    from canyu.identity import resolve_identities

    pid = _q(person)
    ids = txn.con.execute(
        f"SELECT DISTINCT channel, user_id FROM {txn.source('identities')} WHERE person_id = {pid}"
        f" UNION SELECT DISTINCT channel, user_id FROM {txn.source('events')} WHERE person_id = {pid}"
    ).fetchall()
    if not ids:
        raise PrivacyError(f"no rows belong to person {person!r}", message_zh=f"没有属于 {person!r} 的数据")
    keys = [f"{c}:{u}" for c, u in ids]
    ident_row = txn.con.execute(
        f"SELECT count(*) FROM {txn.source('identities')} WHERE person_id = {pid}"
    ).fetchall()[0]
    key_list = ", ".join(_q(k) for k in keys)
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
    txn.con.execute(
        "CREATE OR REPLACE TEMP TABLE _canyu_deletion AS SELECT * FROM (VALUES "
        + ", ".join(
            f"({_q(deletion_id)}, {pid}, now()::TIMESTAMP, {_q(t)}, {n}::BIGINT, {_q(reason)})"
            for t, n in deleted.items()
        )
        + ") AS d(deletion_id, person_id, requested, table_name, rows_deleted, reason)"
    )
    txn.append("deletions", "SELECT * FROM _canyu_deletion")
    txn.con.execute("DROP TABLE _canyu_deletion")
    return ForgetResult(deletion_id, person, tuple(keys), deleted)
