"""The importer: files -> staged, validated rows -> loaded, duplicate or quarantined.

One call is one transaction: every file of it lands, or none does (a crash,
an error or Ctrl-C rolls the store back). Each file gets its own batch id and
a row in ``imports`` whose counts add up: rows_in = loaded + duplicate +
quarantined.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from canyu import vocab
from canyu.config import WorkspaceConfig
from canyu.errors import IngestError
from canyu.ingest._mapping import Mapping, load_mapping
from canyu.ingest._readers import Source, clean_stale_temp, open_source
from canyu.ingest._validate import (
    AGGREGATE,
    failure_reason,
    key_sql,
    plan_stage,
    render_reason,
    unpack_bad_sql,
)
from canyu.privacy import (
    OTHER_PHONE_PATTERN,
    PHONE_PATTERN,
    check_key_fingerprint,
    hash_identifier,
    hmac_sql,
    is_phone,
    mask_phones,
)
from canyu.store import (
    TABLES,
    Store,
    Transaction,
    ident,
    literal,
    person_id_sql,
    resolve_identities,
    values_list,
)

__all__ = ["ImportResult", "import_batches", "import_files"]

ProgressFn = Callable[[str, float], None]

_ANY_PHONE_RE = re.compile(f"(?<![0-9０-９])(?:{OTHER_PHONE_PATTERN}|{PHONE_PATTERN})(?![0-9０-９])")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_COLUMN_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")


@dataclass(frozen=True)
class ImportResult:
    """What one file's import did."""

    batch_id: str
    source: str
    table: str
    mapping: str
    format: str
    encoding: str
    rows_in: int
    rows_loaded: int
    rows_duplicate: int
    rows_quarantined: int
    rows_suppressed: int = 0  # rows of forgotten people (the suppression list), skipped
    columns_used: dict[str, str] = field(default_factory=dict)
    pii_columns: dict[str, str] = field(default_factory=dict)
    dropped_columns: list[str] = field(default_factory=list)  # receiver names/addresses, never read

    def to_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _run(con: duckdb.DuckDBPyConnection, sql: str, on_progress: Callable[[float], None] | None) -> None:
    """Run ``sql``; while it runs, report DuckDB's progress (0..1) from this thread."""
    if on_progress is None:
        con.execute(sql)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
            pct = con.query_progress()
            if pct >= 0:
                on_progress(min(pct / 100.0, 1.0))
    except KeyboardInterrupt:
        con.interrupt()
        worker.join()
        raise
    if failure:
        raise failure[0]
    on_progress(1.0)


def _preload_pandas() -> threading.Thread | None:
    """Import pandas on a thread of its own while the engine stages the file.

    pyarrow imports pandas (when installed) on the first array it builds from Python objects, the
    quarantine rows' here: 0.3-0.7 s the import would wait for after staging, with the engine idle.
    Started before the staging statement, which holds no Python lock while it runs, the import
    overlaps it. The caller joins the thread, so it never outlives the import.
    """
    if "pandas" in sys.modules:
        return None

    def load() -> None:
        with contextlib.suppress(ImportError):  # pyarrow works without it
            importlib.import_module("pandas")

    thread = threading.Thread(target=load, name="canyu-preload-pandas", daemon=True)
    thread.start()
    return thread


def _mask_text(key: bytes | None, text: str) -> str:
    """Hash phone numbers and e-mail addresses inside free text (broken lines we cannot split)."""
    if key is None:
        return _EMAIL_RE.sub("<email>", mask_phones(text))

    # A mobile number gets the full hash, as a parsed cell does: forget finds an id that was a phone
    # number in a broken row. Landlines and "+" numbers are masked (they name no person across
    # channels); they are matched first, so +1 415 555 0100 is not "+" and a mobile number.
    def one(m: re.Match[str]) -> str:
        return hash_identifier(key, "phone", m.group(0)) if is_phone(m.group(0)) else "<phone>"

    text = _ANY_PHONE_RE.sub(one, text)
    return _EMAIL_RE.sub(lambda m: hash_identifier(key, "email", m.group(0)), text)


def _csv_rows(rn: np.ndarray, header_row: int, rejected_lines: np.ndarray) -> np.ndarray:
    """File line of each accepted record ``rn`` (1-based) given the rejected lines, which shift them."""
    d = np.sort(rejected_lines) - header_row  # data-line index of each rejected line
    before = d - 1 - np.arange(len(d))  # accepted records before each rejected line
    return header_row + rn + np.searchsorted(before, rn, side="left")


