"""Readers: turn an input file into a relation of text columns in the DuckDB kernel.

Every reader yields all source columns as VARCHAR (typing is the validator's
job, so a bad value becomes a quarantined row, not a failed import) plus the
ordinal ``_rn`` of each record. Readers register by format name.

- CSV/TSV: DuckDB's parallel CSV reader (``store_rejects`` keeps structurally
  broken lines with their line numbers). Files in GB18030/GBK or UTF-16 are
  first transcoded to UTF-8 in a temporary file, because DuckDB reads only
  UTF-8 without extensions that cannot be installed offline.
- XLSX: openpyxl in read-only mode, streamed into a temporary Parquet file.
- JSON Lines: parsed line by line, so a broken line is quarantined with its
  line number instead of failing the file.
- Parquet: read in place.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from canyu.errors import IngestError, UnknownNameError
from canyu.ingest._mapping import FORMATS, Mapping
from canyu.store import ident as _ident
from canyu.store import literal as _quote

__all__ = ["READERS", "Source", "StructuralReject", "detect_encoding", "detect_format", "open_source"]

_BATCH = 50_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class StructuralReject:
    """A record the reader could not split into fields (a broken line)."""

    row: int
    reason: str
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

    def cleanup(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)


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
        "json": "jsonl",
        "parquet": "parquet",
        "pq": "parquet",
    }
    if ext in aliases:
        return aliases[ext]
    if ext == "xls":
        raise IngestError(
            "legacy .xls is not read; open it and save as .xlsx or .csv",
            message_zh="不支持旧版 .xls；请另存为 .xlsx 或 .csv",
            file=str(path),
        )
    raise UnknownNameError("file format (by extension)", ext or "<none>", FORMATS)


def detect_encoding(path: Path, declared: str = "auto") -> str:
    """The text encoding of ``path``: the declared one, else BOM, UTF-8, GB18030, then charset-normalizer."""
    if declared and declared.lower() != "auto":
        try:
            return codecs.lookup(declared).name
        except LookupError as exc:
            raise IngestError(f"unknown encoding {declared!r}", file=str(path)) from exc
    with open(path, "rb") as fh:
        sample = fh.read(1 << 20)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    cut = sample.rfind(b"\n") + 1 if len(sample) == 1 << 20 else len(sample)
    body = sample[: cut or len(sample)]
    for enc in ("utf-8", "gb18030"):
        try:
            body.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is None:
        raise IngestError(
            "cannot tell the text encoding; pass --encoding (e.g. gb18030)",
            message_zh="无法识别文本编码；请用 --encoding 指定（例如 gb18030）",
            file=str(path),
        )
    return codecs.lookup(best.encoding).name


def _transcode(path: Path, encoding: str, tmp_dir: Path, progress: Progress | None) -> Path:
    out = tmp_dir / f"transcoded-{uuid.uuid4().hex}.csv"
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
    ]
    if delim is not None:
        opts.append(f"delim = {_quote(delim)}")
    relation = f"read_csv({_quote(data_path)}, {', '.join(opts)})"
    try:
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    except duckdb.Error as exc:
        for p in temp:
            p.unlink(missing_ok=True)
        raise IngestError(
            f"cannot read as CSV: {exc}", message_zh=f"无法按 CSV 读取：{exc}", file=str(path)
        ) from exc
    return Source(
        str(path),
        fmt,
        relation,
        columns,
        encoding,
        row_kind="csv",
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


def _unique_headers(path: Path, raw: list[object]) -> list[str]:
    names: list[str] = []
    for i, h in enumerate(raw):
        name = _cell_text(h) or f"column{i + 1}"
        name = name.strip()
        if name in names:
            raise IngestError(f"column {name!r} appears twice in the header", file=str(path), field=name)
        names.append(name)
    return names


def _read_xlsx(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
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
            ws = wb.worksheets[0]
        rows = ws.iter_rows(min_row=mapping.header_row, values_only=True)
        header = next(rows, None)
        if header is None:
            raise IngestError("the sheet is empty", message_zh="工作表为空", file=str(path))
        columns = _unique_headers(path, list(header))
        out = tmp_dir / f"xlsx-{uuid.uuid4().hex}.parquet"
        writer: pq.ParquetWriter | None = None
        cols: list[list[str | None]] = [[] for _ in columns]
        row_numbers: list[int] = []
        rejects: list[StructuralReject] = []
        for offset, values in enumerate(rows):
            row_no = mapping.header_row + 1 + offset
            if values is None or all(v is None for v in values):
                continue  # an empty row in a sheet is layout, not data
            if len(values) > len(columns) and any(v is not None for v in values[len(columns) :]):
                rejects.append(
                    StructuralReject(
                        row_no,
                        f"expected {len(columns)} columns, found {len(values)}",
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
    finally:
        wb.close()
    relation = f"(SELECT * FROM read_parquet({_quote(out)}))"
    return Source(str(path), fmt, relation, columns, "xlsx", rejects=rejects, temp_files=[out])


def _read_jsonl(
    path: Path,
    mapping: Mapping,
    fmt: str,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None,
) -> Source:
    encoding = detect_encoding(path, mapping.encoding)
    columns: list[str] = []
    seen: set[str] = set()
    rejects: list[StructuralReject] = []
    # First pass: the union of keys, so the Parquet schema is known before writing.
    with open(path, encoding=encoding, errors="strict") as fh:
        for line_no, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                rejects.append(
                    StructuralReject(
                        line_no, f"not valid JSON: {exc.msg} at column {exc.colno}", line.rstrip("\n")
                    )
                )
                continue
            if not isinstance(obj, dict):
                rejects.append(StructuralReject(line_no, "a line must hold a JSON object", line.rstrip("\n")))
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
    with open(path, encoding=encoding) as fh:
        for line_no, line in enumerate(fh, start=1):
            if line_no in bad or not line.strip():
                continue
            obj = json.loads(line)
            for i, key in enumerate(columns):
                v = obj.get(key)
                cols[i].append(
                    None
                    if v is None
                    else json.dumps(v, ensure_ascii=False)
                    if isinstance(v, dict | list)
                    else str(v)
                )
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
        names = pq.ParquetFile(path).schema_arrow.names
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestError(
            f"cannot read as Parquet: {exc}", message_zh=f"无法按 Parquet 读取：{exc}", file=str(path)
        ) from exc
    cols = ", ".join(f"CAST({_ident(n)} AS VARCHAR) AS {_ident(n)}" for n in names)
    relation = f"(SELECT {cols}, file_row_number + 1 AS _row FROM read_parquet({_quote(path)}, file_row_number = true))"
    return Source(str(path), fmt, relation, list(names), "parquet")


READERS: dict[str, Callable[..., Source]] = {
    "csv": _read_csv,
    "tsv": _read_csv,
    "xlsx": _read_xlsx,
    "jsonl": _read_jsonl,
    "parquet": _read_parquet,
}


def open_source(
    path: Path,
    mapping: Mapping,
    con: duckdb.DuckDBPyConnection,
    tmp_dir: Path,
    progress: Progress | None = None,
) -> Source:
    """Open ``path`` for import with the reader its format names."""
    if not path.exists():
        raise IngestError("no such file", message_zh="文件不存在", file=str(path))
    fmt = detect_format(path, mapping)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    return READERS[fmt](path, mapping, fmt, con, tmp_dir, progress)
