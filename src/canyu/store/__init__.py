"""The workspace store: the only engine-aware code in canyu, and the only code that writes SQL.

``open_store`` returns a :class:`Store` on DuckDB (embedded, default) or Spark
(PySpark over Parquet). Analytics receive Ibis tables from it; ingest writes
through its transactions; identity resolution and forgetting a person are
store operations (:func:`resolve_identities`, :func:`forget_person`). Many
readers, one writer: reads see the last committed state and never wait; a
transaction takes the workspace's writer lock.
"""

from __future__ import annotations

from pathlib import Path

from canyu.errors import EngineError, UnknownNameError
from canyu.store._base import TEST_WRITE_GATE, Store, Transaction
from canyu.store._forget import ForgetResult, forget_person
from canyu.store._identity import person_id_sql, resolve_identities
from canyu.store._schema import IMPORTABLE, TABLES, Column, TableSchema
from canyu.store._spark import spark_available, spark_state_has_data
from canyu.store._sql import ident, literal, literal_list, values_list

__all__ = [
    "ENGINES",
    "IMPORTABLE",
    "TABLES",
    "TEST_WRITE_GATE",
    "Column",
    "ForgetResult",
    "Store",
    "TableSchema",
    "Transaction",
    "forget_person",
    "ident",
    "literal",
    "literal_list",
    "open_store",
    "person_id_sql",
    "resolve_identities",
    "spark_available",
    "values_list",
]

ENGINES = ("duckdb", "spark")


def _duckdb_has_data(workspace: Path) -> bool:
    """Whether the workspace's DuckDB store holds rows (read from its snapshot; never locks the file)."""
    from canyu.store._duckdb import SNAPSHOT_FILE

    snapshot = workspace / SNAPSHOT_FILE
    target = snapshot if snapshot.exists() else workspace / "canyu.duckdb"
    if not target.exists():
        return False
    import duckdb

    try:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH {literal(str(target))} AS ws (READ_ONLY)")
            present = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'ws' AND schema_name = 'main'"
                ).fetchall()
            }
            probe = " UNION ALL ".join(
                f"(SELECT 1 FROM ws.main.{ident(n)} LIMIT 1)" for n in TABLES if n in present
            )
            return bool(probe) and bool(con.execute(f"SELECT count(*) FROM ({probe})").fetchall()[0][0])
        finally:
            con.close()
    except duckdb.Error:  # locked by an old canyu that holds the file, or not a DuckDB file
        return False


def _wrong_engine(engine: str, other: str, where: Path) -> EngineError:
    return EngineError(
        f"the {engine} engine has no data for this workspace, but the {other} engine has ({where}):"
        f" open it with --engine {other} (or set [engine] name = {other!r} in canyu.toml)",
        message_zh=f"{engine} 引擎中没有此工作区的数据，而 {other} 引擎中有（{where}）："
        f"请使用 --engine {other} 打开（或在 canyu.toml 的 [engine] 中设置 name = {other!r}）",
    )


def open_store(
    workspace: Path,
    *,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    spark_path: Path | None = None,
    memory_limit: str = "",
    check_other_engine: bool = True,
) -> Store:
    """Open (creating if needed) the store of the workspace at ``workspace``.

    Parameters
    ----------
    workspace
        The workspace folder.
    engine
        ``duckdb`` (the file ``canyu.duckdb``) or ``spark`` (Parquet under
        ``spark_path``, default ``<workspace>/spark``).
    spark_master
        Spark master URL: ``local[*]`` or a cluster's ``spark://host:port``.
    check_other_engine
        Refuse (:class:`~canyu.errors.EngineError`) to open an engine that has no
        data when the other engine has data for this workspace.
    """
    workspace = Path(workspace)
    tmp = workspace / ".tmp"
    spark_root = spark_path or workspace / "spark"
    if engine == "duckdb":
        from canyu.store._duckdb import SNAPSHOT_FILE, DuckDBStore

        fresh = not (workspace / "canyu.duckdb").exists() and not (workspace / SNAPSHOT_FILE).exists()
        if check_other_engine and fresh and spark_state_has_data(spark_root):
            raise _wrong_engine("duckdb", "spark", spark_root)
        store = DuckDBStore(workspace / "canyu.duckdb", memory_limit=memory_limit, temp_dir=tmp)
        if check_other_engine and not fresh and spark_state_has_data(spark_root) and not store.has_data():
            store.close()
            raise _wrong_engine("duckdb", "spark", spark_root)
        return store
    if engine == "spark":
        from canyu.store._spark import SparkStore

        if check_other_engine and not spark_state_has_data(spark_root) and _duckdb_has_data(workspace):
            raise _wrong_engine("spark", "duckdb", workspace / "canyu.duckdb")
        return SparkStore(spark_root, master=spark_master, memory_limit=memory_limit, temp_dir=tmp)
    raise UnknownNameError("engine", engine, ENGINES)