def _quarantine_rows(
    txn: Transaction,
    source: Source,
    mapping: Mapping,
    stage: str,
    batch_id: str,
    key: bytes | None,
    first_rowid: int | None = None,
    *,
    row_column: bool = True,
) -> tuple[pa.Table, int, int]:
    """The quarantine rows of a staged source, how many, and how many broken rows named a forgotten id."""
    con = txn.con
    structural: list[tuple[int, str, dict[str, object], str]] = [
        (r.row, r.key, dict(r.args), r.raw) for r in source.rejects
    ]
    rejected_lines = np.array([], dtype=np.int64)
    if source.rejects_table:
        try:
            rows = con.execute(
                f"SELECT line, arg_min(error_message, column_idx), any_value(csv_line), any_value(error_type)"
                f" FROM {source.rejects_table} GROUP BY line ORDER BY line"
            ).fetchall()
        except duckdb.CatalogException:
            rows = []
        bad_bytes = source.raw_lines([int(r[0]) for r in rows if str(r[3]) == "INVALID ENCODING"])
        for line, msg, raw, kind in rows:
            if str(kind) == "INVALID ENCODING":
                text = bad_bytes.get(int(line), str(raw))
                structural.append((int(line), "bad_bytes", {"encoding": source.encoding, "line": text}, text))
            elif counts := _COLUMN_COUNT.search(str(msg)):
                args: dict[str, object] = {"expected": int(counts.group(1)), "found": int(counts.group(2))}
                structural.append((int(line), "column_count", args, str(raw)))
            else:
                structural.append((int(line), "broken_row", {"detail": str(msg)}, str(raw)))
        rejected_lines = np.array([int(r[0]) for r in rows], dtype=np.int64)
    failing = con.sql(
        # rowid follows file order; inside a transaction it starts at a large offset, hence the min
        f"SELECT rowid - {first_rowid if first_rowid is not None else f'(SELECT min(rowid) FROM {stage})'} + 1"
        f" AS _rn, {'_row' if row_column else 'NULL::BIGINT AS _row'}, CAST(_err AS VARCHAR) AS _err,"
        f" {unpack_bad_sql('errv')} AS _errv, {unpack_bad_sql('raw')} AS _raw, {unpack_bad_sql('uk')} AS _user_key"
        f" FROM {stage} WHERE _err IS NOT NULL"
    ).to_arrow_table()
    # One reason per distinct (field, code, value), rendered in Python (the reason catalogue is
    # Python) and joined back in the engine: a file's failing rows mostly repeat a few (one misspelt
    # label, one bad time format), and 1% of 10M rows is 100,000 rows.
    tag = uuid.uuid4().hex[:12]
    failing_table, reasons_table = f"_canyu_failing_{tag}", f"_canyu_reasons_{tag}"
    con.register(failing_table, failing)
    try:
        cache: dict[tuple[str, str], object] = {}
        said: dict[str, list[str | None]] = {"err": [], "val": [], "field": [], "reason": [], "code": []}
        for err, val in con.execute(f"SELECT DISTINCT _err, _errv FROM {failing_table}").fetchall():
            fld, code = str(err).split("|", 1)
            rkey, args = failure_reason(mapping.table, mapping, fld, code, val, cache)  # type: ignore[arg-type]
            said["err"].append(err)
            said["val"].append(val)
            said["field"].append(fld)
            said["reason"].append(render_reason(rkey, args, "en"))
            said["code"].append(json.dumps({"key": rkey, "args": args}, ensure_ascii=False))
        con.register(reasons_table, pa.table({k: pa.array(v, pa.string()) for k, v in said.items()}))
        bad = con.sql(
            f"SELECT b._rn, b._row, p.field, b._errv, p.reason, b._raw, b._user_key, p.code"
            f" FROM {failing_table} AS b JOIN {reasons_table} AS p"
            " ON p.err = b._err AND p.val IS NOT DISTINCT FROM b._errv ORDER BY b._rn"
        ).to_arrow_table()
    finally:
        con.unregister(failing_table)
        con.unregister(reasons_table)
    n_bad = bad.num_rows
    if source.row_kind == "csv":
        row_numbers = _csv_rows(
            np.asarray(bad.column("_rn").to_numpy(), dtype=np.int64), source.header_row, rejected_lines
        )
    else:
        row_numbers = np.asarray(bad.column("_row").to_numpy(zero_copy_only=False), dtype=np.int64)
    for _row, _key, args, _raw in structural:
        if "line" in args:
            args["line"] = _mask_text(key, str(args["line"]))
    n_structural_suppressed = 0
    hashes = _suppressed_hashes(txn) if structural and key is not None else set()
    if hashes and key is not None:
        kept = [s for s in structural if not _names_suppressed(hashes, key, _mask_text(key, s[3]))]
        n_structural_suppressed = len(structural) - len(kept)
        structural = kept
    n = n_bad + len(structural)

    def column(name: str, rest: list[object]) -> pa.Array:
        """The failing rows' column ``name`` (from the engine), then the structural rows' values."""
        return pa.concat_arrays(
            [bad.column(name).combine_chunks().cast(pa.string()), pa.array(rest, pa.string())]
        )

    table = pa.table(
        {
            "batch_id": pa.array([batch_id] * n, pa.string()),
            "source": pa.array([source.file] * n, pa.string()),
            "table_name": pa.array([mapping.table] * n, pa.string()),
            "row_number": pa.concat_arrays(
                [pa.array(row_numbers, pa.int64()), pa.array([s[0] for s in structural], pa.int64())]
            ),
            "field": column("field", [None] * len(structural)),
            "value": column("_errv", [None] * len(structural)),
            "reason": column("reason", [render_reason(s[1], s[2], "en") for s in structural]),
            "raw": column("_raw", [_json_text(_mask_text(key, s[3])) for s in structural]),
            "user_key": column("_user_key", [None] * len(structural)),
            "reason_code": column(
                "code", [json.dumps({"key": s[1], "args": s[2]}, ensure_ascii=False) for s in structural]
            ),
        }
    )
    return table, n, n_structural_suppressed


