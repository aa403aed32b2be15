"""Simulation commands: simulate (files with known ground truth) and demo (the whole path at once)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from canyu.cli._app import JsonOpt, app, open_ws, state
from canyu.cli._present import import_lines, import_progress, print_json, say, status_tables
from canyu.config import CONFIG_FILE, LOCALES
from canyu.errors import CanyuError, UnknownNameError
from canyu.i18n import t
from canyu.workspace import create_workspace

__all__ = ["demo", "simulate"]


@app.command()
def simulate(
    ctx: typer.Context,
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

    st = state(ctx)
    if list_scenarios:
        if as_json:
            print_json({name: s.description for name, s in SCENARIOS.items()})
        else:
            for name, s in SCENARIOS.items():
                say(st.out, f"{name}: {s.description}")
        return
    if path is None:
        raise CanyuError("give the folder: canyu simulate DIR", message_zh="请给出目录：canyu simulate DIR")
    if not files_only and not (path / CONFIG_FILE).exists() and locale not in LOCALES:
        raise UnknownNameError("locale", locale, LOCALES)  # before minutes of simulation
    files = path if files_only else path / "simulated"
    result = run_simulation(files, people=people, days=days, seed=seed, scenario=scenario, dirty=dirty)
    summary: dict[str, Any] = {
        "files": str(files),
        "events": result.events,
        "truth": str(files / "truth.json"),
    }
    if not files_only:
        if (path / CONFIG_FILE).exists():
            ws = open_ws(ctx, path)
        else:
            ws = create_workspace(path, locale=locale)
            st.locale = ws.config.locale
        with ws:
            progress, on_progress = import_progress(st.err)
            with progress:
                results = import_simulation(ws, files, progress=on_progress)
            summary["imports"] = [r.to_dict() for r in results]
            if not as_json:
                for line in import_lines(results, ws.config.locale, short_names=True):
                    say(st.out, line)
    if as_json:
        print_json(summary)
    else:
        say(st.out, t("simulated", st.locale, events=f"{result.events:,}", files=files, scenario=scenario))


@app.command()
def demo(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="Folder of the demo workspace (a previous demo there is replaced; a workspace with data of"
            " its own only with --force)."
        ),
    ] = Path("demo-workspace"),
    people: Annotated[int, typer.Option(help="People in the simulated population.")] = 50_000,
    days: Annotated[int, typer.Option(help="Days simulated.")] = 90,
    locale: Annotated[str, typer.Option(help="zh-CN or en.")] = "zh-CN",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the workspace at DIR even if it holds data of its own.")
    ] = False,
) -> None:
    """Simulate the default scenario into a new workspace, import it and run every analysis that exists."""
    from canyu import _demo

    st = state(ctx)
    _demo.make_room(path, force=force)
    st.locale = locale
    progress, on_progress = import_progress(st.err)

    def echo(line: str) -> None:
        say(st.out, line)

    with progress:
        ws = _demo.build(path, locale=locale, people=people, days=days, echo=echo, progress=on_progress)
    with ws:
        for part in status_tables(ws.status(), ws.config.locale):
            st.out.print(part)
        _demo.analyses(ws, echo=echo)
