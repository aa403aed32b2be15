"""The scale-out engine: Apache Spark over Parquet tables.

Each table is a set of Parquet files under ``<root>/<table>/``; which files
make up the table is recorded in ``<root>/_state.json``. A transaction writes
new files only, then publishes them by replacing ``_state.json`` in one atomic
rename, so a crash leaves the previous state in force. Spark and the DuckDB
write kernel read the same files, which therefore must be on a filesystem both
can see (a local path, or a shared mount when Spark runs on a cluster).

Many readers, one writer: a transaction holds the exclusive writer lock
(``_writer.lock``, taken without waiting: a second writer is told who is
writing). Every open store holds ``_readers.lock`` shared, and re-reads
``_state.json`` whenever it changed, so it reads the last committed state. A
file no state names any more is deleted only by a process that holds the
writer lock *and* the readers lock alone, i.e. when no reader could still be
reading it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from canyu.errors import EngineError
from canyu.store import _derived
from canyu.store._base import hold_for_tests
from canyu.store._locks import SharedLock, WriterLock
from canyu.store._schema import TABLES
from canyu.store._sql import ident, literal, literal_list

if TYPE_CHECKING:
    import ibis

__all__ = ["SparkStore", "spark_available", "spark_state_has_data"]

_STATE = "_state.json"


def spark_state_has_data(root: Path) -> bool:
    """Whether the Spark tables under ``root`` hold any row (any table names a file)."""
    path = Path(root) / _STATE
    if not path.exists():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return any(data.get("tables", {}).get(t) for t in TABLES)


def spark_available() -> str | None:
    """None when Spark can run here, else the reason it cannot."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'canyu[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (Spark needs Java 17)"
    return None


def _empty_select(table: str) -> str:
    cols = ", ".join(
        f"CAST(NULL AS {c.type if c.type != 'JSON' else 'VARCHAR'}) AS {ident(c.name)}"
        for c in TABLES[table].columns
    )
    return f"(SELECT {cols} WHERE false)"


class _SparkTransaction:
    def __init__(self, store: SparkStore, con: duckdb.DuckDBPyConnection) -> None:
        self.store = store
        self.con = con
        self.files: dict[str, list[str]] = {t: list(v) for t, v in store.state.items()}
        self.derived: dict[str, dict[str, str]] = {k: dict(v) for k, v in store.derived.items()}
        self.created: list[Path] = []

    def source(self, table: str) -> str:
        files = self.files.get(table, [])
        if not files:
            return _empty_select(table)
        # union_by_name: files written before a column was added to the table read it as NULL
        return f"read_parquet({literal_list(str(self.store.root / f) for f in files)}, union_by_name = true)"

    def _write(self, table: str, select_sql: str) -> tuple[str, int]:
        rel = f"{table}/part-{uuid.uuid4().hex}.parquet"
        path = self.store.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.created.append(path)
        cols = ", ".join(ident(c) for c in TABLES[table].names)
        self.con.execute(
            f"COPY (SELECT {cols} FROM ({select_sql})) TO {literal(str(path))} (FORMAT parquet, COMPRESSION zstd)"
        )
        return rel, pq.ParquetFile(path).metadata.num_rows

    def append(self, table: str, select_sql: str) -> int:
        # Materialize first: the query may read the table's own files.
        rel, n = self._write(table, select_sql)
        if n == 0:
            (self.store.root / rel).unlink()
            return 0
        self.files.setdefault(table, []).append(rel)
        return n

    def replace(self, table: str, select_sql: str) -> None:
        rel, n = self._write(table, select_sql)
        if n == 0:
            (self.store.root / rel).unlink()
            self.files[table] = []
        else:
            self.files[table] = [rel]

    def delete_where(self, table: str, condition_sql: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {self.source(table)} WHERE {condition_sql}").fetchall()[
            0
        ]
        n = int(row[0]) if row else 0
        if n:
            self.replace(table, f"SELECT * FROM {self.source(table)} WHERE NOT ({condition_sql})")
        return n

    def update(self, table: str, assignments: dict[str, str], condition_sql: str) -> int:
        src = self.source(table)
        row = self.con.execute(f"SELECT count(*) FROM {src} AS t WHERE {condition_sql}").fetchall()[0]
        n = int(row[0]) if row else 0
        if n:
            repl = ", ".join(
                f"CASE WHEN {condition_sql} THEN {expr} ELSE t.{ident(col)} END AS {ident(col)}"
                for col, expr in assignments.items()
            )
            self.replace(table, f"SELECT * REPLACE ({repl}) FROM {src} AS t")
        return n

    def put_derived(self, name: str, version: int, data: pa.Table) -> None:
        rel = f"_derived/{name}/v{version}-{uuid.uuid4().hex}.parquet"
        path = self.store.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.created.append(path)
        pq.write_table(data, path, compression="zstd")
        self.derived.setdefault(name, {})[str(version)] = rel

    def derived_sources(self) -> dict[str, str]:
        return {
            f"{name}__v{version}": f"read_parquet({literal(str(self.store.root / rel))})"
            for name, versions in sorted(self.derived.items())
            for version, rel in sorted(versions.items())
        }

    def delete_derived_where(self, table: str, condition_sql: str) -> int:
        """Rewrite the version's file without the matching rows (the old file goes with the next
        garbage collection, once no reader holds it)."""
        name, _, version = table.rpartition("__v")
        old = self.derived.get(name, {}).get(version)
        if old is None:
            return 0
        src = f"read_parquet({literal(str(self.store.root / old))})"
        row = self.con.execute(f"SELECT count(*) FROM {src} WHERE {condition_sql}").fetchall()[0]
        n = int(row[0]) if row else 0
        if n:
            rel = f"_derived/{name}/v{version}-{uuid.uuid4().hex}.parquet"
            path = self.store.root / rel
            self.created.append(path)
            self.con.execute(
                f"COPY (SELECT * FROM {src} WHERE NOT ({condition_sql})) TO {literal(str(path))}"
                " (FORMAT parquet, COMPRESSION zstd)"
            )
            self.derived[name][version] = rel
        return n


