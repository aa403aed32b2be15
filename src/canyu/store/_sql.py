"""Quoting for composed SQL: the one place canyu turns names and values into SQL text.

Every SQL string canyu composes quotes identifiers with :func:`ident` and
values with :func:`literal` (DuckDB's, and the SQL standard's, rules: a quote
inside a quoted string is doubled). Paths with ``'``, ``"``, spaces or Chinese
characters therefore reach the engine intact, and a value can never end the
string it sits in.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Sequence

__all__ = ["ident", "literal", "literal_list", "values_list"]


def ident(name: str) -> str:
    """A quoted SQL identifier: ``o"k`` becomes ``"o""k"``.

    Examples
    --------
    >>> ident('events')
    '"events"'
    >>> ident('a"b')
    '"a""b"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def literal(value: object) -> str:
    """A SQL literal for a string, path, number, bool, date/time or None.

    Examples
    --------
    >>> literal("o'brien")
    "'o''brien'"
    >>> literal(None), literal(3), literal(True)
    ('NULL', '3', 'true')
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f"CAST({literal(str(value))} AS DOUBLE)"
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP {literal(value.isoformat(sep=' '))}"
    if isinstance(value, dt.date):
        return f"DATE {literal(value.isoformat())}"
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, bytes):
        raise TypeError("bytes have no SQL literal here; hex-encode them")
    text = str(value)
    if "\0" in text:
        raise ValueError("a SQL string literal cannot hold a NUL character")
    return "'" + text.replace("'", "''") + "'"


def literal_list(values: Iterable[object]) -> str:
    """A SQL list literal ``[v1, v2, ...]`` (for ``read_parquet([...])`` and the like)."""
    return "[" + ", ".join(literal(v) for v in values) + "]"


def values_list(rows: Iterable[Sequence[object]]) -> str:
    """The rows of a ``VALUES`` clause: ``(1, 'a'), (2, 'b')``."""
    return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
