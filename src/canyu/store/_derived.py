"""Derived tables (tokens, topics, model fits, plans) written back through the store, versioned.

Each write of a name is a new version (1, 2, ...); the ``derived`` catalogue
table records name, version, creation time, the parameters (JSON) and the row
count, in the same transaction as the data, so a version is listed exactly
when its rows are there. Engines store the rows themselves (``put_derived``
and ``_derived_data``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from canyu.errors import EngineError
from canyu.store._sql import literal

if TYPE_CHECKING:
    import ibis

    from canyu.store._base import Transaction

__all__ = ["check_derived_name", "derived_versions", "latest_version", "write_derived"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_derived_name(name: str) -> str:
    """``name`` if it is a valid derived-table name (lower case, digits, ``_``), else an error."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise EngineError(
            f"{name!r} is not a valid derived-table name (lower-case letters, digits and _, starting"
            " with a letter)",
            message_zh=f"{name!r} 不是有效的派生表名（小写字母、数字和下划线，以字母开头）",
        )
    return name


def write_derived(
    txn: Transaction, name: str, data: pa.Table | pa.RecordBatch, params: dict[str, Any]
) -> int:
    """Write ``data`` as the next version of ``name`` in ``txn``; return the version."""
    check_derived_name(name)
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if not isinstance(data, pa.Table):
        raise EngineError(
            f"a derived table must be a pyarrow Table, got {type(data).__name__}",
            message_zh=f"派生表必须是 pyarrow Table，而不是 {type(data).__name__}",
        )
    try:
        params_json = json.dumps(params, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError) as exc:
        raise EngineError(
            f"the parameters of {name!r} are not JSON: {exc}",
            message_zh=f"{name!r} 的参数无法写成 JSON：{exc}",
        ) from exc
    [(latest,)] = txn.con.execute(
        f"SELECT coalesce(max(version), 0) FROM {txn.source('derived')} WHERE name = {literal(name)}"
    ).fetchall()
    version = int(latest) + 1
    txn.put_derived(name, version, data)
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    txn.append(
        "derived",
        f"SELECT {literal(name)} AS name, {version}::BIGINT AS version, {literal(created)} AS created,"
        f" {literal(params_json)} AS params, {data.num_rows}::BIGINT AS rows",
    )
    return version


def derived_versions(catalogue: ibis.Table, name: str) -> ibis.Table:
    """The catalogue rows of ``name``, oldest first, as an Ibis expression."""
    check_derived_name(name)
    return (
        catalogue.filter(catalogue.name == name)
        .select("version", "created", "params", "rows")
        .order_by("version")
    )


def latest_version(versions: pa.Table) -> int | None:
    """The newest version in a :func:`derived_versions` result, None when empty."""
    if versions.num_rows == 0:
        return None
    return int(max(versions.column("version").to_pylist()))
