"""The embedded engine: one DuckDB file per workspace."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa

from canyu.errors import EngineError
from canyu.store._schema import TABLES

__all__ = ["DuckDBStore"]


class _DuckDBTransaction:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def source(self, table: str) -> str:
        return f'main."{table}"'

    def append(self, table: str, select_sql: str) -> int:
        row = self.con.execute(f'INSERT INTO main."{table}" {select_sql}').fetchall()[0]
        return int(row[0]) if row else 0

    def replace(self, table: str, select_sql: str) -> None:
        self.con.execute(f"CREATE TEMP TABLE _canyu_replace AS {select_sql}")
        self.con.execute(f'DELETE FROM main."{table}"')
        self.con.execute(f'INSERT INTO main."{table}" SELECT * FROM _canyu_replace')
        self.con.execute("DROP TABLE _canyu_replace")

    def delete_where(self, table: str, condition_sql: str) -> int:
        row = self.con.execute(f'DELETE FROM main."{table}" WHERE {condition_sql}').fetchall()[0]
        return int(row[0]) if row else 0

    def update(self, table: str, assignments: dict[str, str], condition_sql: str) -> int:
        sets = ", ".join(f'"{col}" = {expr}' for col, expr in assignments.items())
        row = self.con.execute(f'UPDATE main."{table}" AS t SET {sets} WHERE {condition_sql}').fetchall()[0]
        return int(row[0]) if row else 0


class DuckDBStore:
    """Tables in one DuckDB file; transactions are DuckDB transactions (WAL-backed).

    A crash or Ctrl-C before COMMIT leaves the file as it was: DuckDB replays
    only committed transactions from its write-ahead log.
    """

    engine = "duckdb"

    def __init__(self, path: Path, *, memory_limit: str = "", temp_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        try:
            self.con = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:  # locked by another process, or not a DuckDB file
            raise EngineError(
                f"cannot open the store {self.path}: {exc}", message_zh=f"无法打开数据库 {self.path}：{exc}"
            ) from exc
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        # Track progress (the importer shows it) but never print DuckDB's own bar to stdout,
        # where it would corrupt --json output.
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        if temp_dir is not None:
            temp_dir.mkdir(parents=True, exist_ok=True)
            self.con.execute(f"SET temp_directory = '{temp_dir}'")
        for schema in TABLES.values():
            self.con.execute(schema.ddl())
        self._ibis = ibis.duckdb.from_connection(self.con)

    def table(self, name: str) -> ibis.Table:
        return self._ibis.table(name)

    @contextmanager
    def transaction(self, *, memory_limit: str = "") -> Iterator[_DuckDBTransaction]:
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        try:
            self.con.execute("BEGIN TRANSACTION")
            try:
                yield _DuckDBTransaction(self.con)
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")
        finally:
            if memory_limit:  # back to the store's own limit (not the rounded figure DuckDB reports)
                self.con.execute(
                    f"SET memory_limit = '{self.memory_limit}'" if self.memory_limit else "RESET memory_limit"
                )

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return self._ibis.to_pyarrow(expr)

    def close(self) -> None:
        self.con.close()
