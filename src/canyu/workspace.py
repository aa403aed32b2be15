"""A workspace: a folder with canyu.toml, the store, quarantine/ and reports/.

:func:`canyu.open` returns a :class:`Workspace`, the Python API for notebook
users: its tables as Ibis expressions, import and forget methods, and results
as Arrow or pandas.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from canyu.config import CONFIG_FILE, WorkspaceConfig, load_config, save_config
from canyu.errors import PrivacyError, UnknownNameError, WorkspaceError
from canyu.identity import person_id
from canyu.ingest import ImportResult, clean_stale_temp, import_batches, import_files, neutralize_cell
from canyu.ingest._importer import check_store_key
from canyu.privacy import create_key, hash_identifier, is_phone, key_path, load_key
from canyu.store import ENGINES, TABLES, ForgetResult, Store, forget_person, open_store

if TYPE_CHECKING:
    from datetime import date

    import ibis
    import pandas as pd

    from canyu.ingest._importer import ProgressFn
    from canyu.session import AnalysisSession, Period

__all__ = ["Workspace", "WorkspaceStatus", "create_workspace", "open_workspace"]


class _DryRun(Exception):  # control flow: rolls a dry-run forget back, carrying its result
    def __init__(self, result: ForgetResult) -> None:
        super().__init__("dry run")
        self.result = result


@dataclass(frozen=True)
class WorkspaceStatus:
    """Rows per table, date range per channel, and the last imports.

    Event times (``first``, ``last``, ``started``) are naive UTC, as stored; ``timezone`` is the
    workspace's zone, in which presenters show them.
    """

    path: str
    brand: str
    engine: str
    rows: dict[str, int]
    channels: list[dict[str, Any]]
    imports: list[dict[str, Any]]
    quarantined: int
    timezone: str = "UTC"

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class Workspace:
    """An open workspace. Use as a context manager, or call :meth:`close`.

    Examples
    --------
    >>> import canyu                                            # doctest: +SKIP
    >>> ws = canyu.open("brand-x")                              # doctest: +SKIP
    >>> ws.import_files(["events.csv"], mapping="generic_events")  # doctest: +SKIP
    >>> ws.to_pandas(ws.table("events").group_by("channel").count())  # doctest: +SKIP
    """

    def __init__(self, path: Path, config: WorkspaceConfig, store: Store) -> None:
        self.path = path
        self.config = config
        self.store = store
        clean_stale_temp(path / ".tmp")  # plaintext copies an import killed with -9 left behind

    # -- reading -------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        """A table of the workspace as an Ibis expression (see ``canyu.store.TABLES``)."""
        if name not in TABLES:
            raise UnknownNameError("table", name, tuple(TABLES))
        return self.store.table(name)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(TABLES)

    def to_arrow(self, expr: ibis.Expr | str) -> pa.Table:
        """Run an Ibis expression (or fetch a whole table by name) and return Arrow."""
        return self.store.to_arrow(self.table(expr) if isinstance(expr, str) else expr)

    def to_pandas(self, expr: ibis.Expr | str) -> pd.DataFrame:
        return self.to_arrow(expr).to_pandas()

    # -- analysing -----------------------------------------------------------
    def session(
        self,
        *,
        period: Period | str | tuple[date | None, date | None] | None = None,
        channels: Sequence[str] | str | None = None,
        campaigns: Sequence[str] | str | None = None,
        engine: str | None = None,
    ) -> AnalysisSession:
        """An analysis session over this workspace (see :class:`canyu.session.AnalysisSession`).

        ``period`` is a :class:`~canyu.session.Period`, its text (``2026-10``,
        ``2026-10-01..2026-10-31``, ``last-30d``) or a ``(start, end)`` pair of local dates;
        ``channels`` a list or ``"a,b"``; ``campaigns`` likewise (``events.campaign_id`` values:
        only those campaigns' events are analysed); ``engine`` reads through another engine than this
        workspace's (the session then owns and closes that connection).
        """
        from canyu.session import AnalysisSession

        if isinstance(channels, str):
            channels = [c for c in channels.split(",") if c.strip()]
        if isinstance(campaigns, str):
            campaigns = [c for c in campaigns.split(",") if c.strip()]
        if engine and engine != self.store.engine:
            other = open_workspace(self.path, engine=engine)
            return AnalysisSession(
                other, period=period, channels=channels, campaigns=campaigns, owns_workspace=True
            )
        return AnalysisSession(self, period=period, channels=channels, campaigns=campaigns)

    # -- writing -------------------------------------------------------------
    def update_config(self, **changes: Any) -> WorkspaceConfig:
        """Change settings (fields of :class:`~canyu.config.WorkspaceConfig`), validate and save canyu.toml."""
        from dataclasses import replace

        cfg = replace(self.config, **changes)
        save_config(self.path, cfg)
        self.config = cfg
        return cfg

    def _key(self) -> bytes | None:
        try:
            return load_key(self.config)
        except PrivacyError:
            return None

    def import_files(
        self,
        files: Sequence[str | Path],
        *,
        table: str | None = None,
        mapping: str | Path | None = None,
        encoding: str | None = None,
        sheet: str | None = None,
        progress: ProgressFn | None = None,
    ) -> list[ImportResult]:
        """Import files atomically (see :func:`canyu.ingest.import_files`)."""
        key = self._key()
        results = import_files(
            self.store,
            self.config,
            list(files),
            table=table,
            mapping=mapping,
            encoding=encoding,
            sheet=sheet,
            key=key,
            tmp_dir=self.path / ".tmp",
            progress=progress,
        )
        return results

    def import_batches(
        self,
        batches: Iterable[pa.RecordBatch] | pa.RecordBatch | pa.Table,
        *,
        source: str,
        table: str | None = None,
        mapping: str | Path | None = None,
    ) -> ImportResult:
        """Import Arrow data atomically, like a file (see :func:`canyu.ingest.import_batches`).

        Examples
        --------
        >>> batch = pa.record_batch({"event_id": ["e1"], "ts": ["2026-10-01 09:00:00"],
        ...     "channel": ["web"], "action": ["view"], "user_id": ["u1"]})  # doctest: +SKIP
        >>> ws.import_batches([batch], table="events", source="collector:h5")  # doctest: +SKIP
        """
        return import_batches(
            self.store, self.config, batches, source=source, table=table, mapping=mapping, key=self._key()
        )

    def forget(
        self,
        *,
        person: str | None = None,
        user: str | None = None,
        reason: str = "data subject request",
        dry_run: bool = False,
    ) -> ForgetResult:
        """Delete a person's rows from every table (by person id, or by ``CHANNEL:ID``).

        Then the store is compacted so the deleted ids' bytes leave the disk (DuckDB), their ids
        are kept as keyed hashes so a re-import skips them, and the reports written before that
        mention them are listed. With ``dry_run`` nothing changes: the result says what would be
        removed.
        """
        import datetime as dt

        if (person is None) == (user is None):
            raise PrivacyError(
                "give exactly one of person or user", message_zh="请只指定 person 或 user 之一"
            )
        user_keys: tuple[str, ...] = ()
        if user is not None:
            if ":" not in user:
                raise PrivacyError(f"{user!r} is not CHANNEL:ID", message_zh=f"{user!r} 不是 渠道:ID 格式")
            channel, uid = user.split(":", 1)
            key = self._key()
            if key is not None and is_phone(uid):
                uid = hash_identifier(key, "phone", uid)  # stored as its hash: find it so
                user = f"{channel}:{uid}"
            import ibis  # here, not at the top: importing Ibis costs ~0.5 s a command

            found = self.to_arrow(
                self.table("identities")
                .filter((ibis._.channel == channel) & (ibis._.user_id == uid))
                .select("person_id")
            )
            person = found.column(0)[0].as_py() if found.num_rows else person_id(channel, uid)
            user_keys = (user,)
        assert person is not None
        key = self._key()
        started = dt.datetime.now().timestamp()
        try:
            with self.store.transaction() as txn:
                check_store_key(txn, key)
                res = forget_person(txn, person, key=key, reason=reason, user_keys=user_keys)
                if dry_run:
                    raise _DryRun(res)
        except _DryRun as dry:
            res = replace(dry.result, dry_run=True)
        else:
            compact = getattr(self.store, "compact", None)
            if compact is not None:
                compact()
                res = replace(res, compacted=True)
        exports = self._clean_quarantine_exports(res, rewrite=not res.dry_run)
        return replace(res, reports=self._reports_mentioning(res, before=started), exports_cleaned=exports)

    def _needles(self, res: ForgetResult) -> set[bytes]:
        needles = {res.person_id.encode()} | {k.split(":", 1)[1].encode() for k in res.ids if ":" in k}
        return {n for n in needles if len(n) >= 2}

    def _clean_quarantine_exports(self, res: ForgetResult, *, rewrite: bool) -> tuple[str, ...]:
        """Rewrite the quarantine exports (``quarantine/*.csv``) without the rows naming the person.

        A row goes when one of its cells is one of the person's ids; the file is written anew and
        renamed over the old one. Returns the files that named the person.
        """
        folder = self.path / "quarantine"
        if not folder.is_dir():
            return ()
        needles = self._needles(res)
        ids = {n.decode() for n in needles}
        touched = []
        for f in sorted(folder.glob("*.csv")):
            data = f.read_bytes()
            if not any(n in data for n in needles):
                continue
            touched.append(str(f))
            if not rewrite:
                continue
            with open(f, encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.reader(fh))
            kept = [r for r in rows if not any(any(i in cell for i in ids) for cell in r)]
            tmp = f.with_name(f".{f.name}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
                csv.writer(fh).writerows(kept)
            os.replace(tmp, f)
        return tuple(touched)

    def _reports_mentioning(self, res: ForgetResult, *, before: float) -> tuple[str, ...]:
        """Files in ``reports/`` written before ``before`` whose bytes name the person or one of their ids."""
        folder = self.path / "reports"
        if not folder.is_dir():
            return ()
        needles = self._needles(res)
        found = []
        for f in sorted(folder.rglob("*")):
            if not f.is_file() or f.stat().st_mtime > before:
                continue
            data = f.read_bytes()
            if any(n in data for n in needles):
                found.append(str(f))
        return tuple(found)

    # -- status --------------------------------------------------------------
    def status(self, *, last_imports: int = 10) -> WorkspaceStatus:
        import ibis  # here, not at the top: importing Ibis costs ~0.5 s a command

        counts = ibis.union(
            *(self.table(name).aggregate(table_name=ibis.literal(name), n=ibis._.count()) for name in TABLES)
        )
        found = {r["table_name"]: int(r["n"]) for r in self.to_arrow(counts).to_pylist()}
        rows = {name: found.get(name, 0) for name in TABLES}
        ev = self.table("events")
        by_channel = self.to_arrow(
            ev.group_by("channel")
            .aggregate(rows=ev.count(), first=ev.ts.min(), last=ev.ts.max(), people=ev.person_id.nunique())
            .order_by("channel")
        ).to_pylist()
        cs = self.table("content_stats")
        stats = {
            r["channel"]: r
            for r in self.to_arrow(
                cs.group_by("channel").aggregate(
                    stat_rows=cs.count(), stat_first=cs.date.min(), stat_last=cs.date.max()
                )
            ).to_pylist()
        }
        channels: list[dict[str, Any]] = []
        for r in by_channel:
            r.update(stats.pop(r["channel"], {}))
            channels.append(r)
        channels += [{"channel": ch, **s} for ch, s in stats.items()]
        imp = self.table("imports")
        imports = self.to_arrow(imp.order_by(ibis.desc("started")).limit(last_imports)).to_pylist()
        return WorkspaceStatus(
            path=str(self.path),
            brand=self.config.brand,
            engine=self.store.engine,
            rows=rows,
            channels=channels,
            imports=imports,
            quarantined=rows["quarantine"],
            timezone=self.config.timezone,
        )

    def quarantine(self, *, batch_id: str | None = None) -> pa.Table:
        """Rejected rows with file, row, field, value and reason."""
        q = self.table("quarantine")
        if batch_id:
            q = q.filter(q.batch_id == batch_id)
        return self.to_arrow(q.order_by(["source", "row_number"]))

    def export_quarantine(self, dest: Path | None = None, *, batch_id: str | None = None) -> list[Path]:
        """Write rejected rows to CSV files (one per source file and table) so they can be fixed and re-imported.

        Each file has the source's original columns (personal data hashed) plus
        ``_row``, ``_field`` and ``_reason``; delete those three after fixing.
        """
        import json

        dest = Path(dest or self.path / "quarantine")
        dest.mkdir(parents=True, exist_ok=True)
        rows = self.quarantine(batch_id=batch_id).to_pylist()
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in rows:
            groups.setdefault((r["source"], r["table_name"]), []).append(r)
        written = []
        for (source, table), items in groups.items():
            out = dest / f"{Path(source).stem}.{table}.rejected.csv"
            parsed = [json.loads(r["raw"]) if r["raw"] else {} for r in items]
            columns: list[str] = []
            for p in parsed:
                columns += [c for c in p if c not in columns]
            with open(out, "w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([*columns, "_row", "_field", "_reason"])
                for r, p in zip(items, parsed, strict=True):
                    cells = [p.get(c) for c in columns] + [r["row_number"], r["field"], r["reason"]]
                    w.writerow([neutralize_cell(c) for c in cells])
            written.append(out)
        return written

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r}, engine={self.store.engine!r})"


def _open_store(path: Path, cfg: WorkspaceConfig) -> Store:
    return open_store(
        path,
        engine=cfg.engine.name,
        spark_master=cfg.engine.spark_master,
        spark_path=Path(cfg.engine.spark_path) if cfg.engine.spark_path else None,
        memory_limit=cfg.engine.memory_limit,
    )


def create_workspace(
    path: str | os.PathLike[str],
    *,
    brand: str = "",
    timezone: str = "Asia/Shanghai",
    locale: str = "zh-CN",
    engine: str = "duckdb",
    conversion_actions: tuple[str, ...] = ("purchase",),
) -> Workspace:
    """Create a workspace folder: canyu.toml, the store, quarantine/, reports/ and a hashing key.

    Creation is all or nothing: if any step fails, what it had made is removed
    (canyu.toml, written last, marks a finished workspace).
    """
    p = Path(path)
    if (p / CONFIG_FILE).exists():
        raise WorkspaceError(f"{p} is already a workspace", message_zh=f"{p} 已经是工作区", path=str(p))
    if engine not in ENGINES:
        raise UnknownNameError("engine", engine, ENGINES)
    cfg = WorkspaceConfig(
        brand=brand or p.resolve().name,
        timezone=timezone,
        locale=locale,
        conversion_actions=tuple(conversion_actions),
    ).with_engine(engine)
    # The highest folder this call creates, else what it adds to an existing folder: undone on failure.
    top = next((q for q in reversed((p, *p.parents)) if not q.exists()), None)
    before = set(p.iterdir()) if p.is_dir() else set()
    new_key = None if key_path(cfg).exists() else key_path(cfg)
    store: Store | None = None
    try:
        p.mkdir(parents=True, exist_ok=True)
        for sub in ("quarantine", "reports"):
            (p / sub).mkdir(exist_ok=True)
        create_key(cfg)
        store = _open_store(p, cfg)
        save_config(p, cfg)
    except BaseException:
        if store is not None:
            store.close()
        _undo_creation(p, top=top, before=before, new_key=new_key)
        raise
    return Workspace(p, cfg, store)


def _undo_creation(p: Path, *, top: Path | None, before: set[Path], new_key: Path | None) -> None:
    """Remove what a failed :func:`create_workspace` made, and nothing that was there before."""
    import shutil

    if top is not None:
        shutil.rmtree(top, ignore_errors=True)
    elif p.is_dir():
        for entry in set(p.iterdir()) - before:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    if new_key is not None:
        new_key.unlink(missing_ok=True)


def open_workspace(path: str | os.PathLike[str], *, engine: str | None = None) -> Workspace:
    """Open the workspace at ``path`` (``engine`` overrides canyu.toml for this session)."""
    p = Path(path)
    if not (p / CONFIG_FILE).exists():
        raise WorkspaceError(
            f"{p} is not a canyu workspace (no {CONFIG_FILE}); create one with: canyu init {p}",
            message_zh=f"{p} 不是 canyu 工作区（缺少 {CONFIG_FILE}）；请先运行 canyu init {p}",
            path=str(p),
        )
    cfg = load_config(p)
    if engine:
        if engine not in ENGINES:
            raise UnknownNameError("engine", engine, ENGINES)
        cfg = cfg.with_engine(engine)
    return Workspace(p, cfg, _open_store(p, cfg))
