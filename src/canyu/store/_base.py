"""What every engine offers: Ibis tables to read, atomic transactions to write.

Writes are expressed once, as DuckDB SQL run by an in-process DuckDB "kernel";
each engine says where its tables live for that kernel (``source``) and how an
append or a rewrite becomes durable and atomic (``append``, ``replace``).
Reads go through Ibis, so analytics never see the engine.

Many readers, one writer: ``table`` and ``to_arrow`` read the last committed
state and never wait for a writer; ``transaction`` takes the workspace's
writer lock (a second writer gets :class:`~canyu.errors.WorkspaceBusyError`).
"""

from __future__ import annotations

import os
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb
    import ibis
    import pyarrow as pa

__all__ = ["TEST_WRITE_GATE", "Store", "Transaction", "hold_for_tests"]

TEST_WRITE_GATE = "CANYU_TEST_WRITE_GATE"
"""Test hook: when this environment variable names a file, every write transaction, just before
it commits, creates ``<file>.held`` and waits (up to 10 minutes) until ``<file>`` exists. Tests use it
to hold a write open while another process reads."""


def hold_for_tests() -> None:
    """Wait at the commit point while the test hook asks (see :data:`TEST_WRITE_GATE`)."""
    gate = os.environ.get(TEST_WRITE_GATE)
    if not gate:
        return
    Path(gate + ".held").write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + 600
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


class Transaction(Protocol):
    """One atomic unit of writes. Leaving the ``with`` block by an exception undoes all of it."""

    con: duckdb.DuckDBPyConnection
    """The DuckDB kernel that runs staging and write SQL."""

    def source(self, table: str) -> str:
        """A SQL expression (usable after FROM) for the table's rows as this transaction sees them."""
        ...

    def append(self, table: str, select_sql: str) -> int:
        """Append the rows of ``select_sql`` (columns in schema order); return how many."""
        ...

    def replace(self, table: str, select_sql: str) -> None:
        """Make ``select_sql`` (columns in schema order) the table's whole content."""
        ...

    def delete_where(self, table: str, condition_sql: str) -> int:
        """Delete the rows matching ``condition_sql``; return how many."""
        ...

    def update(self, table: str, assignments: dict[str, str], condition_sql: str) -> int:
        """Set columns to SQL expressions where ``condition_sql`` holds; the table's alias is ``t``."""
        ...

    def put_derived(self, name: str, version: int, data: pa.Table) -> None:
        """Store the rows of derived table ``name`` at ``version`` (the catalogue row is the caller's)."""
        ...

    def derived_sources(self) -> dict[str, str]:
        """Every stored derived table, named ``<name>__v<version>``, -> a SQL expression for its rows."""
        ...

    def delete_derived_where(self, table: str, condition_sql: str) -> int:
        """Delete the rows of derived table ``table`` (``<name>__v<version>``) matching ``condition_sql``."""
        ...


class Store(Protocol):
    """A workspace's tables on one engine."""

    engine: str

    def table(self, name: str) -> ibis.Table:
        """The table ``name`` as an Ibis expression on this engine (its last committed state)."""
        ...

    def transaction(self, *, memory_limit: str = "") -> AbstractContextManager[Transaction]:
        """An atomic write transaction (see :class:`Transaction`); takes the writer lock.

        ``memory_limit`` bounds the transaction's kernel (e.g. ``"1GB"``; empty: the store's).
        """
        ...

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Run an Ibis expression and return its result as Arrow."""
        ...

    def has_data(self) -> bool:
        """Whether any table holds a row."""
        ...

    def write_derived(self, name: str, data: pa.Table, *, params: dict[str, Any] | None = None) -> int:
        """Store a derived table as the next version of ``name``; return the version."""
        ...

    def read_derived(self, name: str, version: int | None = None) -> pa.Table | None:
        """A version of derived table ``name`` (default the latest); None when there is none."""
        ...

    def derived_versions(self, name: str) -> pa.Table:
        """The catalogue rows of ``name``: version, created, params, rows (oldest first)."""
        ...

    def close(self) -> None: ...
