"""Workspace commands: init, status, import, quarantine, forget, mappings."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from canyu.cli._app import DirArg, EngineOpt, JsonOpt, app, open_ws, state
from canyu.cli._present import (
    dropped_lines,
    import_lines,
    import_progress,
    mapping_tables,
    mappings_table,
    print_json,
    quarantine_more,
    quarantine_table,
    say,
    status_tables,
    suggestion_tables,
)
from canyu.errors import InvalidArgumentError
from canyu.i18n import t
from canyu.store import ENGINES, IMPORTABLE
from canyu.workspace import create_workspace

__all__ = ["forget", "import_", "init", "mappings", "mappings_app", "quarantine", "status"]


@app.command()
def init(
    ctx: typer.Context,
    path: DirArg,
    brand: Annotated[str, typer.Option(help="Brand name (default: the folder's name).")] = "",
    timezone: Annotated[str, typer.Option(help="Time zone of times that carry none.")] = "Asia/Shanghai",
    locale: Annotated[str, typer.Option(help="Language of reports and messages: zh-CN or en.")] = "zh-CN",
    engine: Annotated[str, typer.Option(help=f"Storage engine: {', '.join(ENGINES)}.")] = "duckdb",
) -> None:
    """Create a workspace: canyu.toml, the store, quarantine/, reports/ and a hashing key."""
    from canyu.privacy import key_path

    st = state(ctx)
    st.locale = locale
    ws = create_workspace(path, brand=brand, timezone=timezone, locale=locale, engine=engine)
    with ws:
        say(st.out, t("created", locale, path=path, brand=ws.config.brand, engine=ws.store.engine))
        if os.environ.get(ws.config.privacy.key_env):
            say(st.out, t("key_env", locale, env=ws.config.privacy.key_env))
        else:
            say(st.out, t("key_file", locale, path=key_path(ws.config)))


@app.command()
def status(ctx: typer.Context, path: DirArg, engine: EngineOpt = None, as_json: JsonOpt = False) -> None:
    """Show each table's rows, the date range per channel and the last imports."""
    with open_ws(ctx, path, engine) as ws:
        st = ws.status()
        if as_json:
            print_json(st.to_dict())
            return
        for part in status_tables(st, ws.config.locale):
            state(ctx).out.print(part)


