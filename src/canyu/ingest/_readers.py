"""Readers: turn an input file into a relation of text columns in the DuckDB kernel.

Every reader yields all source columns as VARCHAR (typing is the validator's
job, so a bad value becomes a quarantined row, not a failed import) plus the
ordinal ``_rn`` of each record. Readers register by format name.

- CSV/TSV: DuckDB's parallel CSV reader (``store_rejects`` keeps structurally
  broken lines, and lines with bytes that are not UTF-8, with their line
  numbers). Files in GB18030/GBK or UTF-16 are first transcoded to UTF-8 in a
  temporary file, because DuckDB reads only UTF-8 without extensions that
  cannot be installed offline; a line whose bytes are not valid in the file's
  encoding is marked so DuckDB rejects it too, and the rest of the file loads.
- XLSX: openpyxl in read-only mode, streamed into a temporary Parquet file;
  merged cells are filled with their value, formulas without a saved value
  quarantine their row, a workbook with several filled sheets needs a sheet name.
- HTML tables saved as .xls (WeChat's user_analysis.xls): the first table.
- JSON Lines: parsed line by line, so a broken line (or one with bytes that are
  not in the file's encoding) is quarantined with its line number.
- JSON documents (API responses): the records at the mapping's ``records`` path,
  nested objects as dotted columns (``order_info.tid``).
- Parquet: read in place; zone-aware timestamps are kept as instants.

Temporary files live in a private (0700) folder per import, removed when the
import ends however it ends, and at the next import after a kill.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import html.parser
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from canyu.errors import IngestError, UnknownNameError
from canyu.ingest._mapping import FORMATS, Mapping
from canyu.store import ident as _ident
from canyu.store import literal as _quote

__all__ = [
    "READERS",
    "Source",
    "StructuralReject",
    "clean_stale_temp",
    "detect_encoding",
    "detect_format",
    "file_headers",
    "open_source",
]

_BATCH = 50_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class StructuralReject:
    """A record the reader could not split into fields (a broken line); ``key``/``args`` name the reason."""

    row: int
    key: str
    args: dict[str, object]
    raw: str


@dataclass
class Source:
    """A file opened for import: ``relation`` is SQL usable after FROM in the kernel."""

    file: str
    format: str
    relation: str
    columns: list[str]
    encoding: str
    # "exact": the relation has a _row column with the file's row number;
    # "csv": row numbers are computed from _rn and the rejected lines.
    row_kind: str = "exact"
    header_row: int = 1
    rejects_table: str | None = None
    rejects: list[StructuralReject] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)
    work_dir: Path | None = None

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    def raw_lines(self, lines: Iterable[int]) -> dict[int, str]:
        """The file's own text of ``lines`` (1-based), undecodable bytes shown escaped (``\\xff``)."""
        wanted = set(lines)
        found: dict[int, str] = {}
        if not wanted or self.encoding.startswith("utf-16"):
            return found
        last = max(wanted)
        with open(self.file, "rb") as fh:
            for i, line in enumerate(fh, start=1):
                if i in wanted:
                    found[i] = line.rstrip(b"\r\n").decode(self.encoding, errors="backslashreplace")
                if i >= last:
                    break
        return found


_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a real (BIFF) .xls


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip().lower()
    return head.startswith(b"<") and (
        b"<table" in head or b"<html" in head or b"<!doctype" in head or b"<meta" in head
    )