# The channel-scoped ids each table's rows name: the people a suppressed id skips.
_PERSON_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "follows": (("channel", "follower_id"), ("channel", "followee_id")),
    "identity_links": (("channel_a", "user_a"), ("channel_b", "user_b")),
}


def _suppress(
    txn: Transaction, table: str, stage: str, key: bytes | None, absent: tuple[str, ...] = ()
) -> tuple[int, int | None]:
    """Delete from the stage the rows of forgotten people (keyed hashes in ``suppressions``).

    Return how many, and the stage's first rowid before the deletion (row numbers count from it).

    A share by someone else that names a forgotten person as its sharer keeps the row and loses
    the reference, as forget left it.
    """
    con = txn.con
    has = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {txn.source('suppressions')} LIMIT 1)").fetchall()
    if not has or not has[0][0] or key is None:
        return 0, None
    cols = set(TABLES[table].names)
    pairs = _PERSON_KEYS.get(table) or ((("channel", "user_id"),) if {"channel", "user_id"} <= cols else ())
    pairs = tuple((c, u) for c, u in pairs if c not in absent and u not in absent)
    if not pairs:
        return 0, None
    first = con.execute(f"SELECT min(rowid) FROM {ident(stage)}").fetchall()
    first_rowid = int(first[0][0]) if first and first[0][0] is not None else None
    supp = f"(SELECT hash FROM {txn.source('suppressions')})"
    sep = " || ':' || "
    tests = [f"{hmac_sql(key, 'raw', ident(c) + sep + ident(u))} IN {supp}" for c, u in pairs]
    tests.append(f"{hmac_sql(key, 'raw', unpack_bad_sql('uk'))} IN {supp}")
    row = con.execute(f"DELETE FROM {ident(stage)} WHERE {' OR '.join(tests)}").fetchall()[0]
    if table == "events" and "parent_user_id" not in absent:
        parent = hmac_sql(key, "raw", "channel || ':' || parent_user_id")
        con.execute(
            f"UPDATE {ident(stage)} SET parent_user_id = NULL"
            f" WHERE parent_user_id IS NOT NULL AND {parent} IN {supp}"
        )
    return (int(row[0]) if row else 0), first_rowid


_TOKEN_SPLIT = re.compile(r"[\s,;|\t\"'{}\[\]:=]+")


