"""Users, roles, sessions, login failures and read keys of a console root, in one SQLite file.

Everything lives in ``ROOT/.canyu/web.sqlite`` (folder 0700, file 0600) next to the
server's signing secret ``ROOT/.canyu/secret`` (0600):

- ``users``: name, Argon2id hash (argon2-cffi's defaults, RFC 9106), created.
- ``grants``: (user, workspace, role); workspace ``*`` is every workspace (the agency).
- ``sessions``: the SHA-256 of a random 256-bit session id (the cookie carries the id,
  signed), its user, created / last seen (idle and absolute expiry), its CSRF token.
- ``failures``: consecutive failed sign-ins per user name, and until when it is locked.
- ``read_keys``: secret read keys of the JSON API (only their SHA-256 is kept).

A slow hash is used for passwords (guessable); read keys and session ids are 128/256
random bits, for which SHA-256 is enough. SQLite is used, not a JSON file, because
sessions and failure counters are written on every sign-in by concurrent requests.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from canyu.errors import CanyuError, InvalidArgumentError, UnknownNameError

__all__ = [
    "ROLES",
    "AccountStore",
    "LoginError",
    "ReadKey",
    "Session",
    "User",
    "role_allows",
]

#: Roles in rising order of power: a viewer reads; an analyst also imports, edits settings
#: and plans; an owner (agency admin) also manages keys and forget requests.
ROLES: tuple[str, ...] = ("viewer", "analyst", "owner")
_RANK = {r: i for i, r in enumerate(ROLES)}

READ_KEY_PREFIX = "cyrk_"
_READ_KEY_RE = re.compile(r"^cyrk_[0-9a-f]{40}$")
_USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 12  # ASVS 2.1.1
MAX_PASSWORD = 128  # ASVS 2.1.2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS grants (user TEXT NOT NULL, workspace TEXT NOT NULL, role TEXT NOT NULL,
  PRIMARY KEY (user, workspace));
CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, user TEXT NOT NULL, created REAL NOT NULL,
  last_seen REAL NOT NULL, csrf TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (user TEXT PRIMARY KEY, count INTEGER NOT NULL, locked_until REAL);
CREATE TABLE IF NOT EXISTS read_keys (key_id TEXT PRIMARY KEY, workspace TEXT NOT NULL, hash TEXT NOT NULL,
  prefix TEXT NOT NULL, label TEXT NOT NULL, created REAL NOT NULL, revoked REAL);
"""


class LoginError(CanyuError):
    """A sign-in was refused: wrong name or password (one message for both), or the account is locked."""

    details_fields = ("locked",)

    def __init__(self, message: str, *, message_zh: str, locked: bool = False) -> None:
        super().__init__(message, message_zh=message_zh)
        self.locked = locked


def role_allows(role: str | None, needed: str) -> bool:
    """Whether ``role`` is at least ``needed`` (viewer < analyst < owner)."""
    return role is not None and _RANK.get(role, -1) >= _RANK[needed]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    name: str
    created: float
    grants: dict[str, str]  # workspace (or "*") -> role


@dataclass(frozen=True)
class Session:
    """A live session: its user, its CSRF token and when it started."""

    id_hash: str
    user: str
    csrf: str
    created: float
    last_seen: float


@dataclass(frozen=True)
class ReadKey:
    key_id: str
    workspace: str
    prefix: str
    label: str
    created: float
    revoked: float | None


def check_user_name(name: str) -> str:
    if not _USER_RE.match(name or ""):
        raise InvalidArgumentError(
            "user",
            name,
            "letters, digits, _ . @ - (1 to 64, starting with a letter or digit)",
            reason_zh="用户名只能包含字母、数字、_ . @ -（1 到 64 个字符，以字母或数字开头）",
        )
    return name


def check_password(password: str) -> str:
    if not (MIN_PASSWORD <= len(password) <= MAX_PASSWORD):
        raise InvalidArgumentError(
            "password",
            "***",
            f"{MIN_PASSWORD} to {MAX_PASSWORD} characters",
            reason=f"a password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters (a passphrase is fine)",
            reason_zh=f"密码须为 {MIN_PASSWORD} 到 {MAX_PASSWORD} 个字符（可以用一句话）",
        )
    return password


