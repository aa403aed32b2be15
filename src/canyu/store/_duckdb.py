"""The embedded engine: one DuckDB file per workspace, many readers, one writer.

Writes run in *writer sessions*: a transaction takes the workspace's writer
lock (``canyu.writer.lock``), opens ``canyu.duckdb`` read-write, commits, and
then publishes a *read snapshot*: it checkpoints and closes the file, copies it
to a temporary file, fsyncs it and renames it over ``canyu.snapshot.duckdb``
(an atomic replace). Readers attach the snapshot READ_ONLY to an in-memory
connection, so they never lock the main file and never block a writer; before
each read they check whether a newer snapshot was published and, if so,
attach it (the process that wrote sees its own writes this way too). A write
marks ``canyu.publish-pending`` before it begins and clears it once published,
so a crash between commit and publish is noticed: the next process that can
take the writer lock republishes the snapshot (as it does for a workspace that
has none yet). ``compact`` rewrites the file and the snapshot into fresh files after a
forget, so deleted rows' bytes leave the disk.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from canyu.errors import EngineError
from canyu.store import _derived
from canyu.store._base import hold_for_tests
from canyu.store._locks import WriterLock
from canyu.store._schema import TABLES
from canyu.store._sql import ident, literal

if TYPE_CHECKING:
    import ibis

__all__ = ["SNAPSHOT_FILE", "DuckDBStore"]

SNAPSHOT_FILE = "canyu.snapshot.duckdb"
_SNAP = "canyu_snapshot"  # the alias the snapshot is attached under
_DERIVED_SCHEMA = "derived"


def _derived_table(name: str, version: int) -> str:
    return f"{ident(_DERIVED_SCHEMA)}.{ident(f'{name}__v{version}')}"


class _DuckDBTransaction:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def source(self, table: str) -> str:
        return f"main.{ident(table)}"

    def append(self, table: str, select_sql: str) -> int:
        row = self.con.execute(f"INSERT INTO main.{ident(table)} {select_sql}").fetchall()[0]
        return int(row[0]) if row else 0

    def replace(self, table: str, select_sql: str) -> None:
        self.con.execute(f"CREATE TEMP TABLE _canyu_replace AS {select_sql}")
        self.con.execute(f"DELETE FROM main.{ident(table)}")
        self.con.execute(f"INSERT INTO main.{ident(table)} SELECT * FROM _canyu_replace")
        self.con.execute("DROP TABLE _canyu_replace")

    def delete_where(self, table: str, condition_sql: str) -> int:
        row = self.con.execute(f"DELETE FROM main.{ident(table)} WHERE {condition_sql}").fetchall()[0]
        return int(row[0]) if row else 0

    def update(self, table: str, assignments: dict[str, str], condition_sql: str) -> int:
        sets = ", ".join(f"{ident(col)} = {expr}" for col, expr in assignments.items())
        row = self.con.execute(
            f"UPDATE main.{ident(table)} AS t SET {sets} WHERE {condition_sql}"
        ).fetchall()[0]
        return int(row[0]) if row else 0

    def put_derived(self, name: str, version: int, data: pa.Table) -> None:
        view = f"_canyu_derived_{uuid.uuid4().hex[:12]}"
        self.con.register(view, data)
        try:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(_DERIVED_SCHEMA)}")
            self.con.execute(f"CREATE TABLE {_derived_table(name, version)} AS SELECT * FROM {ident(view)}")
        finally:
            self.con.unregister(view)

    def derived_sources(self) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND database_name = current_database()",
            [_DERIVED_SCHEMA],
        ).fetchall()
        return {str(r[0]): f"{ident(_DERIVED_SCHEMA)}.{ident(str(r[0]))}" for r in sorted(rows)}

    def delete_derived_where(self, table: str, condition_sql: str) -> int:
        row = self.con.execute(
            f"DELETE FROM {ident(_DERIVED_SCHEMA)}.{ident(table)} WHERE {condition_sql}"
        ).fetchall()[0]
        return int(row[0]) if row else 0


def _settings(con: duckdb.DuckDBPyConnection, *, memory_limit: str, temp_dir: Path | None) -> None:
    if memory_limit:
        con.execute(f"SET memory_limit = {literal(memory_limit)}")
    # Track progress (the importer shows it) but never print DuckDB's own bar to stdout,
    # where it would corrupt --json output.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    if temp_dir is not None:
        temp_dir.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {literal(str(temp_dir))}")


def _add_new_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Add the columns a table gained since the file was created (new columns come last, NULL)."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main'"
        " AND database_name = current_database()"
    ).fetchall():
        have.setdefault(table, set()).add(column)
    for name, schema in TABLES.items():
        for c in schema.columns:
            if name in have and c.name not in have[name]:
                con.execute(
                    f"ALTER TABLE main.{ident(name)} ADD COLUMN {ident(c.name)} {_storage_type(c.type)}"
                )


def _storage_type(sql_type: str) -> str:
    return "VARCHAR" if sql_type == "JSON" else sql_type


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DuckDBStore:
    """Tables in one DuckDB file; transactions are DuckDB transactions (WAL-backed).

    A crash or Ctrl-C before COMMIT leaves the file as it was: DuckDB replays
    only committed transactions from its write-ahead log. Reads see the last
    published snapshot (see the module docstring).
    """

    engine = "duckdb"

    def __init__(self, path: Path, *, memory_limit: str = "", temp_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.temp_dir = temp_dir
        self.snapshot_path = self.path.with_name(SNAPSHOT_FILE)
        self._pending = self.path.with_name("canyu.publish-pending")
        self._lock = WriterLock(self.path.with_name("canyu.writer.lock"))
        self._schema_checked: tuple[int, int] | None = None  # (dev, inode) of the file whose DDL ran
        self._batch_con: duckdb.DuckDBPyConnection | None = None  # set inside publish_batch()
        self._republish_if_stale()
        self.con = duckdb.connect()  # the reader: an in-memory kernel with the snapshot attached
        _settings(self.con, memory_limit=memory_limit, temp_dir=temp_dir)
        self._attached: tuple[int, int, int] | None = None
        self._ibis_backend: Any = None  # made on first read: importing Ibis costs ~0.5 s a command
        self._sync()

    # -- publishing ----------------------------------------------------------
    def _open_writer(self, memory_limit: str) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:  # not a DuckDB file, or held by a process that is not canyu's
            raise EngineError(
                f"cannot open the store {self.path}: {exc}", message_zh=f"无法打开数据库 {self.path}：{exc}"
            ) from exc
        try:
            _settings(con, memory_limit=memory_limit or self.memory_limit, temp_dir=self.temp_dir)
            st = os.stat(self.path)
            if self._schema_checked != (st.st_dev, st.st_ino):
                # The tables' DDL costs a tenth of a second a time: run once per file this store has
                # opened (a compacted or recreated file is a new inode and is checked again).
                for schema in TABLES.values():
                    con.execute(schema.ddl())
                _add_new_columns(con)
                self._schema_checked = (st.st_dev, st.st_ino)
        except BaseException:
            con.close()
            raise
        return con

    def _publish(self, con: duckdb.DuckDBPyConnection) -> None:
        """Checkpoint and close the writer, then replace the snapshot with a copy of the file."""
        con.execute("CHECKPOINT")
        con.close()
        tmp = self.path.with_name(f".canyu.snapshot.{uuid.uuid4().hex}.tmp")
        try:
            shutil.copyfile(self.path, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, self.snapshot_path)  # atomic on POSIX: the publish point
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)
        self._pending.unlink(missing_ok=True)

    def _republish_if_stale(self) -> None:
        """Publish the snapshot when it is missing or a crash left it behind the file (if no one writes)."""
        if self.snapshot_path.exists() and not self._pending.exists():
            return
        if not self._lock.try_acquire():
            return  # the writer publishes when it commits
        try:
            for tmp in self.path.parent.glob(".canyu.snapshot.*.tmp"):
                tmp.unlink(missing_ok=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._publish(self._open_writer(""))
        finally:
            self._lock.release()

    # -- reading -------------------------------------------------------------
    def _sync(self) -> None:
        """Attach the newest published snapshot, when it is not the one attached."""
        try:
            st = os.stat(self.snapshot_path)
        except FileNotFoundError:
            if self._attached is None:
                if self.path.exists():
                    raise self._lock.busy_error() from None
                self._bind_views(None)
                self._attached = (0, 0, 0)
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._attached:
            return
        if self._attached not in (None, (0, 0, 0)):
            self.con.execute(f"DETACH {_SNAP}")
        self.con.execute(f"ATTACH {literal(str(self.snapshot_path))} AS {_SNAP} (READ_ONLY)")
        self._attached = stamp
        self._bind_views(_SNAP)

    def _bind_views(self, db: str | None) -> None:
        present: dict[str, set[str]] = {}
        if db is not None:
            for table, column in self.con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = 'main'",
                [db],
            ).fetchall():
                present.setdefault(table, set()).add(column)
        for name, schema in TABLES.items():
            if name in present:
                # a snapshot written before a column was added reads it as NULL
                missing = [c for c in schema.columns if c.name not in present[name]]
                extra = "".join(
                    f", CAST(NULL AS {_storage_type(c.type)}) AS {ident(c.name)}" for c in missing
                )
                body = f"SELECT *{extra} FROM {db}.main.{ident(name)}"
            else:  # a table newer than the snapshot (or no snapshot yet): empty, with its columns
                cols = ", ".join(
                    f"CAST(NULL AS {c.type if c.type != 'JSON' else 'VARCHAR'}) AS {ident(c.name)}"
                    for c in schema.columns
                )
                body = f"SELECT {cols} WHERE false"
            self.con.execute(f"CREATE OR REPLACE VIEW main.{ident(name)} AS {body}")

    def _ibis(self) -> Any:
        if self._ibis_backend is None:
            import ibis

            self._ibis_backend = ibis.duckdb.from_connection(self.con)
        return self._ibis_backend

    def table(self, name: str) -> ibis.Table:
        if name not in TABLES:
            raise KeyError(name)
        self._sync()
        return self._ibis().table(name)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        self._sync()
        return self._ibis().to_pyarrow(expr)

    def has_data(self) -> bool:
        self._sync()
        probe = " UNION ALL ".join(f"(SELECT 1 FROM main.{ident(n)} LIMIT 1)" for n in TABLES)
        return bool(self.con.execute(f"SELECT count(*) FROM ({probe})").fetchall()[0][0])

    # -- writing -------------------------------------------------------------
    @contextmanager
    def transaction(self, *, memory_limit: str = "") -> Iterator[_DuckDBTransaction]:
        if self._batch_con is not None:  # inside publish_batch(): its connection, its publication
            with self._batched_transaction(self._batch_con, memory_limit) as txn:
                yield txn
            return
        self._lock.acquire()
        try:
            con = self._open_writer(memory_limit)
            try:
                self._pending.touch()
                con.execute("BEGIN TRANSACTION")
                try:
                    yield _DuckDBTransaction(con)
                    hold_for_tests()
                except BaseException:
                    con.execute("ROLLBACK")
                    self._pending.unlink(missing_ok=True)  # nothing changed: the snapshot stands
                    raise
                con.execute("COMMIT")
                self._publish(con)
            finally:
                con.close()
        finally:
            self._lock.release()

    @contextmanager
    def _batched_transaction(
        self, con: duckdb.DuckDBPyConnection, memory_limit: str
    ) -> Iterator[_DuckDBTransaction]:
        if memory_limit:
            con.execute(f"SET memory_limit = {literal(memory_limit)}")
        con.execute("BEGIN TRANSACTION")
        try:
            yield _DuckDBTransaction(con)
            hold_for_tests()
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @contextmanager
    def publish_batch(self) -> Iterator[None]:
        """Hold the writer across several transactions and publish the snapshot once, at the end.

        For a writer that commits often (the collector's loader: identity links, then events, for
        each group of spooled segments): each transaction inside still commits on its own (a
        crash keeps every committed one, and the publish-pending mark makes the next process
        republish), but the file is opened once and copied to the snapshot once, instead of per
        transaction; readers see all of them when the block ends. Does not nest.
        """
        if self._batch_con is not None:
            raise EngineError("publish_batch() does not nest", message_zh="publish_batch() 不能嵌套")
        self._lock.acquire()
        try:
            con = self._open_writer("")
            try:
                self._pending.touch()
                self._batch_con = con
                try:
                    yield
                finally:
                    self._batch_con = None
                    # what committed inside becomes visible, also when a later transaction failed
                    self._publish(con)
            finally:
                con.close()
        finally:
            self._lock.release()

    # -- compaction ------------------------------------------------------------
    def compact(self) -> None:
        """Rewrite the file (and the published snapshot) so deleted rows' bytes are gone from disk.

        DuckDB reuses freed blocks but does not overwrite them, so a deleted id stays readable in
        the file after DELETE and CHECKPOINT. Under the writer lock, every table (derived ones too)
        is copied into a fresh file with COPY FROM DATABASE, which is fsynced and renamed over
        ``canyu.duckdb`` (atomic on POSIX; a crash leaves the old file or the new one), then the
        snapshot is republished from it. The old inodes' blocks are released to the filesystem.
        """
        with self._lock.hold():
            con = self._open_writer("")
            con.execute("CHECKPOINT")
            con.close()
            fresh = self.path.with_name(f".canyu.compact.{uuid.uuid4().hex}.tmp")
            try:
                kernel = duckdb.connect()
                try:
                    _settings(kernel, memory_limit=self.memory_limit, temp_dir=self.temp_dir)
                    kernel.execute(f"ATTACH {literal(str(self.path))} AS old_db (READ_ONLY)")
                    kernel.execute(f"ATTACH {literal(str(fresh))} AS new_db")
                    kernel.execute("COPY FROM DATABASE old_db TO new_db")
                    kernel.execute("DETACH new_db")
                    kernel.execute("DETACH old_db")
                finally:
                    kernel.close()
                with open(fresh, "rb+") as fh:
                    os.fsync(fh.fileno())
                self._pending.touch()
                os.replace(fresh, self.path)
                _fsync_dir(self.path.parent)
            except BaseException:
                fresh.unlink(missing_ok=True)
                fresh.with_name(fresh.name + ".wal").unlink(missing_ok=True)
                raise
            self._publish(self._open_writer(""))

    # -- derived tables --------------------------------------------------------
    def write_derived(self, name: str, data: pa.Table, *, params: dict[str, Any] | None = None) -> int:
        with self.transaction() as txn:
            return _derived.write_derived(txn, name, data, params or {})

    def derived_versions(self, name: str) -> pa.Table:
        return self.to_arrow(_derived.derived_versions(self.table("derived"), name))

    def read_derived(self, name: str, version: int | None = None) -> pa.Table | None:
        versions = self.derived_versions(name)
        if version is None:
            version = _derived.latest_version(versions)
        if version is None or version not in versions.column("version").to_pylist():
            return None
        return self.con.sql(f"SELECT * FROM {_SNAP}.{_derived_table(name, int(version))}").to_arrow_table()

    def close(self) -> None:
        self.con.close()
