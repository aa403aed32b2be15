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
    "PHONE_PATTERN",
    "PII_KINDS",
    "check_key_fingerprint",
    "create_key",
    "hash_identifier",
    "hmac_sql",
    "is_phone",
    "key_fingerprint",
    "key_path",
    "load_key",
    "mask_other_phones",
    "mask_phones",
    "mask_phones_sql",
    "normalize_identifier",
    "scrub_id_sql",
    "scrub_sql",
]

PII_KINDS = ("phone", "email")

# Header names that hold direct identifiers even when a mapping forgets to say so.
PII_HEADER_PATTERNS: dict[str, re.Pattern[str]] = {
    "phone": re.compile(r"(phone|mobile|tel|手机|电话|联系方式)", re.IGNORECASE),
    "email": re.compile(r"(e-?mail|邮箱|电子邮件)", re.IGNORECASE),
}


# A mainland mobile number as people write it: +86 138 0013 8000, 86-138-0013-8000, (+86)13800138000,
# 0086 13800138000, 13800138000, full-width digits (１３８…), with spaces or dashes between digits.
# One pattern for Python's re and DuckDB's RE2 (no look-around: the caller adds the boundaries).
_D = "[0-9０-９]"
_S = "[ \\-－　]"
PHONE_PATTERN = (
    f"(?:(?:[(（]?[+＋]?(?:86|８６)[)）]?|(?:0086|００８６)){_S}*)?[1１]{_S}?[3-9３-９](?:{_S}?{_D}){{9}}"
)
# Other numbers people write in text, masked there (a cell that is one is masked whole, not hashed:
# only a mobile number names a person across channels): a landline with its area code set off by a
# separator or brackets (010-12345678, (0755)8888 1234, ０２１－６２３４ ５６７８), and any number after
# a "+" country code in groups of 2-4 digits (+86 10 1234 5678, +1 415 555 0100, +852 9123 4567).
# A landline needs the separator or brackets: an unbroken digit run after a 0 (0123456789) is as
# likely an order number or a code, and is left alone; so are dates, times and prices.
_Z = "[0０]"
_NZ = "[1-9１-９]"
OTHER_PHONE_PATTERN = (
    f"(?:(?:[(（]{_Z}{_NZ}{_D}{{1,2}}[)）]{_S}?|{_Z}{_NZ}{_D}{{1,2}}{_S}){_D}{{3,4}}{_S}?{_D}{{4}}"
    f"|[+＋]{_NZ}{_D}{{0,2}}(?:{_S}?{_D}{{2,4}}){{2,5}})"
)
_PHONE_RE = re.compile(f"(?<![0-9０-９]){PHONE_PATTERN}(?![0-9０-９])")
_OTHER_PHONE_RE = re.compile(f"(?<![0-9０-９]){OTHER_PHONE_PATTERN}(?![0-9０-９])")
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_PHONE_MASK = "<phone>"


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
    if kind == "raw":
        return value
    if kind == "phone":
        digits = re.sub(r"[^0-9]", "", value.translate(_FULLWIDTH))
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
    if kind == "raw":
        norm = column_sql
    elif kind == "phone":
        digits = f"regexp_replace(translate({column_sql}, '０１２３４５６７８９', '0123456789'), '[^0-9]', '', 'g')"
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


def is_phone(text: str) -> bool:
    """Whether ``text`` is one phone number (in any of :data:`PHONE_PATTERN`'s spellings)."""
    return re.fullmatch(PHONE_PATTERN, text.strip()) is not None


def mask_phones(text: str) -> str:
    """``text`` with every phone number in it replaced by ``<phone>``: landlines and "+" numbers
    (:data:`OTHER_PHONE_PATTERN`; first, so +1 415 555 0100 is one number, not "+" and a mobile
    number), then mobile numbers in any of :data:`PHONE_PATTERN`'s spellings."""
    return _PHONE_RE.sub(_PHONE_MASK, mask_other_phones(text))


def mask_other_phones(text: str) -> str:
    """``text`` with its landlines and "+" numbers (:data:`OTHER_PHONE_PATTERN`) replaced by ``<phone>``."""
    return _OTHER_PHONE_RE.sub(_PHONE_MASK, text)


def mask_phones_sql(column_sql: str) -> str:
    """SQL for :func:`mask_phones` of ``column_sql``."""
    # RE2 has no look-around: the boundary characters are captured and put back. A boundary
    # consumed by one match cannot start the next, so each replacement runs twice.
    out = column_sql
    for body in (OTHER_PHONE_PATTERN, PHONE_PATTERN):  # in mask_phones' order
        pattern = literal(f"(^|[^0-9０-９]){body}([^0-9０-９]|$)")
        for _ in range(2):
            out = f"regexp_replace({out}, {pattern}, '\\1{_PHONE_MASK}\\2', 'g')"
    return out


