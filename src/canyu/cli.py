"""The canyu command line (Typer). Every command has --help; errors print one line.

Errors derived from :class:`canyu.errors.CanyuError` print one line in the
workspace's language and exit with status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from canyu import __version__
from canyu.errors import CanyuError
from canyu.i18n import default_locale, t
from canyu.store import ENGINES, IMPORTABLE
from canyu.workspace import Workspace, create_workspace, open_workspace

__all__ = ["app", "main"]

app = typer.Typer(
    name="canyu",
    help="canyu (参与): new-media marketing operations for conversions — import, analyse, diagnose, plan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)


class _State:
    locale: str = default_locale()
    debug: bool = False


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def _open(path: Path, engine: str | None) -> Workspace:
    ws = open_workspace(path, engine=engine)
    _State.locale = ws.config.locale
    return ws


DirArg = Annotated[Path, typer.Argument(help="The workspace folder.")]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine", help=f"Engine for this command ({', '.join(ENGINES)}); default from canyu.toml."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    _State.debug = debug
    if version:
        console.print(f"canyu {__version__}")
        raise typer.Exit()


@app.command()
def init(
    path: DirArg,
    brand: Annotated[str, typer.Option(help="Brand name (default: the folder's name).")] = "",
    timezone: Annotated[str, typer.Option(help="Time zone of times that carry none.")] = "Asia/Shanghai",
    locale: Annotated[str, typer.Option(help="Language of reports and messages: zh-CN or en.")] = "zh-CN",
    engine: Annotated[str, typer.Option(help=f"Storage engine: {', '.join(ENGINES)}.")] = "duckdb",
) -> None:
    """Create a workspace: canyu.toml, the store, quarantine/, reports/ and a hashing key."""
    ws = create_workspace(path, brand=brand, timezone=timezone, locale=locale, engine=engine)
    _State.locale = locale
    with ws:
        console.print(t("created", locale, path=path, brand=ws.config.brand, engine=ws.store.engine))
        from canyu.privacy import key_path

        if os.environ.get(ws.config.privacy.key_env):
            console.print(t("key_env", locale, env=ws.config.privacy.key_env))
        else:
            console.print(t("key_file", locale, path=key_path(ws.config)))


def _render_status(ws: Workspace, as_json: bool) -> None:
    st = ws.status()
    if as_json:
        _print_json(st.to_dict())
        return
    loc = _State.locale
    console.print(f"[bold]{t('status_title', loc, path=st.path, brand=st.brand, engine=st.engine)}[/bold]")
    rows = Table(t("table", loc), t("rows", loc))
    for name, n in st.rows.items():
        rows.add_row(name, f"{n:,}")
    console.print(rows)
    if st.channels:
        ch = Table(
            t("channel", loc),
            t("rows", loc),
            t("first", loc),
            t("last", loc),
            t("people", loc),
            t("stat_days", loc),
        )
        for c in st.channels:
            ch.add_row(
                str(c["channel"]),
                f"{c.get('rows') or 0:,}",
                str(c.get("first") or c.get("stat_first") or ""),
                str(c.get("last") or c.get("stat_last") or ""),
                f"{c.get('people') or 0:,}",
                f"{c.get('stat_rows') or 0:,}",
            )
        console.print(ch)
    if st.imports:
        imp = Table(
            t("batch", loc),
            t("source", loc),
            t("table", loc),
            t("rows_in", loc),
            t("loaded", loc),
            t("duplicate", loc),
            t("quarantined", loc),
            title=t("imports", loc),
        )
        for r in st.imports:
            imp.add_row(
                r["batch_id"],
                Path(r["source"]).name,
                r["table_name"],
                f"{r['rows_in']:,}",
                f"{r['rows_loaded']:,}",
                f"{r['rows_duplicate']:,}",
                f"{r['rows_quarantined']:,}",
            )
        console.print(imp)


@app.command()
def status(path: DirArg, engine: EngineOpt = None, as_json: JsonOpt = False) -> None:
    """Show each table's rows, the date range per channel and the last imports."""
    with _open(path, engine) as ws:
        _render_status(ws, as_json)