@app.command("import")
def import_(
    ctx: typer.Context,
    path: DirArg,
    files: Annotated[
        list[Path],
        typer.Argument(
            exists=True, dir_okay=False, help="Files to import: CSV, TSV, XLSX, JSON Lines or Parquet."
        ),
    ],
    table: Annotated[
        str | None, typer.Option("--table", "-t", help=f"Target table: {', '.join(IMPORTABLE)}.")
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping", "-m", help="Mapping TOML file, or a shipped mapping's name (canyu mappings)."
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding (default: detected; e.g. gb18030).")
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(help="Excel sheet to read, by name (default: the mapping's, else the first)."),
    ] = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import files into a table: map, validate, deduplicate; quarantine rejected rows with their reason.

    All files of one call land together or not at all. Importing the same file again changes nothing.
    """
    st = state(ctx)
    with open_ws(ctx, path, engine) as ws:
        loc = ws.config.locale
        progress, on_progress = import_progress(st.err, quiet=as_json)
        try:
            with progress:
                results = ws.import_files(
                    files,
                    table=table,
                    mapping=mapping,
                    encoding=encoding,
                    sheet=sheet,
                    progress=on_progress,
                )
        except KeyboardInterrupt:
            say(st.err, t("aborted", loc))
            raise typer.Exit(130) from None
        if as_json:
            print_json([r.to_dict() for r in results])
            return
        for line in import_lines(results, loc):
            say(st.out, line)
        for r in results:
            if r.rows_suppressed:
                say(
                    st.out,
                    t(
                        "privacy.suppressed",
                        loc,
                        source=r.source,
                        n=f"{r.rows_suppressed:,}",
                        rows_in=f"{r.rows_in:,}",
                    ),
                )
        for line in dropped_lines(results, loc):
            say(st.out, line)
        if any(r.rows_quarantined for r in results):
            say(st.out, t("quarantine_hint", loc, path=path))


@app.command()
def quarantine(
    ctx: typer.Context,
    path: DirArg,
    batch: Annotated[str | None, typer.Option(help="Only this import batch.")] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            help="Write the rejected rows as CSV files into this folder, ready to fix and re-import."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show (0: all).")] = 50,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List rejected rows (file, row, field, value, reason), or export them for fixing."""
    if limit < 0:
        raise InvalidArgumentError("--limit", limit, ">= 0")
    st = state(ctx)
    with open_ws(ctx, path, engine) as ws:
        loc = ws.config.locale
        if export is not None:
            for out in ws.export_quarantine(export, batch_id=batch):
                say(st.out, t("exported", loc, path=out))
            return
        rows = ws.quarantine(batch_id=batch).to_pylist()
        shown = rows[:limit] if limit else rows
        if as_json:
            print_json(shown)
            return
        if not rows:
            say(st.out, t("quarantine_empty", loc))
            return
        st.out.print(quarantine_table(shown, loc))
        if len(rows) > len(shown):
            say(st.out, quarantine_more(len(rows) - len(shown), loc))


@app.command()
def forget(
    ctx: typer.Context,
    path: DirArg,
    person: Annotated[
        str | None, typer.Option(help="The person id (see identities / events.person_id).")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="A channel-scoped id: CHANNEL:ID, e.g. wechat_oa:o6_bmjrPTlm6.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the deletion record).")] = "data subject request",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be removed, and remove nothing.")
    ] = False,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a person's rows from every table, record the deletion, and keep them from coming back (PIPL).

    The store file is rewritten so the deleted ids' bytes leave the disk; the ids are kept as keyed
    hashes so importing the same export again skips them; reports written before that mention the
    person are listed.
    """
    with open_ws(ctx, path, engine) as ws:
        res = ws.forget(person=person, user=user, reason=reason, dry_run=dry_run)
        if as_json:
            print_json(res.to_dict())
            return
        loc = ws.config.locale
        out = state(ctx).out
        detail = ", ".join(f"{k} {v}" for k, v in res.rows_deleted.items() if v)
        rows = sum(v for k, v in res.rows_deleted.items() if k != "events (sharer reference removed)")
        if res.dry_run:
            say(
                out,
                t(
                    "privacy.dry_run",
                    loc,
                    person=res.person_id,
                    rows=rows,
                    detail=detail,
                    ids=len(res.ids),
                    keys=", ".join(res.ids),
                ),
            )
        else:
            say(out, t("forgot", loc, person=res.person_id, rows=rows, detail=detail, id=res.deletion_id))
            say(out, t("privacy.suppressing", loc, ids=len(res.ids)))
            if res.compacted:
                say(out, t("privacy.compacted", loc))
        if res.reports:
            say(out, t("privacy.reports", loc, n=len(res.reports), paths=", ".join(res.reports)))


mappings_app = typer.Typer(no_args_is_help=False)
app.add_typer(mappings_app, name="mappings")


@mappings_app.callback(invoke_without_command=True)
def mappings(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the mappings shipped with canyu (use their name with --mapping); show one, or find the one for a file.

    With no command, lists each mapping's name, target table and file.
    """
    from canyu.ingest import load_mapping, shipped_mappings

    if ctx.invoked_subcommand is not None:
        return
    items = [
        {"name": n, "table": load_mapping(n).table, "path": str(p)}
        for n, p in sorted(shipped_mappings().items())
    ]
    if as_json:
        print_json(items)
        return
    st = state(ctx)
    st.out.print(mappings_table(items, st.locale))


@mappings_app.command("show")
def mappings_show(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="A shipped mapping's name (canyu mappings), or a mapping TOML file.")
    ],
    as_json: JsonOpt = False,
) -> None:
    """What a mapping reads: its table, file format, and each column's source columns, time formats, units, labels."""
    from canyu.ingest import describe_mapping

    info = describe_mapping(name)
    if as_json:
        print_json(info)
        return
    st = state(ctx)
    for part in mapping_tables(info, st.locale):
        st.out.print(part)


@mappings_app.command("suggest")
def mappings_suggest(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A platform export: CSV, XLSX, JSON...")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Rank the shipped mappings by how well they read FILE's columns (0 when a required one is missing)."""
    from canyu.ingest import suggest_mappings

    matches = suggest_mappings(file)
    if as_json:
        print_json([m.to_dict() for m in matches])
        return
    st = state(ctx)
    for part in suggestion_tables(matches, file.name, st.locale):
        st.out.print(part)
