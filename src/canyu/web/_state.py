"""What one console app holds: accounts, audit log, workspaces and their cache, jobs, limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canyu.web._accounts import AccountStore
from canyu.web._audit import AuditLog
from canyu.web._data import Workspaces
from canyu.web._jobs import JobRunner
from canyu.web._security import RateLimiter

__all__ = ["WebState"]


@dataclass
class WebState:
    root: Path
    accounts: AccountStore
    audit: AuditLog
    workspaces: Workspaces
    jobs: JobRunner
    login_limiter: RateLimiter
    clock: Callable[[], float] = time.time
    secure_cookies: bool | None = None  # None: Secure exactly when the request came over TLS
    max_upload_bytes: int = 512 * 1024 * 1024
    collector: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