def scrub_sql(column_sql: str, key: bytes | None, *, mask_only: bool = False) -> str:
    """SQL for a text cell with no phone number in clear.

    A cell that is one phone number (an id, a contact column nobody declared) becomes its keyed
    hash, the same as a declared phone column's, so it still joins; a phone number inside longer
    text (a comment, a title, a broken row) is masked as ``<phone>``. Cells without one pass
    unchanged after a single regular-expression test. With ``mask_only`` (or no key) whole cells
    are masked too.
    """
    # bounded by neither a digit nor a letter: a UUID's hex digits ("…-1490-4895-959e-…") are no phone
    anywhere = literal(
        f"(?:^|[^0-9A-Za-z０-９])(?:{PHONE_PATTERN}|{OTHER_PHONE_PATTERN})(?:[^0-9A-Za-z０-９]|$)"
    )
    whole = literal(f'\\s*(?:=?"?){PHONE_PATTERN}"?\\s*')
    hashed = literal(_PHONE_MASK) if key is None or mask_only else hmac_sql(key, "phone", column_sql)
    # length() is cheap and a phone number has 8 characters at least (+852 2345 6789 written
    # without spaces has 12; a mobile number 11): most ids and short texts skip the regular expression.
    return (
        f"(CASE WHEN length({column_sql}) < 8 OR NOT regexp_matches({column_sql}, {anywhere}) THEN {column_sql}"
        f" WHEN regexp_full_match({column_sql}, {whole}) THEN {hashed}"
        f" ELSE {mask_phones_sql(column_sql)} END)"
    )


def scrub_id_sql(column_sql: str, key: bytes | None) -> str:
    """SQL for the id of a thing (an event, a content, an order, an account) with no phone number in clear.

    An id that is one phone number becomes its keyed hash, the same as a person id's (so the
    content or account still joins across files, and to the person); an id with a phone number
    inside (``order-13800138000-2``) becomes the keyed hash of the whole id. Masking the number
    as ``<phone>`` would make two different ids one, and the second row a "duplicate" of the
    first. Without a key the number is masked (there is nothing to hash with).
    """
    if key is None:
        return scrub_sql(column_sql, None)
    # bounded by neither a digit nor a letter: a UUID's hex digits ("…-1490-4895-959e-…") are no phone
    anywhere = literal(f"(?:^|[^0-9A-Za-z０-９]){PHONE_PATTERN}(?:[^0-9A-Za-z０-９]|$)")
    whole = literal(f'\\s*(?:=?"?){PHONE_PATTERN}"?\\s*')
    # strlen (bytes) is O(1) and a phone number has 11 bytes at least: short ids skip the pattern.
    return (
        f"(CASE WHEN strlen({column_sql}) < 11 OR NOT regexp_matches({column_sql}, {anywhere}) THEN {column_sql}"
        f" WHEN regexp_full_match({column_sql}, {whole}) THEN {hmac_sql(key, 'phone', column_sql)}"
        f" ELSE {hmac_sql(key, 'raw', column_sql)} END)"
    )


_FINGERPRINT_INPUT = b"canyu hashing-key fingerprint v1"


def key_fingerprint(key: bytes) -> str:
    """A fingerprint of the hashing key that does not reveal it: HMAC-SHA256(key, fixed text), 16 hex digits."""
    return hmac.new(key, _FINGERPRINT_INPUT, hashlib.sha256).hexdigest()[:16]


def check_key_fingerprint(stored: str | None, key: bytes | None) -> str | None:
    """Compare the store's recorded key fingerprint with ``key``'s; return the fingerprint to record.

    Raises :class:`~canyu.errors.PrivacyError` when they differ (a changed key would split every
    person in two) or when the store was written with a key and none is set now.
    """
    if key is None:
        if stored:
            raise PrivacyError(
                f"this workspace's personal data was hashed with a key (fingerprint {stored}) and no key is set;"
                " restore the key file or the environment variable",
                message_zh=f"此工作区的个人数据是用密钥（指纹 {stored}）哈希的，但当前没有设置密钥；请恢复密钥文件或环境变量",
            )
        return None
    mine = key_fingerprint(key)
    if stored and stored != mine:
        raise PrivacyError(
            f"the hashing key changed: this workspace was hashed with key fingerprint {stored}, the key set now"
            f" has {mine}; use the original key (a new key would split every person in two)",
            message_zh=f"哈希密钥已更改：此工作区使用指纹为 {stored} 的密钥，当前密钥的指纹为 {mine}；"
            "请使用原密钥（换用新密钥会把每个人拆成两个）",
        )
    return mine
