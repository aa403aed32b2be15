"""The workspace store: the only engine-aware code in canyu.

``open_store`` returns a :class:`Store` on DuckDB (embedded, default) or Spark
(PySpark over Parquet). Analytics receive Ibis tables from it; ingest and
privacy code write through its transactions.
"""

from __future__ import annotations

from pathlib import Path

from canyu.errors import UnknownNameError
from canyu.store._base import Store, Transaction
from canyu.store._schema import IMPORTABLE, TABLES, Column, TableSchema
from canyu.store._spark import spark_available

__all__ = [
    "ENGINES",
    "IMPORTABLE",
    "TABLES",
    "Column",
    "Store",
    "TableSchema",
    "Transaction",
    "open_store",
    "spark_available",
]

ENGINES = ("duckdb", "spark")


def open_store(
    workspace: Path,
    *,
    engine: str = "duckdb",
    spark_master: str = "local[*]",
    spark_path: Path | None = None,
    memory_limit: str = "",
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
    """
    workspace = Path(workspace)
    tmp = workspace / ".tmp"
    if engine == "duckdb":
        from canyu.store._duckdb import DuckDBStore

        return DuckDBStore(workspace / "canyu.duckdb", memory_limit=memory_limit, temp_dir=tmp)
    if engine == "spark":
        from canyu.store._spark import SparkStore

        return SparkStore(
            spark_path or workspace / "spark", master=spark_master, memory_limit=memory_limit, temp_dir=tmp
        )
    raise UnknownNameError("engine", engine, ENGINES)