def _suppressed_hashes(txn: Transaction) -> set[str]:
    rows = txn.con.execute(f"SELECT hash FROM {txn.source('suppressions')}").fetchall()
    return {str(r[0]) for r in rows}


def _names_suppressed(hashes: set[str], key: bytes, text: str) -> bool:
    """Whether a broken row's text holds a forgotten id: each token, as an id on each channel, is
    hashed and looked up (a broken row has no parsed channel; few rows break, so this stays cheap)."""
    for token in {t for t in _TOKEN_SPLIT.split(text) if t}:
        for channel in vocab.CHANNELS:
            if hash_identifier(key, "raw", f"{channel}:{token}") in hashes:
                return True
    return False


def check_store_key(txn: Transaction, key: bytes | None) -> None:
    """Refuse a hashing key other than the one the store was written with; record it on first use."""
    row = txn.con.execute(
        f"SELECT any_value(value) FROM {txn.source('store_meta')} WHERE name = 'key_fingerprint'"
    ).fetchall()
    stored = row[0][0] if row else None
    mine = check_key_fingerprint(stored, key)
    if mine and not stored:
        txn.append("store_meta", f"SELECT 'key_fingerprint' AS name, {literal(mine)} AS value")


def _json_text(text: str) -> str:
    return json.dumps({"_line": text}, ensure_ascii=False)


def _storage(sql_type: str) -> str:
    return "VARCHAR" if sql_type == "JSON" else sql_type


def _has_rows(txn: Transaction, source_sql: str) -> bool:
    row = txn.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {source_sql} LIMIT 1)").fetchall()
    return bool(row and row[0][0])


def _load(
    txn: Transaction,
    table: str,
    stage: str,
    batch_id: str,
    absent: tuple[str, ...] = (),
    props: str | None = None,
) -> tuple[int, int]:
    """Insert the stage's valid, new rows; return (valid rows, loaded rows).

    A row is new when no stored row and no earlier row of the file has its key. The key's columns
    are compared as they are (NULL equal to NULL), not joined as text: a concatenated key was built
    for every stored row on every import. Steps that cannot change anything are skipped: the
    window that keeps the first of each key when a 64-bit hash of the keys shows none repeated
    (equal keys hash equal, so a hash collision only costs the window), the anti-join when the
    table is empty, the identities join when no link was resolved.
    """
    schema = TABLES[table]
    con = txn.con
    keys = [ident(k) for k in schema.key]
    # The distinct keys' count from a grouped subquery (a parallel hash aggregate): count(DISTINCT)
    # took twice as long at 10M rows. hash() of a NULL key is a value, so NULL keys count as one.
    counts = con.execute(
        f"SELECT (SELECT count(*) FROM {stage} WHERE _err IS NULL),"
        f" (SELECT count(*) FROM (SELECT DISTINCT hash({', '.join(keys)}) FROM {stage} WHERE _err IS NULL))"
    ).fetchall()[0]
    valid, distinct = (int(counts[0]), int(counts[1])) if counts else (0, 0)
    if valid == 0:
        return 0, 0
    stored = txn.source(table)
    resolved = table == "events" and _has_rows(txn, txn.source("identities"))
    cols = []
    for name in schema.names:
        if name == "batch_id":
            cols.append(f"{literal(batch_id)} AS batch_id")
        elif name == "props" and props:  # built from the staged unmapped cells
            cols.append(f"{props} AS props")
        elif name in absent:  # nothing in the file for it: not staged
            cols.append(f"CAST(NULL AS {_storage(schema.column(name).type)}) AS {ident(name)}")
        elif name == "person_id":
            pid = person_id_sql("s.channel", "s.user_id")
            cols.append(f"COALESCE(i.person_id, {pid}) AS person_id" if resolved else f"{pid} AS person_id")
        elif schema.column(name).enum:  # staged as an ENUM, stored as its text
            cols.append(f"CAST(s.{ident(name)} AS VARCHAR) AS {ident(name)}")
        else:
            cols.append(f"s.{ident(name)}")
    if distinct < valid:
        first = f"row_number() OVER (PARTITION BY {', '.join(keys)} ORDER BY rowid)"
        rows = f"(SELECT * FROM (SELECT *, {first} AS _k FROM {stage} WHERE _err IS NULL) WHERE _k = 1)"
    else:
        rows = f"(SELECT * FROM {stage} WHERE _err IS NULL)"
    sql = f"SELECT {', '.join(cols)} FROM {rows} AS s"
    if _has_rows(txn, stored):
        same = " AND ".join(
            f"CAST(s.{ident(k)} AS VARCHAR) IS NOT DISTINCT FROM e.{ident(k)}"
            if schema.column(k).enum
            else f"s.{ident(k)} IS NOT DISTINCT FROM e.{ident(k)}"
            for k in schema.key
        )
        sql += f" ANTI JOIN {stored} AS e ON {same}"
    if resolved:
        sql += (
            f" LEFT JOIN {txn.source('identities')} AS i ON i.channel = CAST(s.channel AS VARCHAR)"
            " AND i.user_id = s.user_id"
        )
    return valid, txn.append(table, sql)


