"""Personal data: keyed hashing of direct identifiers, and the key that does it.

Phone numbers and e-mail addresses are replaced at ingest by
HMAC-SHA256(key, normalized value) (RFC 2104), so equal identifiers still join
across files while the raw value is never stored. The key lives outside
canyu.toml: in the environment variable named by ``privacy.key_env``
(default ``CANYU_HMAC_KEY``, hex or text) or in a key file readable only by
its owner (default ``$CANYU_HOME/keys/<workspace id>.key``, ``CANYU_HOME``
defaulting to ``~/.config/canyu``). Forgetting a person is a store operation
(``canyu.store.forget_person``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from canyu.config import WorkspaceConfig
from canyu.errors import PrivacyError
from canyu.store._sql import literal

__all__ = [
    "PII_KINDS",
    "create_key",
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
    inner = f"unhex(sha256(unhex({literal(ipad)}) || encode({norm})))"
    return (
        f"(CASE WHEN NULLIF(trim({column_sql}), '') IS NULL THEN NULL"
        f" ELSE sha256(unhex({literal(opad)}) || {inner}) END)"
    )