@app.command("import")
def import_(
    path: DirArg,
    files: Annotated[
        list[Path], typer.Argument(help="Files to import: CSV, TSV, XLSX, JSON Lines or Parquet.")
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
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import files into a table: map, validate, deduplicate; quarantine rejected rows with their reason.

    All files of one call land together or not at all. Importing the same file again changes nothing.
    """
    with _open(path, engine) as ws:
        loc = ws.config.locale
        progress, on_progress = _import_progress(quiet=as_json)
        try:
            with progress:
                results = ws.import_files(
                    files, table=table, mapping=mapping, encoding=encoding, progress=on_progress
                )
        except KeyboardInterrupt:
            err_console.print(t("aborted", loc))
            raise typer.Exit(130) from None
        if as_json:
            _print_json([r.to_dict() for r in results])
            return
        for r in results:
            console.print(
                t(
                    "imported",
                    loc,
                    source=r.source,
                    rows_in=f"{r.rows_in:,}",
                    loaded=f"{r.rows_loaded:,}",
                    duplicate=f"{r.rows_duplicate:,}",
                    quarantined=f"{r.rows_quarantined:,}",
                    batch=r.batch_id,
                )
            )
        if any(r.rows_quarantined for r in results):
            console.print(t("quarantine_hint", loc, path=path))


@app.command()
def quarantine(
    path: DirArg,
    batch: Annotated[str | None, typer.Option(help="Only this import batch.")] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            help="Write the rejected rows as CSV files into this folder, ready to fix and re-import."
        ),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List rejected rows (file, row, field, value, reason), or export them for fixing."""
    with _open(path, engine) as ws:
        loc = ws.config.locale
        if export is not None:
            for out in ws.export_quarantine(export, batch_id=batch):
                console.print(t("exported", loc, path=out))
            return
        rows = ws.quarantine(batch_id=batch).to_pylist()
        if as_json:
            _print_json(rows[:limit] if limit else rows)
            return
        if not rows:
            console.print(t("quarantine_empty", loc))
            return
        tab = Table(t("file", loc), t("row", loc), t("field", loc), t("value", loc), t("reason", loc))
        for r in rows[:limit]:
            tab.add_row(
                Path(r["source"]).name, str(r["row_number"]), r["field"] or "", r["value"] or "", r["reason"]
            )
        console.print(tab)
        if len(rows) > limit:
            console.print(f"… {len(rows) - limit:,} more (--limit, --json, --export)")


@app.command()
def forget(
    path: DirArg,
    person: Annotated[
        str | None, typer.Option(help="The person id (see identities / events.person_id).")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="A channel-scoped id: CHANNEL:ID, e.g. wechat_oa:o6_bmjrPTlm6.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the deletion record).")] = "data subject request",
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a person's rows from every table and record the deletion (PIPL)."""
    with _open(path, engine) as ws:
        res = ws.forget(person=person, user=user, reason=reason)
        if as_json:
            _print_json(res.to_dict())
            return
        detail = ", ".join(f"{k} {v}" for k, v in res.rows_deleted.items() if v)
        console.print(
            t(
                "forgot",
                ws.config.locale,
                person=res.person_id,
                rows=sum(res.rows_deleted.values()),
                detail=detail,
                id=res.deletion_id,
            )
        )


@app.command()
def report(
    path: DirArg,
    locale: Annotated[
        str | None, typer.Option("--locale", help="zh-CN or en (default: the workspace's, from canyu.toml).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write (default: DIR/reports/report-<date>.<locale>.html)."),
    ] = None,
    sections: Annotated[
        str | None,
        typer.Option(
            "--sections",
            help="Comma-separated section names, e.g. overview,data_quality (default: all; unknown names list the valid ones).",
        ),
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option("--start", formats=["%Y-%m-%d"], help="First day of the period (workspace time zone)."),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--end", formats=["%Y-%m-%d"], help="Last day of the period, included."),
    ] = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the HTML report: findings first, then each section's tables and charts; opens offline."""
    from canyu.report import Period, write_report

    with _open(path, engine) as ws:
        res = write_report(
            ws,
            path=out,
            locale=locale,
            sections=sections,
            period=Period(start.date() if start else None, end.date() if end else None),
        )
        _State.locale = res.locale
        if as_json:
            _print_json(res.to_dict())
            return
        console.print(res.summary(), highlight=False, soft_wrap=True)


@app.command()
def mappings(as_json: JsonOpt = False) -> None:
    """List the mappings shipped with canyu (use their name with --mapping)."""
    from canyu.ingest import load_mapping, shipped_mappings

    items = [
        {"name": n, "table": load_mapping(n).table, "path": str(p)}
        for n, p in sorted(shipped_mappings().items())
    ]
    if as_json:
        _print_json(items)
        return
    tab = Table("name", "table", "path")
    for i in items:
        tab.add_row(i["name"], i["table"], i["path"])
    console.print(tab)


def _import_progress(*, quiet: bool = False) -> tuple[Progress, Any]:
    """A progress bar on stderr (hidden when quiet or not a terminal) and the callback importers report to."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or not sys.stderr.isatty(),
    )
    tasks: dict[str, TaskID] = {}

    def on_progress(name: str, fraction: float) -> None:
        if name not in tasks:
            tasks[name] = progress.add_task(Path(name).name, total=1.0)
        progress.update(tasks[name], completed=fraction)

    return progress, on_progress


@app.command()
def simulate(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace to create (or add to); the files go to DIR/simulated/.")
    ] = None,
    people: Annotated[int, typer.Option(help="People in the population.")] = 50_000,
    days: Annotated[int, typer.Option(help="Days simulated.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical files.")] = 7,
    scenario: Annotated[str, typer.Option(help="Scenario (see --list-scenarios).")] = "default",
    dirty: Annotated[
        bool, typer.Option(help="Add known broken rows that the importer must quarantine.")
    ] = False,
    files_only: Annotated[
        bool, typer.Option("--files-only", help="Write the files into DIR without importing them.")
    ] = False,
    list_scenarios: Annotated[
        bool, typer.Option("--list-scenarios", help="List the scenarios and exit.")
    ] = False,
    locale: Annotated[str, typer.Option(help="Locale of a new workspace: zh-CN or en.")] = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Simulate a brand's social ecosystem with known ground truth, and import it through the real importer."""
    from canyu.simulate import SCENARIOS, import_simulation
    from canyu.simulate import simulate as run_simulation

    if list_scenarios:
        if as_json:
            _print_json({name: s.description for name, s in SCENARIOS.items()})
        else:
            for name, s in SCENARIOS.items():
                console.print(f"[bold]{name}[/bold]: {s.description}")
        return
    if path is None:
        raise CanyuError("give the folder: canyu simulate DIR", message_zh="请给出目录：canyu simulate DIR")
    files = path if files_only else path / "simulated"
    result = run_simulation(files, people=people, days=days, seed=seed, scenario=scenario, dirty=dirty)
    summary: dict[str, Any] = {
        "files": str(files),
        "events": result.events,
        "truth": str(files / "truth.json"),
    }
    if not files_only:
        ws = _open(path, None) if (path / "canyu.toml").exists() else create_workspace(path, locale=locale)
        _State.locale = ws.config.locale
        with ws:
            progress, on_progress = _import_progress()
            with progress:
                results = import_simulation(ws, files, progress=on_progress)
            summary["imports"] = [r.to_dict() for r in results]
            if not as_json:
                for r in results:
                    console.print(
                        t(
                            "imported",
                            ws.config.locale,
                            source=Path(r.source).name,
                            rows_in=f"{r.rows_in:,}",
                            loaded=f"{r.rows_loaded:,}",
                            duplicate=f"{r.rows_duplicate:,}",
                            quarantined=f"{r.rows_quarantined:,}",
                            batch=r.batch_id,
                        )
                    )
    if as_json:
        _print_json(summary)
    else:
        console.print(
            t("simulated", _State.locale, events=f"{result.events:,}", files=files, scenario=scenario)
        )


@app.command()
def demo(
    path: Annotated[
        Path, typer.Argument(help="Workspace folder to create (replaced if it is a canyu workspace).")
    ] = Path("demo-workspace"),
    people: Annotated[int, typer.Option(help="People in the simulated population.")] = 50_000,
    days: Annotated[int, typer.Option(help="Days simulated.")] = 90,
    locale: Annotated[str, typer.Option(help="zh-CN or en.")] = "zh-CN",
) -> None:
    """Simulate the default scenario into a new workspace, import it and run every analysis that exists."""
    from canyu import _demo

    if (path / "canyu.toml").exists():
        shutil.rmtree(path)
    _State.locale = locale
    progress, on_progress = _import_progress()
    with progress:
        ws = _demo.build(
            path, locale=locale, people=people, days=days, echo=console.print, progress=on_progress
        )
    with ws:
        _render_status(ws, False)
        _demo.analyses(ws, echo=console.print)


@app.command("attribute")
def attribute_cmd(
    path: Annotated[
        Path | None, typer.Argument(help="A workspace (journeys from its events, else its paths table).")
    ] = None,
    paths: Annotated[
        Path | None,
        typer.Option(
            "--paths",
            exists=True,
            dir_okay=False,
            help="Instead of a workspace: a path table CSV in ChannelAttribution's format (path with touches joined"
            " by ' > ', total_conversions, total_conversion_value, total_null; ',' or ';' separated).",
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            help="'all' or one of first_touch, last_touch, linear, time_decay, position_based, markov, shapley."
        ),
    ] = "all",
    order: Annotated[int, typer.Option(min=1, max=4, help="Order of the Markov chain (1-4).")] = 1,
    by: Annotated[
        str, typer.Option(help="Path element in a workspace: channel, campaign or content.")
    ] = "channel",
    lookback_days: Annotated[
        int, typer.Option(help="Touches this many days before a conversion count.")
    ] = 30,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Attribute conversions to channels (heuristics, exact Markov, Shapley), in a workspace or on a path file."""
    from canyu.analytics.attribution import attribute, attribute_path_file, journey_path_table, journeys

    if (path is None) == (paths is None):
        raise CanyuError(
            "give a workspace DIR or --paths FILE (one of them)",
            message_zh="请给出工作区目录或 --paths 文件（二选一）",
        )
    if paths is not None:
        result = attribute_path_file(paths, model=model, order=order)
        title = paths.name
    else:
        assert path is not None
        if by not in ("channel", "campaign", "content"):
            from canyu.errors import UnknownNameError

            raise UnknownNameError("path element (--by)", by, ("channel", "campaign", "content"))
        with _open(path, engine) as ws:
            touches = journeys(
                ws.table("events"),
                lookback_days=lookback_days,
                conversion_actions=ws.config.conversion_actions,
                key=by,  # type: ignore[arg-type]
            )
            table = ws.to_pandas(journey_path_table(touches))
            if table.empty:
                table = ws.to_pandas(ws.table("paths").drop("batch_id"))
            result = attribute(table, model=model, order=order)
            title = str(path)
    if as_json:
        sys.stdout.write(result.to_json() + "\n")
        return
    conversions = result.wide("conversions")
    tab = Table(
        "channel", *conversions.columns, title=f"{title}: {result.total_conversions:,.0f} conversions"
    )
    for channel, row in conversions.iterrows():
        tab.add_row(str(channel), *(f"{v:,.2f}" for v in row))
    console.print(tab)
    if "markov" in result.models:
        markov = result.credits("markov")["removal_effect"]
        console.print("removal effects: " + ", ".join(f"{c} {v:.3f}" for c, v in markov.items()))


GraphOpt = Annotated[
    Path,
    typer.Option(
        "--graph",
        exists=True,
        dir_okay=False,
        help="Edge list, one 'source target' or 'source target probability' per line; whitespace or commas;"
        " '#' starts a comment line.",
    ),
]
ModelHelp = (
    "Diffusion model: ic (independent cascade), wc (ic with p = 1/in-degree) or lt (linear threshold)."
)
PHelp = (
    "Edge probability (ic) or weight (lt). Default: the file's third column if it has one, "
    "else 0.01 (ic) or 1/in-degree (lt). Ignored by wc."
)
UndirectedOpt = Annotated[bool, typer.Option("--undirected", help="Each line is a two-way link.")]


@app.command("spread")
def spread_cmd(
    graph: GraphOpt,
    seeds: Annotated[str, typer.Option(help="Seed nodes as written in the file, comma separated: a,b.")],
    model: Annotated[str, typer.Option(help=ModelHelp)] = "ic",
    p: Annotated[float | None, typer.Option("--p", help=PHelp)] = None,
    runs: Annotated[int, typer.Option(min=2, help="Monte Carlo runs.")] = 10_000,
    undirected: UndirectedOpt = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Expected word-of-mouth reach of a seed set on a graph (Monte Carlo, seeds included)."""
    from canyu.analytics.influence import spread_from_file

    nodes = [s.strip() for s in seeds.split(",") if s.strip()]
    result = spread_from_file(
        graph, model=model, p=p, seeds=nodes, runs=runs, undirected=undirected, seed=seed
    )
    if as_json:
        _print_json(result.to_dict())
        return
    tab = Table("model", "seeds", "runs", "expected spread", "std. error", "95% interval", title=graph.name)
    tab.add_row(
        result.model,
        ", ".join(result.seeds),
        f"{result.runs:,}",
        f"{result.mean:,.2f}",
        f"{result.stderr:,.2f}",
        f"{result.low:,.2f} – {result.high:,.2f}",
    )
    console.print(tab)
    console.print(f"{result.nodes:,} nodes, {result.edges:,} edges, {result.seconds:.2f}s")


@app.command("seeds")
def seeds_cmd(
    path: Annotated[
        Path | None, typer.Argument(help="A workspace: seed over its follow graph on --channel.")
    ] = None,
    graph: Annotated[
        Path | None,
        typer.Option(
            "--graph",
            exists=True,
            dir_okay=False,
            help="Instead of a workspace: an edge list, one 'source target [probability]' per line; whitespace or"
            " commas; '#' starts a comment line.",
        ),
    ] = None,
    channel: Annotated[
        str, typer.Option(help="Workspace mode: the platform whose follow graph carries the spread.")
    ] = "weibo",
    base_cost: Annotated[
        float, typer.Option(help="Workspace mode: fee of a seed with no followers (yuan).")
    ] = 500.0,
    cost_per_follower: Annotated[
        float, typer.Option(help="Workspace mode: fee per follower (yuan); KOLs cost more.")
    ] = 5.0,
    model: Annotated[str, typer.Option(help=ModelHelp)] = "wc",
    k: Annotated[int, typer.Option("--k", min=1, help="Number of seeds (without --budget).")] = 10,
    p: Annotated[float | None, typer.Option("--p", help=PHelp)] = None,
    epsilon: Annotated[
        float, typer.Option(help="IMM accuracy: the seed set is (1 - 1/e - epsilon)-optimal.")
    ] = 0.1,
    budget: Annotated[
        float | None,
        typer.Option(help="Seeding budget; a node costs 1 + out-degree / mean out-degree (KOLs cost more)."),
    ] = None,
    undirected: UndirectedOpt = False,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Whom to seed for the widest word of mouth (IMM influence maximization), in a workspace or on a graph file.

    In a workspace the graph is the follow graph of --channel (a share reaches the sharer's followers)
    and a seed's fee is --base-cost + --cost-per-follower x followers, so --budget is in yuan.
    """
    from canyu.analytics.influence import seeds_from_file

    if (path is None) == (graph is None):
        raise CanyuError(
            "give a workspace DIR or --graph FILE (one of them)",
            message_zh="请给出工作区目录或 --graph 文件（二选一）",
        )
    if graph is not None:
        result = seeds_from_file(
            graph, model=model, k=k, p=p, epsilon=epsilon, budget=budget, undirected=undirected, seed=seed
        )
        title = graph.name
    else:
        assert path is not None
        result = _workspace_seeds(
            path,
            channel=channel,
            model=model,
            k=k,
            p=p,
            epsilon=epsilon,
            budget=budget,
            base_cost=base_cost,
            cost_per_follower=cost_per_follower,
            seed=seed,
        )
        title = f"{path} ({channel})"
    if as_json:
        _print_json(result.to_dict())
        return
    columns = ["rank", "seed", "marginal spread", "cumulative spread"]
    if result.budget is not None:
        columns.append("cost")
    tab = Table(*columns, title=f"{title}: {result.model}, k={result.k}")
    total = 0.0
    for i, (node, gain) in enumerate(zip(result.seeds, result.gains, strict=True)):
        total += gain
        row = [str(i + 1), node, f"{gain:,.1f}", f"{total:,.1f}"]
        if result.budget is not None:
            row.append(f"{result.costs[i]:,.2f}")
        tab.add_row(*row)
    console.print(tab)
    cost = f", cost {result.cost:,.2f} of {result.budget:,.2f}" if result.budget is not None else ""
    console.print(
        f"expected spread {result.spread:,.1f} of {result.nodes:,} nodes{cost}; "
        f"{result.rr_sets:,} RR sets, {result.seconds:.2f}s"
    )


def _workspace_seeds(
    path: Path,
    *,
    channel: str,
    model: str,
    k: int,
    p: float | None,
    epsilon: float,
    budget: float | None,
    base_cost: float,
    cost_per_follower: float,
    seed: int,
) -> Any:
    """IMM over a workspace's follow graph on one channel (edges point from followee to follower)."""
    import numpy as np

    from canyu.analytics.influence import MODELS, graph_from_edges, imm
    from canyu.errors import UnknownNameError

    if model not in MODELS:
        raise UnknownNameError("diffusion model", model, tuple(MODELS))
    with _open(path, None) as ws:
        fo = ws.table("follows")
        edges = ws.to_pandas(
            fo.filter((fo.channel == channel) & ~fo.followee_id.startswith("brand_"))
            .select(source=fo.followee_id, target=fo.follower_id)
            .distinct()
        )
    if edges.empty:
        raise CanyuError(
            f"no {channel} follow edges among people in {path}",
            message_zh=f"{path} 中没有 {channel} 的用户关注关系",
        )
    g = MODELS[model].prepare(graph_from_edges(edges), p)
    followers = np.diff(g.indptr).astype(float)
    costs = base_cost + cost_per_follower * followers
    return imm(
        g,
        k=k,
        model=model,
        epsilon=epsilon,
        costs=costs if budget is not None else None,
        budget=budget,
        seed=seed,
    )


@app.command("cascades")
def cascades_cmd(
    path: DirArg,
    top: Annotated[int, typer.Option(help="Rows to show per table.")] = 10,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Observed word of mouth: share cascades, their shape and value, KOL/KOC ranking, K-factor per campaign."""
    from canyu.analytics.diffusion import (
        cascade_metrics,
        kol_ranking,
        reconstruct_cascades,
        viral_coefficient,
    )

    with _open(path, engine) as ws:
        ev = ws.table("events")
        conv = list(ws.config.conversion_actions)
        events = ws.to_pandas(ev.filter(ev.action.isin(["share", *conv]) | ev.parent_user_id.notnull()))
        follows = ws.to_pandas(ws.table("follows"))
    casc = reconstruct_cascades(events, follows, conversion_actions=conv)
    metrics = cascade_metrics(casc).sort_values(["size", "reach"], ascending=False)
    people = kol_ranking(casc, top=top)
    k_factor = viral_coefficient(casc)
    if as_json:
        _print_json(
            {
                "cascades": len(metrics),
                "inferred_share": casc.inferred_share,
                "largest": metrics.head(top).to_dict("records"),
                "people": people.to_dict("records"),
                "k_factor": k_factor.to_dict("records"),
            }
        )
        return
    console.print(
        f"{len(metrics):,} cascades; {casc.inferred_share:.1%} of parent links inferred from follows and timing"
    )
    tab = Table(
        "cascade", "channel", "campaign", "size", "depth", "breadth", "virality", "reach", "orders", "value"
    )
    for r in metrics.head(top).to_dict("records"):
        tab.add_row(
            str(r["cascade_id"]),
            str(r["channel"]),
            str(r["campaign_id"]) if isinstance(r["campaign_id"], str) else "—",
            f"{r['size']:,}",
            str(r["depth"]),
            str(r["max_breadth"]),
            f"{r['structural_virality']:.2f}",
            f"{r['reach']:,}",
            f"{r['conversions']:,}",
            f"{r['value']:,.0f}",
        )
    console.print(tab)
    kt = Table("rank", "person", "role", "shares", "reach", "orders", "value", title="KOL / KOC")
    for r in people.to_dict("records"):
        kt.add_row(
            str(r["rank"]),
            str(r["person"]),
            str(r["role"]),
            str(r["shares"]),
            f"{r['downstream_reach']:,}",
            f"{r['downstream_conversions']:,}",
            f"{r['downstream_value']:,.0f}",
        )
    console.print(kt)
    ft = Table(
        "campaign",
        "sharers",
        "invitees",
        "invites/sharer",
        "invitee conversion",
        "K-factor",
        title="K-factor",
    )
    for r in k_factor.to_dict("records"):
        ft.add_row(
            str(r["campaign_id"] if isinstance(r["campaign_id"], str) else "—"),
            f"{r['sharers']:,}",
            f"{r['invitees']:,}",
            f"{r['invites_per_sharer']:.2f}",
            f"{r['invitee_conversion']:.2%}",
            f"{r['k_factor']:.3f}",
        )
    console.print(ft)


def main() -> None:
    """Entry point: run the app; turn canyu's errors into one clear line."""
    try:
        app(prog_name="canyu")
    except CanyuError as exc:
        if _State.debug or "--debug" in sys.argv:
            traceback.print_exc()
        err_console.print(
            f"[red]canyu:[/red] {exc.localized(_State.locale)}", highlight=False, soft_wrap=True
        )
        sys.exit(2)