def _load_aggregate(txn: Transaction, table: str, stage: str, batch_id: str) -> tuple[int, int]:
    """Load a table of aggregates (paths, daily stats, spend): rows with one key are summed; a stored
    row with that key is replaced unless its figures are the same (then the rows are duplicates).

    Return (valid rows, loaded rows): every valid row counts as loaded when its sum was stored.
    """
    schema = TABLES[table]
    con = txn.con
    valid_row = con.execute(f"SELECT count(*) FROM {stage} WHERE _err IS NULL").fetchall()[0]
    valid = int(valid_row[0]) if valid_row else 0
    if valid == 0:
        return 0, 0
    measures = AGGREGATE[table]
    keys = [c for c in schema.key]
    others = [c for c in schema.names if c not in measures and c not in keys and c not in schema.derived]
    q = '"{}"'.format
    sel = [*(q(k) for k in keys)]
    sel += [f"CAST(sum({q(m)}) AS {schema.column(m).type}) AS {q(m)}" for m in measures]
    sel += [f"any_value({q(o)}) AS {q(o)}" for o in others]
    agg, new = f"_canyu_agg_{uuid.uuid4().hex[:8]}", f"_canyu_aggnew_{uuid.uuid4().hex[:8]}"
    con.execute(
        f"CREATE TEMP TABLE {agg} AS SELECT *, {key_sql(table)} AS _key FROM ("
        f"SELECT {', '.join(sel)}, count(*) AS _n FROM {stage} WHERE _err IS NULL GROUP BY {', '.join(q(k) for k in keys)})"
    )
    # The stored figures a new row does not give are kept (two exports can fill one day's row:
    # reads from one, follows from another); the row is a duplicate when it changes nothing.
    same = " AND ".join(
        f"(a.{q(m)} IS NULL OR (o.{q(m)} IS NOT NULL"
        f" AND abs(a.{q(m)} - o.{q(m)}) <= 1e-9 * greatest(1.0, abs(o.{q(m)}))))"
        for m in measures
    )
    merged = [f"COALESCE(a.{q(m)}, o.{q(m)}) AS {q(m)}" for m in measures]
    con.execute(
        f"CREATE TEMP TABLE {new} AS SELECT a.* EXCLUDE ({', '.join(q(m) for m in measures)}), {', '.join(merged)}"
        f" FROM {agg} AS a LEFT JOIN"
        f" (SELECT {key_sql(table, 'e')} AS _key, {', '.join('e.' + q(m) for m in measures)} FROM {txn.source(table)} AS e)"
        f" AS o ON a._key = o._key WHERE o._key IS NULL OR NOT ({same})"
    )
    try:
        loaded_row = con.execute(f"SELECT COALESCE(sum(_n), 0) FROM {new}").fetchall()[0]
        loaded = int(loaded_row[0]) if loaded_row else 0
        if loaded:
            txn.delete_where(table, f"{key_sql(table)} IN (SELECT _key FROM {new})")
            cols = [
                f"'{batch_id}' AS batch_id"
                if n == "batch_id"
                else f"CAST({q(n)} AS VARCHAR) AS {q(n)}"  # staged as an ENUM
                if schema.column(n).enum
                else q(n)
                for n in schema.names
            ]
            txn.append(table, f"SELECT {', '.join(cols)} FROM {new}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {agg}")
        con.execute(f"DROP TABLE IF EXISTS {new}")
    return valid, loaded


