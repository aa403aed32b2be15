"""Path tables: customer journeys aggregated by their sequence of touches.

A path table is the input of every attribution model. On disk it is the CSV
format of the ChannelAttribution package (Altomare & Loris): one row per
distinct path, with the columns ``path`` (touches joined by ``" > "``),
``total_conversions``, ``total_conversion_value`` and ``total_null`` (journeys
on that path that did not convert). In memory it is :class:`PathTable`: the
touches of all paths in one integer array indexed CSR-style by ``indptr``, so
that models work on numpy arrays and never on strings.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from canyu.errors import IngestError, InvalidArgumentError

__all__ = ["PATH_COLUMNS", "PathTable", "read_path_csv", "write_path_csv"]

PATH_COLUMNS = ("path", "total_conversions", "total_conversion_value", "total_null")
"""Columns of a path table file; only the first two are required."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class PathTable:
    """Journeys aggregated by path, integer-encoded.

    Attributes
    ----------
    channels
        Channel (or path element) names; a touch is an index into this tuple.
    indptr
        ``int64`` array of length ``n_paths + 1``; the touches of path ``i``
        are ``touches[indptr[i]:indptr[i + 1]]``. Every path has a touch.
    touches
        ``int64`` array of channel codes, in journey order.
    conversions, value, nulls
        ``float64`` arrays of length ``n_paths``: conversions, conversion value
        and non-converting journeys on each path.
    """

    channels: tuple[str, ...]
    indptr: IntArray
    touches: IntArray
    conversions: FloatArray
    value: FloatArray
    nulls: FloatArray

    def __post_init__(self) -> None:
        n = len(self.indptr) - 1
        if n < 0 or self.indptr[0] != 0 or self.indptr[-1] != len(self.touches):
            raise InvalidArgumentError(
                "indptr", "…", "offsets 0..len(touches)", reason="indptr does not index touches"
            )
        if np.any(np.diff(self.indptr) < 1):
            raise InvalidArgumentError(
                "indptr",
                "…",
                "one touch or more per path",
                reason="every path needs at least one touch",
                reason_zh="每条路径至少需要一个触点",
            )
        if not (len(self.conversions) == len(self.value) == len(self.nulls) == n):
            raise InvalidArgumentError(
                "conversions, value, nulls",
                "…",
                "one entry per path",
                reason="conversions, value and nulls need one entry per path",
            )
        if len(self.touches) and (self.touches.min() < 0 or self.touches.max() >= len(self.channels)):
            raise InvalidArgumentError(
                "touches", "…", "codes of channels", reason="a touch code is outside channels"
            )

    # -- shape -----------------------------------------------------------------
    @property
    def n_paths(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @cached_property
    def lengths(self) -> IntArray:
        """Number of touches of each path."""
        return np.diff(self.indptr)

    @cached_property
    def touch_path(self) -> IntArray:
        """For each touch, the index of its path."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @cached_property
    def touch_position(self) -> IntArray:
        """For each touch, its 0-based position within its path."""
        return np.arange(len(self.touches), dtype=np.int64) - self.indptr[self.touch_path]

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    # -- transforms --------------------------------------------------------------
    def collapse_repeats(self) -> PathTable:
        """The same table with runs of one channel merged into one touch (``a > a > b`` → ``a > b``)."""
        keep = np.ones(len(self.touches), dtype=bool)
        keep[1:] = (self.touches[1:] != self.touches[:-1]) | (self.touch_position[1:] == 0)
        kept_per_path = np.bincount(self.touch_path[keep], minlength=self.n_paths)
        indptr = np.concatenate(([0], np.cumsum(kept_per_path))).astype(np.int64)
        return PathTable(self.channels, indptr, self.touches[keep], self.conversions, self.value, self.nulls)

    # -- conversions -------------------------------------------------------------
    @classmethod
    def from_sequences(
        cls,
        paths: Iterable[Sequence[str]],
        conversions: Sequence[float],
        value: Sequence[float] | None = None,
        nulls: Sequence[float] | None = None,
    ) -> PathTable:
        """Build from Python sequences of channel names (convenient in tests and notebooks)."""
        seqs = [list(p) for p in paths]
        tokens = [t for p in seqs for t in p]
        lengths = np.array([len(p) for p in seqs], dtype=np.int64)
        n = len(seqs)
        return _encode(
            tokens,
            lengths,
            np.asarray(conversions, dtype=np.float64),
            np.zeros(n) if value is None else np.asarray(value, dtype=np.float64),
            np.zeros(n) if nulls is None else np.asarray(nulls, dtype=np.float64),
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, sep: str = ">", source: str = "<frame>") -> PathTable:
        """Build from a DataFrame with the :data:`PATH_COLUMNS` (``path`` and ``total_conversions`` required).

        Whitespace around ``sep`` is ignored, so ``"a > b"`` and ``"a>b"`` are the same path.
        Raises :class:`~canyu.errors.IngestError` naming the row (the line number in a
        file with a header line) and field of the first bad value.
        """
        columns = {str(c).strip().lower(): c for c in frame.columns}
        for required in PATH_COLUMNS[:2]:
            if required not in columns:
                raise IngestError(
                    f"missing column {required!r}; found {sorted(columns)}",
                    file=source,
                    field=required,
                    message_zh=f"缺少列 {required!r}",
                )
        numbers = {}
        for name in PATH_COLUMNS[1:]:
            if name in columns:
                numbers[name] = _numeric_column(
                    frame[columns[name]], name, source, required=name == PATH_COLUMNS[1]
                )
            else:
                numbers[name] = np.zeros(len(frame))
        codes, names, lengths = _split_paths(frame[columns["path"]], sep, source)
        indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return PathTable(
            names,
            indptr,
            codes,
            numbers["total_conversions"],
            numbers["total_conversion_value"],
            numbers["total_null"],
        )

    def to_frame(self, *, sep: str = " > ") -> pd.DataFrame:
        """The table in ChannelAttribution's format, one row per path."""
        names = np.asarray(self.channels, dtype=object)[self.touches]
        paths = [sep.join(names[a:b]) for a, b in zip(self.indptr[:-1], self.indptr[1:], strict=True)]
        return pd.DataFrame(
            {
                "path": paths,
                "total_conversions": self.conversions,
                "total_conversion_value": self.value,
                "total_null": self.nulls,
            }
        )


def read_path_csv(file: str | Path, *, path_sep: str = ">") -> PathTable:
    """Read a ChannelAttribution path CSV; the field separator (``,`` or ``;``) is detected.

    Parameters
    ----------
    file
        CSV with a header line naming ``path``, ``total_conversions`` and optionally
        ``total_conversion_value`` and ``total_null``.
    path_sep
        Separator between touches inside ``path``; surrounding spaces are ignored.

    Raises
    ------
    canyu.errors.IngestError
        The file cannot be read, a column is missing, or a row holds a bad value
        (``row`` is the line number in the file, the header being line 1).
    """
    name = str(file)
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(
            f"cannot read path file: {exc}", file=name, message_zh=f"无法读取路径文件：{exc}"
        ) from exc
    delimiter = ";" if header.count(";") > header.count(",") else ","
    try:
        frame = pd.read_csv(
            file,
            sep=delimiter,
            keep_default_na=False,  # an empty cell stays "" (and is reported), not NaN
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise IngestError(f"not a valid CSV: {exc}", file=name, message_zh=f"不是有效的 CSV：{exc}") from exc
    return PathTable.from_frame(frame, sep=path_sep, source=name)


def write_path_csv(
    paths: PathTable, file: str | Path, *, delimiter: str = ",", path_sep: str = " > "
) -> None:
    """Write ``paths`` in ChannelAttribution's CSV format."""
    paths.to_frame(sep=path_sep).to_csv(file, sep=delimiter, index=False, quoting=csv.QUOTE_MINIMAL)


# -- helpers -----------------------------------------------------------------------
def _numeric_column(column: pd.Series, name: str, source: str, *, required: bool) -> FloatArray:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        empty = np.isnan(values)
        if not required:
            values = np.where(empty, 0.0, values)
    else:  # text: a file with a bad or empty cell, or a frame of strings
        text = column.astype("string").str.strip()
        empty = (text.isna() | text.eq("")).to_numpy()
        values = pd.to_numeric(text.mask(empty, "0"), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    bad = np.isnan(values) | ~np.isfinite(values) | (values < 0)
    if required:
        bad |= empty
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = column.iloc[i]
        raise IngestError(
            f"{name} must be a non-negative number, got {raw!r}",
            file=source,
            row=i + 2,
            field=name,
            value=raw,
            message_zh=f"{name} 必须是非负数，实际为 {raw!r}",
        )
    return np.ascontiguousarray(values, dtype=np.float64)


def _split_paths(raw: pd.Series, sep: str, source: str) -> tuple[IntArray, tuple[str, ...], IntArray]:
    """Touch codes, sorted channel names and path lengths, split in Arrow (no Python loop per row)."""
    arr = pa.array(raw, from_pandas=True)
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    missing = np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))
    if len(missing):
        row = int(missing[0])
        raise IngestError(
            "empty path", file=source, row=row + 2, field="path", value=None, message_zh="路径为空"
        )
    parts = pc.split_pattern(arr, pattern=sep)
    lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False).astype(np.int64)
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    empty = np.flatnonzero(pc.equal(pc.utf8_length(tokens), 0).to_numpy(zero_copy_only=False))
    if len(empty):
        row = int(np.searchsorted(np.cumsum(lengths), empty[0], side="right"))
        value = raw.iloc[row]
        raise IngestError(
            f"path {value!r} has an empty touch",
            file=source,
            row=row + 2,
            field="path",
            value=value,
            message_zh=f"路径 {value!r} 含有空的触点",
        )
    encoded = (
        pc.dictionary_encode(tokens).combine_chunks()
        if isinstance(tokens, pa.ChunkedArray)
        else (pc.dictionary_encode(tokens))
    )
    names = encoded.dictionary.to_pylist()
    order = np.argsort(np.asarray(names, dtype=object)) if names else np.zeros(0, dtype=np.int64)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return codes, tuple(str(names[i]) for i in order), lengths


def _encode(
    tokens: list[str], lengths: IntArray, conversions: FloatArray, value: FloatArray, nulls: FloatArray
) -> PathTable:
    codes, names = pd.factorize(np.asarray(tokens, dtype=object), sort=True)
    indptr = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return PathTable(
        tuple(str(n) for n in names),
        indptr,
        codes.astype(np.int64),
        np.ascontiguousarray(conversions, dtype=np.float64),
        np.ascontiguousarray(value, dtype=np.float64),
        np.ascontiguousarray(nulls, dtype=np.float64),
    )
