"""What every engine offers: Ibis tables to read, atomic transactions to write.

Writes are expressed once, as DuckDB SQL run by an in-process DuckDB "kernel";
each engine says where its tables live for that kernel (``source``) and how an
append or a rewrite becomes durable and atomic (``append``, ``replace``).
Reads go through Ibis, so analytics never see the engine.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import duckdb
    import ibis
    import pyarrow as pa

__all__ = ["Store", "Transaction"]


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


class Store(Protocol):
    """A workspace's tables on one engine."""

    engine: str

    def table(self, name: str) -> ibis.Table:
        """The table ``name`` as an Ibis expression on this engine."""
        ...

    def transaction(self, *, memory_limit: str = "") -> AbstractContextManager[Transaction]:
        """An atomic write transaction (see :class:`Transaction`).

        ``memory_limit`` bounds the transaction's kernel (e.g. ``"1GB"``; empty: the store's).
        """
        ...

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        """Run an Ibis expression and return its result as Arrow."""
        ...

    def close(self) -> None: ...