def _import_one(
    txn: Transaction,
    path: Path,
    mapping: Mapping,
    cfg: WorkspaceConfig,
    key: bytes | None,
    tmp_dir: Path,
    progress: ProgressFn | None,
) -> ImportResult:
    report: Callable[[float], None] | None = (lambda f: progress(str(path), f)) if progress else None
    source = open_source(path, mapping, txn.con, tmp_dir)
    try:
        return _import_source(txn, source, mapping, cfg, key, report, size=path.stat().st_size)
    finally:
        source.cleanup()


def _import_source(
    txn: Transaction,
    source: Source,
    mapping: Mapping,
    cfg: WorkspaceConfig,
    key: bytes | None,
    report: Callable[[float], None] | None,
    *,
    size: int,
) -> ImportResult:
    """Stage, quarantine, load and record one opened source (a file, or Arrow batches)."""
    batch_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    started = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    stage = f"_canyu_stage_{uuid.uuid4().hex[:12]}"
    try:
        plan = plan_stage(source, mapping, timezone=cfg.timezone, key=key, stage_table=stage)
        preload = _preload_pandas()
        try:
            _run(txn.con, plan.sql, report)
        finally:
            if preload is not None:
                preload.join()
        n_suppressed, first_rowid = _suppress(txn, mapping.table, stage, key, plan.absent)
        quarantine, n_quarantined, n_broken_suppressed = _quarantine_rows(
            txn, source, mapping, stage, batch_id, key, first_rowid, row_column=plan.row_column
        )
        if quarantine.num_rows:
            txn.con.register("_canyu_quarantine_new", quarantine)
            txn.append(
                "quarantine",
                "SELECT q.* FROM _canyu_quarantine_new AS q ANTI JOIN "
                f"{txn.source('quarantine')} AS o ON o.source = q.source AND o.table_name = q.table_name"
                " AND o.row_number = q.row_number"
                " AND o.reason = q.reason AND o.raw IS NOT DISTINCT FROM q.raw",
            )
            txn.con.unregister("_canyu_quarantine_new")
        if mapping.table in AGGREGATE:
            valid, loaded = _load_aggregate(txn, mapping.table, stage, batch_id)
        else:
            valid, loaded = _load(txn, mapping.table, stage, batch_id, plan.absent, plan.props)
        total_row = txn.con.execute(f"SELECT count(*) FROM {stage}").fetchall()[0]
        staged = int(total_row[0]) if total_row else 0
        rows_in = staged + (n_quarantined - (staged - valid)) + n_suppressed + n_broken_suppressed
        n_suppressed += n_broken_suppressed
        result = ImportResult(
            batch_id=batch_id,
            source=source.file,
            table=mapping.table,
            mapping=mapping.name,
            format=source.format,
            encoding=source.encoding,
            rows_in=rows_in,
            rows_loaded=loaded,
            rows_duplicate=valid - loaded,
            rows_quarantined=n_quarantined,
            rows_suppressed=n_suppressed,
            columns_used=plan.columns_used,
            pii_columns=plan.pii_columns,
            dropped_columns=plan.dropped,
        )
        finished = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        record = (
            batch_id,
            source.file,
            mapping.table,
            mapping.name,
            started,
            finished,
            rows_in,
            loaded,
            valid - loaded,
            n_quarantined,
            size,
            n_suppressed,
        )
        names = ", ".join(ident(c) for c in TABLES["imports"].names)
        txn.append("imports", f"SELECT * FROM (VALUES {values_list([record])}) AS v({names})")
        return result
    finally:
        txn.con.execute(f"DROP TABLE IF EXISTS {ident(stage)}")
        if source.rejects_table:
            txn.con.execute(f"DROP TABLE IF EXISTS {ident(source.rejects_table)}")
            txn.con.execute(f"DROP TABLE IF EXISTS {ident(source.rejects_table + '_scan')}")