class SparkStore:
    """Tables as Parquet files read by a Spark session (``local[*]`` or a cluster master URL)."""

    engine = "spark"

    def __init__(
        self, root: Path, *, master: str = "local[*]", memory_limit: str = "", temp_dir: Path | None = None
    ) -> None:
        reason = spark_available()
        if reason:
            raise EngineError(
                f"the Spark engine is unavailable: {reason}", message_zh=f"Spark 引擎不可用：{reason}"
            )
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.master = master
        self.memory_limit = memory_limit
        self.temp_dir = temp_dir
        self._writer = WriterLock(self.root / "_writer.lock")
        self._readers = SharedLock(self.root / "_readers.lock")
        self.state: dict[str, list[str]] = {t: [] for t in TABLES}
        self.derived: dict[str, dict[str, str]] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._refresh_state()
        if self._writer.try_acquire():  # tidy up after crashed writers, when no one writes or reads
            try:
                self._collect_garbage()
            finally:
                self._writer.release()
        self._readers.share()
        self._session: Any = None
        self._ibis: Any = None
        self._token = hashlib.md5(str(self.root.resolve()).encode(), usedforsecurity=False).hexdigest()[:8]
        self._registered: dict[str, tuple[str, ...]] = {}

    # -- state ---------------------------------------------------------------
    def _refresh_state(self) -> None:
        """Re-read ``_state.json`` when another process (or this one) has published a new one."""
        path = self.root / _STATE
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        data = json.loads(path.read_text(encoding="utf-8"))
        self.state = {t: list(data.get("tables", {}).get(t, [])) for t in TABLES}
        self.derived = {k: dict(v) for k, v in data.get("derived", {}).items()}
        self._stamp = stamp

    def _write_state(self, files: dict[str, list[str]], derived: dict[str, dict[str, str]]) -> None:
        tmp = self.root / f"{_STATE}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": 2, "tables": files, "derived": derived}, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / _STATE)  # atomic on POSIX: the commit point
        self._stamp = None
        self._refresh_state()

    def _collect_garbage(self) -> None:
        """Delete files no state names, if no reader holds the readers lock (the writer lock is held)."""
        if not self._readers.try_alone():
            self._readers.share()
            return
        try:
            live = {f for files in self.state.values() for f in files}
            live |= {f for versions in self.derived.values() for f in versions.values()}
            for path in [*self.root.glob("*/part-*.parquet"), *self.root.glob("_derived/*/*.parquet")]:
                if path.relative_to(self.root).as_posix() not in live:
                    path.unlink(missing_ok=True)
            for tmp in self.root.glob(f"{_STATE}.*.tmp"):
                tmp.unlink(missing_ok=True)
        finally:
            self._readers.share()

    # -- writes --------------------------------------------------------------
    @contextmanager
    def transaction(self, *, memory_limit: str = "") -> Iterator[_SparkTransaction]:
        self._writer.acquire()
        try:
            self._refresh_state()
            con = duckdb.connect()
            try:
                if memory_limit or self.memory_limit:
                    con.execute(f"SET memory_limit = {literal(memory_limit or self.memory_limit)}")
                con.execute("SET enable_progress_bar = true")
                con.execute("SET enable_progress_bar_print = false")
                if self.temp_dir is not None:
                    self.temp_dir.mkdir(parents=True, exist_ok=True)
                    con.execute(f"SET temp_directory = {literal(str(self.temp_dir))}")
                txn = _SparkTransaction(self, con)
                try:
                    yield txn
                    hold_for_tests()
                except BaseException:
                    for path in txn.created:
                        path.unlink(missing_ok=True)
                    raise
            finally:
                con.close()
            self._write_state(txn.files, txn.derived)
            self._collect_garbage()
        finally:
            self._writer.release()

    # -- reads ---------------------------------------------------------------
    def _spark(self) -> Any:
        if self._session is None:
            if self.master.startswith("local"):
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from pyspark.sql import SparkSession

            self._session = (
                SparkSession.builder.master(self.master)
                .appName("canyu")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
                .getOrCreate()
            )
            self._session.sparkContext.setLogLevel("ERROR")
            import ibis  # here: importing Ibis costs ~0.5 s a command, and only reads need it

            self._ibis = ibis.pyspark.connect(self._session)
        return self._session

    def _register(self, name: str) -> str:
        """(Re)register the temp view of ``name`` over the files of the current state."""
        session = self._spark()
        files = tuple(str(self.root / f) for f in self.state.get(name, []))
        view = f"canyu_{self._token}_{name}"
        if self._registered.get(name) != files:
            if files:
                df = session.read.option("mergeSchema", "true").parquet(*files)
            else:
                df = session.createDataFrame([], schema=_spark_schema(name))
            df.createOrReplaceTempView(view)
            self._registered[name] = files
        return view

    def table(self, name: str) -> ibis.Table:
        if name not in TABLES:
            raise KeyError(name)
        self._refresh_state()
        view = self._register(name)
        return self._ibis.table(view)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        self._spark()
        self._refresh_state()
        for name in list(self._registered):  # expressions name views: point them at the newest files
            self._register(name)
        return self._ibis.to_pyarrow(expr)

    def has_data(self) -> bool:
        self._refresh_state()
        return any(self.state.values())

    # -- derived tables --------------------------------------------------------
    def write_derived(self, name: str, data: pa.Table, *, params: dict[str, Any] | None = None) -> int:
        with self.transaction() as txn:
            return _derived.write_derived(txn, name, data, params or {})

    def derived_versions(self, name: str) -> pa.Table:
        # The catalogue is small: read it with the kernel, not a Spark job.
        _derived.check_derived_name(name)
        self._refresh_state()
        files = self.state.get("derived", [])
        src = (
            f"read_parquet({literal_list(str(self.root / f) for f in files)})"
            if files
            else _empty_select("derived")
        )
        con = duckdb.connect()
        try:
            return con.sql(
                f"SELECT version, created, params, rows FROM {src} WHERE name = {literal(name)} ORDER BY version"
            ).to_arrow_table()
        finally:
            con.close()

    def read_derived(self, name: str, version: int | None = None) -> pa.Table | None:
        _derived.check_derived_name(name)
        versions = self.derived_versions(name)
        if version is None:
            version = _derived.latest_version(versions)
        rel = self.derived.get(name, {}).get(str(version)) if version is not None else None
        if rel is None:
            return None
        return pq.read_table(self.root / rel)

    def close(self) -> None:
        # The Spark session is shared by the process (getOrCreate); leave it running for reuse.
        self._readers.close()


def _spark_schema(table: str) -> Any:
    from pyspark.sql import types as T

    kinds = {
        "VARCHAR": T.StringType(),
        "JSON": T.StringType(),
        "TIMESTAMP": T.TimestampNTZType(),
        "DATE": T.DateType(),
        "DOUBLE": T.DoubleType(),
        "BIGINT": T.LongType(),
    }
    return T.StructType([T.StructField(c.name, kinds[c.type], True) for c in TABLES[table].columns])