class AccountStore:
    """The console's accounts under ``root`` (see the module docstring).

    Parameters
    ----------
    root
        The folder whose sub-folders are the workspaces.
    max_failures
        Consecutive failed sign-ins after which the account is locked.
    lockout_s
        How long a locked account stays locked.
    idle_s, absolute_s
        A session ends after this long without a request, or this long after sign-in.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_failures: int = 5,
        lockout_s: float = 900.0,
        idle_s: float = 1800.0,
        absolute_s: float = 12 * 3600.0,
    ) -> None:
        self.root = Path(root)
        self.dir = self.root / ".canyu"
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        self.path = self.dir / "web.sqlite"
        self.max_failures = max_failures
        self.lockout_s = lockout_s
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()
        # Verified when the name is unknown, so a wrong name costs as long as a wrong password.
        self._dummy = self._hasher.hash(secrets.token_hex(16))
        new = not self.path.exists()
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
        finally:
            con.close()
        if new:
            os.chmod(self.path, 0o600)
        self.secret = self._secret()

    def _secret(self) -> bytes:
        path = self.dir / "secret"
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
                fh.flush()
                os.fsync(fh.fileno())
        data = path.read_bytes()
        if len(data) < 32:
            raise CanyuError(
                f"{path} is damaged (shorter than 32 bytes)", message_zh=f"{path} 已损坏（不足 32 字节）"
            )
        return data

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                con.execute("BEGIN IMMEDIATE")
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            finally:
                con.close()

    # -- users -------------------------------------------------------------------
    def add_user(self, name: str, password: str, *, now: float) -> None:
        check_user_name(name)
        check_password(password)
        digest = self._hasher.hash(password)
        with self._db() as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise InvalidArgumentError(
                    "user", name, "a name not used yet", reason_zh=f"用户 {name!r} 已存在"
                )
            db.execute("INSERT INTO users VALUES (?, ?, ?)", (name, digest, now))

    def set_password(self, name: str, password: str) -> None:
        check_password(password)
        digest = self._hasher.hash(password)
        with self._db() as db:
            if not db.execute("UPDATE users SET hash = ? WHERE name = ?", (digest, name)).rowcount:
                raise UnknownNameError("user", name, self._names(db))
            db.execute("DELETE FROM sessions WHERE user = ?", (name,))

    def _names(self, db: sqlite3.Connection) -> list[str]:
        return [r[0] for r in db.execute("SELECT name FROM users ORDER BY name")]

    def remove_user(self, name: str) -> None:
        with self._db() as db:
            if not db.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount:
                raise UnknownNameError("user", name, self._names(db))
            for table in ("grants", "sessions", "failures"):
                db.execute(f"DELETE FROM {table} WHERE user = ?", (name,))

    def users(self) -> list[User]:
        with self._db() as db:
            rows = db.execute("SELECT name, created FROM users ORDER BY name").fetchall()
            grants = db.execute("SELECT user, workspace, role FROM grants").fetchall()
        by: dict[str, dict[str, str]] = {}
        for user, ws, role in grants:
            by.setdefault(user, {})[ws] = role
        return [User(name, created, dict(sorted(by.get(name, {}).items()))) for name, created in rows]

    def grant(self, name: str, workspace: str, role: str) -> None:
        """Give ``name`` ``role`` on ``workspace`` (``*``: every workspace); role ``none`` removes the grant."""
        if role != "none" and role not in ROLES:
            raise UnknownNameError("role", role, (*ROLES, "none"))
        with self._db() as db:
            if not db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
                raise UnknownNameError("user", name, self._names(db))
            db.execute("DELETE FROM grants WHERE user = ? AND workspace = ?", (name, workspace))
            if role != "none":
                db.execute("INSERT INTO grants VALUES (?, ?, ?)", (name, workspace, role))

    def grants(self, name: str) -> dict[str, str]:
        with self._db() as db:
            return {
                ws: role
                for ws, role in db.execute("SELECT workspace, role FROM grants WHERE user = ?", (name,))
            }

    @staticmethod
    def role_in(grants: dict[str, str], workspace: str) -> str | None:
        """The user's role on ``workspace``: the higher of its own grant and the ``*`` grant."""
        found = [r for r in (grants.get(workspace), grants.get("*")) if r in _RANK]
        return max(found, key=_RANK.__getitem__) if found else None

    # -- signing in ------------------------------------------------------------------
    def verify(self, name: str, password: str, *, now: float) -> str:
        """The user name if ``password`` is right and the account is not locked; else :class:`LoginError`."""
        with self._db() as db:
            row = db.execute("SELECT hash FROM users WHERE name = ?", (name,)).fetchone()
            fail = db.execute("SELECT count, locked_until FROM failures WHERE user = ?", (name,)).fetchone()
        if fail and fail[1] and fail[1] > now:
            minutes = max(1, round((fail[1] - now) / 60))
            raise LoginError(
                f"too many failed sign-ins: this account is locked for {minutes} more minute(s)",
                message_zh=f"登录失败次数过多：该账号已锁定，请 {minutes} 分钟后再试",
                locked=True,
            )
        ok = False
        try:
            ok = self._hasher.verify(row[0] if row else self._dummy, password) and row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        with self._db() as db:
            if ok:
                db.execute("DELETE FROM failures WHERE user = ?", (name,))
                if self._hasher.check_needs_rehash(row[0]):
                    db.execute(
                        "UPDATE users SET hash = ? WHERE name = ?", (self._hasher.hash(password), name)
                    )
                return name
            count = (fail[0] if fail and not (fail[1] and fail[1] <= now) else 0) + 1
            locked = now + self.lockout_s if count >= self.max_failures else None
            db.execute("INSERT OR REPLACE INTO failures VALUES (?, ?, ?)", (name, count, locked))
        # locked=False even when this failure locked the account: it was refused for the password
        raise LoginError("wrong user name or password", message_zh="用户名或密码错误")

    # -- sessions ------------------------------------------------------------------------
    def create_session(self, name: str, *, now: float) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        s = Session(_sha(sid), name, secrets.token_urlsafe(32), now, now)
        with self._db() as db:
            db.execute(
                "DELETE FROM sessions WHERE last_seen < ? OR created < ?",
                (now - self.idle_s, now - self.absolute_s),
            )
            db.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                (s.id_hash, s.user, s.created, s.last_seen, s.csrf),
            )
        return sid, s

    def session(self, sid: str, *, now: float) -> Session | None:
        """The live session of ``sid``, its last-seen time refreshed; None if unknown or expired."""
        h = _sha(sid)
        with self._db() as db:
            row = db.execute(
                "SELECT s.user, s.csrf, s.created, s.last_seen FROM sessions s JOIN users u ON u.name = s.user"
                " WHERE s.id_hash = ?",
                (h,),
            ).fetchone()
            if row is None:
                return None
            user, csrf, created, last_seen = row
            if now - last_seen > self.idle_s or now - created > self.absolute_s:
                db.execute("DELETE FROM sessions WHERE id_hash = ?", (h,))
                return None
            if now - last_seen > 5:  # not a write on every request
                db.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, h))
        return Session(h, user, csrf, created, max(last_seen, now))

    def end_session(self, id_hash: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    # -- read keys --------------------------------------------------------------------------
    def create_read_key(self, workspace: str, label: str, *, now: float) -> str:
        key = READ_KEY_PREFIX + secrets.token_hex(20)
        with self._db() as db:
            db.execute(
                "INSERT INTO read_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                ("rk_" + secrets.token_hex(4), workspace, _sha(key), key[:9], label, now),
            )
        return key

    def read_keys(self, workspace: str | None = None) -> list[ReadKey]:
        with self._db() as db:
            rows = db.execute(
                "SELECT key_id, workspace, prefix, label, created, revoked FROM read_keys ORDER BY created"
            ).fetchall()
        return [ReadKey(*r) for r in rows if workspace is None or r[1] == workspace]

    def revoke_read_key(self, key_id: str, *, now: float) -> None:
        with self._db() as db:
            if not db.execute(
                "UPDATE read_keys SET revoked = ? WHERE key_id = ? AND revoked IS NULL", (now, key_id)
            ).rowcount:
                raise UnknownNameError(
                    "read key", key_id, [r[0] for r in db.execute("SELECT key_id FROM read_keys")]
                )

    def read_key_workspace(self, key: str) -> str | None:
        """The workspace a live read key opens, or None."""
        if not _READ_KEY_RE.match(key or ""):
            return None
        with self._db() as db:
            rows = db.execute("SELECT workspace, hash FROM read_keys WHERE revoked IS NULL").fetchall()
        h = _sha(key)
        for ws, stored in rows:
            if hmac.compare_digest(stored, h):
                return str(ws)
        return None