def _arrow_source(con: duckdb.DuckDBPyConnection, data: pa.Table, source: str) -> tuple[Source, str]:
    """Register Arrow data in the kernel as a source of text columns with row numbers (1-based)."""
    view = f"_canyu_arrow_{uuid.uuid4().hex[:12]}"
    if "_row" in data.column_names:
        raise IngestError(
            "a column may not be named '_row' (canyu numbers the rows itself)",
            message_zh="列名不能是 '_row'（canyu 自己为行编号）",
            file=source,
        )
    numbered = data.append_column("_row", pa.array(range(1, data.num_rows + 1), pa.int64()))
    con.register(view, numbered)
    cols = []
    for f in data.schema:
        nested = pa.types.is_nested(f.type)
        cols.append(
            f"CAST({'to_json(' + ident(f.name) + ')' if nested else ident(f.name)} AS VARCHAR) AS {ident(f.name)}"
        )
    relation = f"(SELECT {', '.join([*cols, '_row'])} FROM {ident(view)})"
    return Source(source, "arrow", relation, list(data.column_names), "arrow"), view


def import_batches(
    store: Store,
    cfg: WorkspaceConfig,
    batches: Iterable[pa.RecordBatch] | pa.RecordBatch | pa.Table,
    *,
    source: str,
    table: str | None = None,
    mapping: str | Path | Mapping | None = None,
    key: bytes | None = None,
) -> ImportResult:
    """Import Arrow data (a live collector's batches) like a file, in one atomic transaction.

    The rows go through the same validation, deduplication (events by
    ``event_id``), quarantine and accounting as a file's: the result's counts
    add up (rows_in = loaded + duplicate + quarantined) and ``imports`` records
    them under ``source``. Columns may hold any Arrow type; values are read as
    their text (nested values as JSON), exactly as a file's cells are.

    Parameters
    ----------
    batches
        A table, one record batch, or an iterable of record batches with one schema.
    source
        What the rows are named by in ``imports`` and ``quarantine`` (e.g. ``"collector:h5"``).
    table, mapping
        As for :func:`import_files`; with no mapping, columns carry contract names.
    """
    if isinstance(batches, pa.Table):
        data = batches
    elif isinstance(batches, pa.RecordBatch):
        data = pa.Table.from_batches([batches])
    else:
        items = list(batches)
        if not items:
            raise IngestError("no record batches to import", message_zh="没有可导入的记录批", file=source)
        try:
            data = pa.Table.from_batches(items)
        except (pa.ArrowInvalid, TypeError) as exc:
            raise IngestError(
                f"the record batches do not share one schema: {exc}",
                message_zh=f"记录批的结构不一致：{exc}",
                file=source,
            ) from exc
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, table=table)
    with store.transaction(memory_limit=cfg.engine.import_memory_limit) as txn:
        txn.con.execute("SET TimeZone = 'UTC'")
        check_store_key(txn, key)
        src, view = _arrow_source(txn.con, data, source)
        try:
            result = _import_source(txn, src, m, cfg, key, None, size=data.nbytes)
        finally:
            txn.con.unregister(view)
        if m.table == "identity_links" and result.rows_loaded:
            resolve_identities(txn)
    return result


def import_files(
    store: Store,
    cfg: WorkspaceConfig,
    files: Sequence[str | Path],
    *,
    table: str | None = None,
    mapping: str | Path | Mapping | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    key: bytes | None = None,
    tmp_dir: Path,
    progress: ProgressFn | None = None,
) -> list[ImportResult]:
    """Import ``files`` into ``table`` in one atomic transaction.

    Parameters
    ----------
    store
        The workspace store.
    files
        Input files (CSV, TSV, XLSX, JSON Lines, Parquet).
    table
        Target table; may come from the mapping instead.
    mapping
        A mapping file, a shipped mapping name, or a :class:`Mapping`; None
        maps columns by their contract names.
    encoding
        Overrides the detected text encoding.
    sheet
        The XLSX sheet to read (required when a workbook has several sheets with data).
    key
        The HMAC key for personal data (required when files hold any).
    """
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping, table=table)
    if encoding:
        m = replace(m, encoding=encoding)
    if sheet:
        m = replace(m, sheet=sheet)
    clean_stale_temp(tmp_dir)  # copies left by an import that was killed
    results: list[ImportResult] = []
    # Imports stream: they run under their own small memory budget, queries under the store's.
    with store.transaction(memory_limit=cfg.engine.import_memory_limit) as txn:
        txn.con.execute("SET TimeZone = 'UTC'")
        check_store_key(txn, key)
        for f in files:
            results.append(_import_one(txn, Path(f), m, cfg, key, tmp_dir, progress))
        if m.table == "identity_links" and any(r.rows_loaded for r in results):
            resolve_identities(txn)
    return results