def _looks_like_json_document(path: Path) -> bool:
    """A .json file holding one document (an API response), not one object per line."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16).lstrip(codecs.BOM_UTF8).lstrip()
    if head.startswith(b"["):
        return True
    if not head.startswith(b"{"):
        return False
    first = head.split(b"\n", 1)[0]
    try:
        json.loads(first)
        return False  # the first line is a whole object: JSON Lines
    except ValueError:
        return True


def detect_format(path: Path, mapping: Mapping) -> str:
    if mapping.format:
        return mapping.format
    ext = path.suffix.lower().lstrip(".")
    aliases = {
        "csv": "csv",
        "txt": "csv",
        "tsv": "tsv",
        "tab": "tsv",
        "xlsx": "xlsx",
        "xlsm": "xlsx",
        "jsonl": "jsonl",
        "ndjson": "jsonl",
        "htm": "html",
        "html": "html",
        "parquet": "parquet",
        "pq": "parquet",
    }
    if ext == "json":
        return "json" if _looks_like_json_document(path) else "jsonl"
    if ext in aliases:
        return aliases[ext]
    if ext == "xls":
        if _looks_like_html(path):
            return "html"  # WeChat's user_analysis.xls: an HTML table with an .xls name
        raise IngestError(
            "legacy .xls is not read; open it and save as .xlsx or .csv",
            message_zh="不支持旧版 .xls；请另存为 .xlsx 或 .csv",
            file=str(path),
        )
    raise UnknownNameError("file format (by extension)", ext or "<none>", FORMATS)


def _samples(path: Path) -> list[bytes]:
    """The first MiB and three windows further in, each cut to whole lines: a file that starts in
    ASCII and turns to GBK later is still seen."""
    size = path.stat().st_size
    out: list[bytes] = []
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
        if len(head) == 1 << 20:
            head = head[: head.rfind(b"\n") + 1] or head
        out.append(head)
        if size > 4 << 20:
            for frac in (0.33, 0.66, 0.99):
                fh.seek(int(size * frac) - (1 << 16) if frac == 0.99 else int(size * frac))
                block = fh.read(1 << 16)
                first, last = block.find(b"\n") + 1, block.rfind(b"\n") + 1
                if 0 < first < last:
                    out.append(block[first:last])
    return out


def _decode_errors(samples: list[bytes], encoding: str) -> tuple[int, int]:
    """(undecodable spots, non-ASCII characters decoded) of ``samples`` in ``encoding``."""
    errors = chars = 0
    for data in samples:
        text = data.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        errors += bad
        # non-ASCII characters: all but the ASCII ones (counted in C, not a Python loop per character)
        chars += len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return errors, chars


_STRAY_BYTES = 64


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The text encoding of ``path``: the declared one, else BOM, UTF-8, GB18030, then charset-normalizer.

    A few bad bytes do not change the answer: the candidate with the fewest undecodable spots
    wins (UTF-8 on a tie, or when its valid characters outnumber its errors a hundred to one),
    and the rows holding those bytes are quarantined as the file is read.
    """
    if declared and declared.lower() != "auto":
        try:
            return codecs.lookup(declared).name
        except LookupError as exc:
            raise IngestError(f"unknown encoding {declared!r}", file=str(path)) from exc
    samples = _samples(path)
    head = samples[0]
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    u_err, u_ok = _decode_errors(samples, "utf-8")
    if u_err == 0 or u_ok >= 100 * u_err:
        return "utf-8"
    high = sum(sum(1 for b in data if b > 127) for data in samples)
    # No valid non-ASCII character at all and only a handful of stray bytes: an ASCII file with
    # damage, not a single-byte code page (which would turn each stray byte into a letter); the
    # rows holding them are quarantined with the bytes shown.
    if u_ok == 0 and high <= _STRAY_BYTES:
        return "utf-8"
    g_err, _ = _decode_errors(samples, "gb18030")
    # A handful of undecodable spots that GB18030 does not explain better: UTF-8 with damage.
    if u_err <= _STRAY_BYTES and u_err <= g_err:
        return "utf-8"
    best, errors = ("utf-8", u_err) if u_err <= g_err else ("gb18030", g_err)
    total = sum(len(data) for data in samples)
    # Few errors for the text there is, or an ASCII file with a few stray bytes: those rows are
    # quarantined (a single-byte guess such as cp1252 would turn every such byte into a letter).
    if errors <= max(2, high // 100) or high * 100 <= total:
        return best
    from charset_normalizer import from_bytes

    found = from_bytes(b"".join(samples)).best()
    if found is None:
        raise IngestError(
            "cannot tell the text encoding; pass --encoding (e.g. gb18030)",
            message_zh="无法识别文本编码；请用 --encoding 指定（例如 gb18030）",
            file=str(path),
        )
    return codecs.lookup(found.encoding).name


# A line with bytes the file's encoding cannot decode is written with this byte in front, which is
# never valid UTF-8: DuckDB rejects the line (at its own line number) and the importer shows the
# original bytes, escaped, in the quarantine.
_BAD_LINE_MARK = b"\xff"


def _transcode(path: Path, encoding: str, tmp_dir: Path, progress: Progress | None) -> Path:
    out = tmp_dir / f"transcoded-{uuid.uuid4().hex}.csv"
    if encoding.startswith("utf-16") or encoding.startswith("utf_16"):
        return _transcode_strict(path, encoding, out, progress)
    carry = b""
    first = True
    with open(path, "rb") as src, open(out, "wb") as dst:
        while True:
            chunk = src.read(8 << 20)
            data = carry + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            if data:
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    parts = []
                    for line in data.splitlines(keepends=True):
                        try:
                            parts.append(line.decode(encoding).encode("utf-8"))
                        except UnicodeDecodeError:
                            parts.append(
                                _BAD_LINE_MARK + line.decode(encoding, errors="replace").encode("utf-8")
                            )
                    encoded = b"".join(parts)
                else:
                    encoded = text.encode("utf-8")
                if first:
                    encoded = encoded.removeprefix(codecs.BOM_UTF8)
                    first = False
                dst.write(encoded)
            if progress:
                progress(len(chunk))
            if not chunk:
                break
    return out


def _transcode_strict(path: Path, encoding: str, out: Path, progress: Progress | None) -> Path:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines_done = 1
    with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(8 << 20):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines_done + chunk[: exc.start].count(b"\n")
                out.unlink(missing_ok=True)
                raise IngestError(
                    f"bytes {chunk[exc.start : exc.end]!r} are not valid {encoding}; pass the right --encoding",
                    message_zh=f"字节 {chunk[exc.start : exc.end]!r} 不是有效的 {encoding}；请用 --encoding 指定正确编码",
                    file=str(path),
                    row=line,
                ) from exc
            lines_done += chunk.count(b"\n")
            dst.write(text.lstrip("\ufeff") if dst.tell() == 0 else text)
            if progress:
                progress(len(chunk))
        dst.write(decoder.decode(b"", final=True))
    return out


def _header_names(data_path: Path, header_row: int, n_columns: int, delim: str | None) -> list[str] | None:
    """The header line as written (DuckDB renames repeated names, which would hide them)."""
    import csv

    with open(data_path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        line = ""
        for _ in range(header_row):
            line = fh.readline()
    for d in [delim] if delim else [",", "\t", ";", "|"]:
        fields = next(csv.reader([line], delimiter=d or ","), [])
        if len(fields) == n_columns:
            return [f.strip() for f in fields]
    return None


def _check_unique(path: Path, names: list[str]) -> None:
    seen: dict[str, int] = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    twice = [n for n, k in seen.items() if k > 1]
    if twice:
        listed = ", ".join(repr(n) for n in twice)
        raise IngestError(
            f"the header names {listed} more than once; rename the repeated columns",
            message_zh=f"表头中 {listed} 出现了不止一次；请给重复的列改名",
            file=str(path),
            field=twice[0],
        )


def _long_line(path: Path) -> int | None:
    with open(path, "rb") as fh:
        for i, line in enumerate(fh, start=1):
            if len(line) > _MAX_LINE:
                return i
    return None


def _csv_error(path: Path, exc: duckdb.Error) -> IngestError:
    text = str(exc)
    if "Maximum line size" in text or "max_line_size" in text:
        row = _long_line(path)
        return IngestError(
            f"a line is longer than {_MAX_LINE >> 20} MB; a cell that long is not table data",
            message_zh=f"有一行超过 {_MAX_LINE >> 20} MB；这么长的单元格不是表格数据",
            file=str(path),
            row=row,
        )
    first = text.strip().splitlines()[0] if text.strip() else text
    return IngestError(f"cannot read as CSV: {first}", message_zh=f"无法按 CSV 读取：{first}", file=str(path))


_MAX_LINE = 8 << 20


def _read_csv(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    encoding = detect_encoding(path, mapping.encoding)
    data_path = path
    temp: list[Path] = []
    if encoding not in ("utf-8",):
        data_path = _transcode(path, encoding, tmp_dir, progress)
        temp.append(data_path)
    delim = mapping.delimiter or ("\t" if fmt == "tsv" else None)
    rej = f"_canyu_rej_{uuid.uuid4().hex[:12]}"
    opts = [
        "all_varchar = true",
        "header = true",
        f"skip = {mapping.header_row - 1}",
        "store_rejects = true",
        f"rejects_table = {_quote(rej)}",
        f"rejects_scan = {_quote(rej + '_scan')}",
        "null_padding = false",
        f"max_line_size = {_MAX_LINE}",
    ]
    if delim is not None:
        opts.append(f"delim = {_quote(delim)}")
    relation = f"read_csv({_quote(data_path)}, {', '.join(opts)})"
    try:
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    except duckdb.Error as exc:
        raise _csv_error(path, exc) from exc
    written = _header_names(data_path, mapping.header_row, len(columns), delim)
    if written is not None:
        _check_unique(path, written)
    row_kind = "csv"
    if mapping.unpivot:
        # A wide sheet becomes several rows per record: number the records before that.
        relation = (
            f"(SELECT *, (row_number() OVER ())::BIGINT + {mapping.header_row} AS _row FROM {relation})"
        )
        row_kind = "exact"
    return Source(
        str(path),
        fmt,
        relation,
        columns,
        encoding,
        row_kind=row_kind,
        header_row=mapping.header_row,
        rejects_table=rej,
        temp_files=temp,
    )


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # Excel keeps 13800138000 as a float
    text = str(value)
    return text if text.strip() else None


def _write_text_parquet(
    out: Path,
    columns: list[str],
    batches: list[list[str | None]],
    writer: pq.ParquetWriter | None,
    rows: list[int],
) -> pq.ParquetWriter:
    schema = pa.schema([pa.field(c, pa.string()) for c in columns] + [pa.field("_row", pa.int64())])
    writer = writer or pq.ParquetWriter(out, schema)
    arrays = [pa.array(col, pa.string()) for col in batches] + [pa.array(rows, pa.int64())]
    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
    return writer


def _unique_headers(path: Path, raw: Sequence[object]) -> list[str]:
    names = [(_cell_text(h) or f"column{i + 1}").strip() for i, h in enumerate(raw)]
    _check_unique(path, names)
    return names


def _rows_to_source(
    path: Path,
    fmt: str,
    encoding: str,
    header: Sequence[object],
    rows: Iterable[tuple[int, Sequence[object]]],
    tmp_dir: Path,
    progress: Progress | None,
    rejects: list[StructuralReject] | None = None,
    bad_rows: dict[int, StructuralReject] | None = None,
) -> Source:
    """Stream ``(row number, cells)`` into a text Parquet file; rows wider than the header are broken."""
    columns = _unique_headers(path, header)
    out = tmp_dir / f"{fmt}-{uuid.uuid4().hex}.parquet"
    writer: pq.ParquetWriter | None = None
    cols: list[list[str | None]] = [[] for _ in columns]
    row_numbers: list[int] = []
    rejects = rejects if rejects is not None else []
    bad_rows = bad_rows or {}
    for row_no, values in rows:
        if values is None or all(v is None for v in values):
            continue  # an empty row in a sheet is layout, not data
        if row_no in bad_rows:
            rejects.append(bad_rows[row_no])
            continue
        if len(values) > len(columns) and any(v is not None for v in values[len(columns) :]):
            rejects.append(
                StructuralReject(
                    row_no,
                    "column_count",
                    {"expected": len(columns), "found": len(values)},
                    json.dumps([_cell_text(v) for v in values], ensure_ascii=False),
                )
            )
            continue
        for i in range(len(columns)):
            cols[i].append(_cell_text(values[i]) if i < len(values) else None)
        row_numbers.append(row_no)
        if len(row_numbers) >= _BATCH:
            writer = _write_text_parquet(out, columns, cols, writer, row_numbers)
            if progress:
                progress(len(row_numbers))
            cols, row_numbers = [[] for _ in columns], []
    writer = _write_text_parquet(out, columns, cols, writer, row_numbers)
    writer.close()
    relation = f"(SELECT * FROM read_parquet({_quote(out)}))"
    return Source(str(path), fmt, relation, columns, encoding, rejects=rejects, temp_files=[out])


_MERGE_RE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_UNCACHED_RE = re.compile(
    rb'<c r="([A-Z]+)(\d+)"[^>]*>\s*<f[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v></v>)?\s*</c>'
)


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _sheet_facts(ws: object) -> tuple[list[tuple[int, int, int, int]], dict[int, list[str]]]:
    """Merged ranges (row0, col0, row1, col1; 1-based rows, 0-based cols) and, per row, the cells
    holding a formula whose value was never saved (openpyxl reads those as empty)."""
    merged: list[tuple[int, int, int, int]] = []
    uncached: dict[int, list[str]] = {}
    get_source = getattr(ws, "_get_source", None)
    if get_source is None:
        return merged, uncached
    tail = b""
    with get_source() as fh:
        while chunk := fh.read(4 << 20):
            data = tail + chunk
            for m in _MERGE_RE.finditer(data):
                merged.append(
                    (int(m.group(2)), _col_index(m.group(1)), int(m.group(4)), _col_index(m.group(3)))
                )
            for m in _UNCACHED_RE.finditer(data):
                cell = (m.group(1) + m.group(2)).decode()
                row = int(m.group(2))
                if cell not in uncached.setdefault(row, []):
                    uncached[row].append(cell)
            cut = data.rfind(b"<")
            tail = data[cut:] if cut > len(data) - 4096 else b""
            # a match that straddles the cut is found again in the next round: keep them unique
    merged = sorted(set(merged))
    return merged, uncached


def _filled_rows(
    rows: Iterator[tuple[object, ...]], first_row: int, merged: list[tuple[int, int, int, int]]
) -> Iterator[tuple[int, list[object]]]:
    """Rows with each merged range's cells holding the range's (top-left) value."""
    cover: dict[tuple[int, int], tuple[int, int]] = {}
    for r0, c0, r1, c1 in merged:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 1_000_000:
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    cover[(r, c)] = (r0, c0)
    tops: dict[tuple[int, int], object] = {}
    wanted = set(cover.values())
    for offset, values in enumerate(rows):
        row_no = first_row + offset
        cells = list(values or ())
        if cover:
            for c in range(len(cells)):
                if (row_no, c) in wanted:
                    tops[(row_no, c)] = cells[c]
            width = max([len(cells)] + [c + 1 for (r, c) in cover if r == row_no])
            cells += [None] * (width - len(cells))
            for c in range(width):
                top = cover.get((row_no, c))
                if top is not None and cells[c] is None:
                    cells[c] = tops.get(top)
        yield row_no, cells


def _read_xlsx(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    import itertools

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise IngestError(
            f"cannot open as XLSX: {exc}", message_zh=f"无法按 XLSX 打开：{exc}", file=str(path)
        ) from exc
    try:
        if mapping.sheet:
            if mapping.sheet not in wb.sheetnames:
                raise UnknownNameError("sheet", mapping.sheet, wb.sheetnames)
            ws = wb[mapping.sheet]
        else:
            filled = [
                w.title
                for w in wb.worksheets
                if any(
                    any(v is not None for v in r) for r in itertools.islice(w.iter_rows(values_only=True), 20)
                )
            ]
            if len(filled) > 1:
                names = ", ".join(filled)
                raise IngestError(
                    f"the workbook has {len(filled)} sheets with data ({names}); name the one to import"
                    " (--sheet, or sheet = in the mapping)",
                    message_zh=f"工作簿中有 {len(filled)} 个含数据的工作表（{names}）；请指定要导入的一个"
                    "（--sheet，或映射中的 sheet =）",
                    file=str(path),
                )
            ws = wb[filled[0]] if filled else wb.worksheets[0]
        merged, uncached = _sheet_facts(ws)
        rows = _filled_rows(
            ws.iter_rows(min_row=mapping.header_row, values_only=True), mapping.header_row, merged
        )
        first = next(rows, None)
        if first is None:
            raise IngestError("the sheet is empty", message_zh="工作表为空", file=str(path))
        bad = {
            row: StructuralReject(row, "uncached_formula", {"cell": ", ".join(cells)}, ", ".join(cells))
            for row, cells in uncached.items()
            if row > mapping.header_row
        }
        return _rows_to_source(path, fmt, "xlsx", first[1], rows, tmp_dir, progress, bad_rows=bad)
    finally:
        wb.close()


class _TableParser(html.parser.HTMLParser):
    """The rows of the first <table> of a page, as cell texts (colspan repeated)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str | None]] = []
        self._row: list[str | None] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._depth = 0
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if tag == "table":
            self._depth += 1
        elif tag == "tr" and self._depth == 1:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self._done:
            return
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self._row += [text or None] * self._span
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "table":
            self._depth -= 1
            if self._depth == 0:
                self._done = True

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _read_html(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    raw = path.read_bytes()
    m = re.search(rb'charset=["\']?([\w-]+)', raw[:4096], re.IGNORECASE)
    encoding = detect_encoding(path, mapping.encoding)
    if m and mapping.encoding == "auto":
        with contextlib.suppress(LookupError):
            encoding = codecs.lookup(m.group(1).decode()).name
    parser = _TableParser()
    parser.feed(raw.decode(encoding, errors="replace"))
    parser.close()
    if len(parser.rows) < mapping.header_row:
        raise IngestError("no table in the file", message_zh="文件中没有表格", file=str(path))
    header = parser.rows[mapping.header_row - 1]
    body = ((mapping.header_row + 1 + i, r) for i, r in enumerate(parser.rows[mapping.header_row :]))
    return _rows_to_source(path, fmt, encoding, header, body, tmp_dir, progress)


def _json_text_value(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _flatten(obj: dict[str, object], prefix: str = "") -> dict[str, object]:
    """Nested objects as dotted names (``order_info.tid``); lists stay whole (JSON text)."""
    out: dict[str, object] = {}
    for k, v in obj.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict) and v and name != "props":
            out.update(_flatten(v, name + "."))
        else:
            out[name] = v
    return out


def _records(doc: object, path: str | None) -> Iterator[dict[str, object]]:
    """The records at ``path`` ("list[].details[]"), each with the fields of the objects around it."""
    if path is None:
        if isinstance(doc, list):
            yield from (r for r in doc if isinstance(r, dict))
            return
        if isinstance(doc, dict):
            lists = [
                k for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)
            ]
            if len(lists) == 1:
                yield from _records(doc, f"{lists[0]}[]")
                return
            yield doc
        return
    steps = path.split(".")

    def walk(node: object, i: int, context: dict[str, object]) -> Iterator[dict[str, object]]:
        if i == len(steps):
            if isinstance(node, dict):
                yield {**context, **node}
            return
        step = steps[i]
        many = step.endswith("[]")
        name = step[:-2] if many else step
        if not isinstance(node, dict):
            return
        child = node.get(name)
        if many and not isinstance(child, list):
            return
        outer = (
            {k: v for k, v in node.items() if k != name and not isinstance(v, list)}
            if many or i + 1 < len(steps)
            else {}
        )
        ctx = {**context, **outer}
        for item in child if many else [child]:  # type: ignore[union-attr]
            yield from walk(item, i + 1, ctx)

    yield from walk(doc, 0, {})


def _read_json(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    encoding = detect_encoding(path, mapping.encoding)
    try:
        doc = json.loads(path.read_bytes().decode(encoding))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IngestError(
            f"not a valid JSON document: {exc}", message_zh=f"不是有效的 JSON 文档：{exc}", file=str(path)
        ) from exc
    records = [_flatten(r) for r in _records(doc, mapping.records)]
    if not records:
        where = f" at {mapping.records!r}" if mapping.records else ""
        raise IngestError(
            f"no records{where} in the document", message_zh=f"文档中{where}没有记录", file=str(path)
        )
    columns: list[str] = list(dict.fromkeys(k for r in records for k in r))
    rows = ((i, [_json_text_value(r.get(c)) for c in columns]) for i, r in enumerate(records, start=1))
    return _rows_to_source(path, fmt, encoding, columns, rows, tmp_dir, progress)


def _jsonl_lines(path: Path, encoding: str) -> Iterator[tuple[int, str | None, bytes]]:
    """(line number, text or None when undecodable, raw bytes) of each line."""
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if line_no == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield line_no, raw.decode(encoding), raw
            except UnicodeDecodeError:
                yield line_no, None, raw


def _read_jsonl(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    encoding = detect_encoding(path, mapping.encoding)
    if encoding.startswith("utf-16") or encoding.startswith("utf_16"):
        # lines of UTF-16 are not split on b"\n": read them whole (rare for JSON Lines)
        transcoded = _transcode(path, encoding, tmp_dir, None)
        try:
            return _read_jsonl(transcoded, replace(mapping, encoding="utf-8"), fmt, con, tmp_dir, progress)
        finally:
            transcoded.unlink(missing_ok=True)
    columns: list[str] = []
    seen: set[str] = set()
    rejects: list[StructuralReject] = []
    # First pass: the union of keys, so the Parquet schema is known before writing.
    for line_no, line, raw in _jsonl_lines(path, encoding):
        if line is None:
            text = raw.rstrip(b"\r\n").decode(encoding, errors="backslashreplace")
            rejects.append(StructuralReject(line_no, "bad_bytes", {"encoding": encoding, "line": text}, text))
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            rejects.append(
                StructuralReject(
                    line_no,
                    "bad_json_line",
                    {"detail": f"{exc.msg} at column {exc.colno}"},
                    line.rstrip("\n"),
                )
            )
            continue
        if not isinstance(obj, dict):
            rejects.append(StructuralReject(line_no, "not_an_object", {}, line.rstrip("\n")))
            continue
        for key in obj:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    bad = {r.row for r in rejects}
    out = tmp_dir / f"jsonl-{uuid.uuid4().hex}.parquet"
    writer: pq.ParquetWriter | None = None
    cols: list[list[str | None]] = [[] for _ in columns]
    row_numbers: list[int] = []
    for line_no, line, _raw in _jsonl_lines(path, encoding):
        if line_no in bad or line is None or not line.strip():
            continue
        obj = json.loads(line)
        for i, key in enumerate(columns):
            cols[i].append(_json_text_value(obj.get(key)))
        row_numbers.append(line_no)
        if len(row_numbers) >= _BATCH:
            writer = _write_text_parquet(out, columns, cols, writer, row_numbers)
            if progress:
                progress(len(row_numbers))
            cols, row_numbers = [[] for _ in columns], []
    writer = _write_text_parquet(out, columns, cols, writer, row_numbers)
    writer.close()
    relation = f"(SELECT * FROM read_parquet({_quote(out)}))"
    return Source(str(path), fmt, relation, columns, encoding, rejects=rejects, temp_files=[out])


def _read_parquet(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    try:
        schema = pq.ParquetFile(path).schema_arrow
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(
            f"cannot read as Parquet: {exc}", message_zh=f"无法按 Parquet 读取：{exc}", file=str(path)
        ) from exc
    cols = []
    for f in schema:
        q = _ident(f.name)
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            # an instant: written in UTC with its Z, so no zone is assumed for it
            cols.append(f"CAST(timezone('UTC', {q}) AS VARCHAR) || 'Z' AS {q}")
        else:
            cols.append(f"CAST({q} AS VARCHAR) AS {q}")
    relation = (
        f"(SELECT {', '.join(cols)}, file_row_number + 1 AS _row"
        f" FROM read_parquet({_quote(path)}, file_row_number = true))"
    )
    return Source(str(path), fmt, relation, list(schema.names), "parquet")


READERS: dict[str, Callable[..., Source]] = {
    "csv": _read_csv,
    "tsv": _read_csv,
    "xlsx": _read_xlsx,
    "html": _read_html,
    "json": _read_json,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}

_WORK_PREFIX = "import-"


def clean_stale_temp(tmp_dir: Path) -> list[Path]:
    """Remove the private folders (and older loose temporary files) of imports that were killed.

    A folder is named ``import-<pid>-…``; it is stale when that process is gone. Run at the start
    of every import (and when a workspace opens), so a kill -9 leaves no copy of a file behind.
    """
    removed: list[Path] = []
    if not tmp_dir.is_dir():
        return removed
    for entry in tmp_dir.iterdir():
        if entry.is_dir() and entry.name.startswith(_WORK_PREFIX):
            try:
                pid = int(entry.name.split("-")[1])
            except (IndexError, ValueError):
                pid = -1
            if pid == os.getpid() or _alive(pid):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        elif entry.is_file() and entry.name.startswith(("transcoded-", "xlsx-", "jsonl-", "json-", "html-")):
            entry.unlink(missing_ok=True)  # left by an older canyu, which wrote them loose
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def private_work_dir(tmp_dir: Path) -> Path:
    """A fresh folder only the owner can read (0700) under ``tmp_dir``, named for this process."""
    tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        os.chmod(tmp_dir, 0o700)
    return Path(tempfile.mkdtemp(prefix=f"{_WORK_PREFIX}{os.getpid()}-", dir=tmp_dir))


def open_source(
    path: Path,
    mapping: Mapping,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None = None,
) -> Source:
    """Open ``path`` for import with the reader its format names.

    Temporary copies go to a private folder that :meth:`Source.cleanup` removes; if opening
    fails or is interrupted, the folder is removed before the error propagates.
    """
    if not path.exists():
        raise IngestError("no such file", message_zh="文件不存在", file=str(path))
    fmt = detect_format(path, mapping)
    work = private_work_dir(tmp_dir)
    try:
        source = READERS[fmt](path, mapping, fmt, con, work, progress)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    source.work_dir = work
    return source


def file_headers(path: Path, mapping: Mapping, tmp_dir: Path) -> list[str]:
    """The column names ``mapping``'s reader sees in ``path`` (for ranking mappings)."""
    con = duckdb.connect()
    try:
        source = open_source(path, mapping, con, tmp_dir)
        try:
            return list(source.columns)
        finally:
            source.cleanup()
    finally:
        con.close()
