"""The scale-out engine: Apache Spark over Parquet tables.

Each table is a set of Parquet files under ``<root>/<table>/``; which files
make up the table is recorded in ``<root>/_state.json``. A transaction writes
new files only, then publishes them by replacing ``_state.json`` in one atomic
rename, so a crash leaves the previous state in force; files no state names are
removed the next time the store opens. Spark and the DuckDB write kernel read
the same files, which therefore must be on a filesystem both can see (a local
path, or a shared mount when Spark runs on a cluster).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from canyu.errors import EngineError
from canyu.store._schema import TABLES

__all__ = ["SparkStore", "spark_available"]

_STATE = "_state.json"


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
        f'CAST(NULL AS {c.type if c.type != "JSON" else "VARCHAR"}) AS "{c.name}"'
        for c in TABLES[table].columns
    )
    return f"(SELECT {cols} WHERE false)"


class _SparkTransaction:
    def __init__(self, store: SparkStore, con: duckdb.DuckDBPyConnection) -> None:
        self.store = store
        self.con = con
        self.files: dict[str, list[str]] = {t: list(v) for t, v in store.state.items()}
        self.created: list[Path] = []

    def source(self, table: str) -> str:
        files = self.files.get(table, [])
        if not files:
            return _empty_select(table)
        paths = ", ".join(f"'{self.store.root / f}'" for f in files)
        return f"read_parquet([{paths}])"

    def _write(self, table: str, select_sql: str) -> tuple[str, int]:
        rel = f"{table}/part-{uuid.uuid4().hex}.parquet"
        path = self.store.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self.created.append(path)
        cols = ", ".join(f'"{c}"' for c in TABLES[table].names)
        self.con.execute(
            f"COPY (SELECT {cols} FROM ({select_sql})) TO '{path}' (FORMAT parquet, COMPRESSION zstd)"
        )
        row = self.con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0]
        return rel, int(row[0]) if row else 0

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
                f'CASE WHEN {condition_sql} THEN {expr} ELSE t."{col}" END AS "{col}"'
                for col, expr in assignments.items()
            )
            self.replace(table, f"SELECT * REPLACE ({repl}) FROM {src} AS t")
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
        self._lock_file = open(self.root / "_state.lock", "a+")  # noqa: SIM115 - held for the store's life
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        self.state = self._read_state()
        self._collect_garbage()
        self._session: Any = None
        self._ibis: Any = None
        self._registered: dict[str, tuple[str, ...]] = {}

    # -- state ---------------------------------------------------------------
    def _read_state(self) -> dict[str, list[str]]:
        path = self.root / _STATE
        if not path.exists():
            return {t: [] for t in TABLES}
        data = json.loads(path.read_text(encoding="utf-8"))
        return {t: list(data.get("tables", {}).get(t, [])) for t in TABLES}

    def _write_state(self, files: dict[str, list[str]]) -> None:
        tmp = self.root / f"{_STATE}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": 1, "tables": files}, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / _STATE)  # atomic on POSIX: the commit point
        self.state = {t: list(files.get(t, [])) for t in TABLES}

    def _collect_garbage(self) -> None:
        live = {f for files in self.state.values() for f in files}
        for path in self.root.glob("*/part-*.parquet"):
            if str(path.relative_to(self.root)) not in live:
                path.unlink()
        for tmp in self.root.glob(f"{_STATE}.*.tmp"):
            tmp.unlink()

    # -- writes --------------------------------------------------------------
    @contextmanager
    def transaction(self, *, memory_limit: str = "") -> Iterator[_SparkTransaction]:
        con = duckdb.connect()
        if memory_limit or self.memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit or self.memory_limit}'")
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        if self.temp_dir is not None:
            self.temp_dir.mkdir(parents=True, exist_ok=True)
            con.execute(f"SET temp_directory = '{self.temp_dir}'")
        txn = _SparkTransaction(self, con)
        try:
            yield txn
        except BaseException:
            for path in txn.created:
                path.unlink(missing_ok=True)
            con.close()
            raise
        con.close()
        old = {f for files in self.state.values() for f in files}
        self._write_state(txn.files)
        new = {f for files in txn.files.values() for f in files}
        for rel in old - new:
            (self.root / rel).unlink(missing_ok=True)
        for rel in {f for f in (str(p.relative_to(self.root)) for p in txn.created)} - new:
            (self.root / rel).unlink(missing_ok=True)

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
            self._ibis = ibis.pyspark.connect(self._session)
        return self._session

    def table(self, name: str) -> ibis.Table:
        if name not in TABLES:
            raise KeyError(name)
        session = self._spark()
        files = tuple(str(self.root / f) for f in self.state.get(name, []))
        view = f"canyu_{name}"
        if self._registered.get(name) != files:
            if files:
                df = session.read.parquet(*files)
            else:
                df = session.createDataFrame([], schema=_spark_schema(name))
            df.createOrReplaceTempView(view)
            self._registered[name] = files
        return self._ibis.table(view)

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        self._spark()
        return self._ibis.to_pyarrow(expr)

    def close(self) -> None:
        # The Spark session is shared by the process (getOrCreate); leave it running for reuse.
        fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()


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
