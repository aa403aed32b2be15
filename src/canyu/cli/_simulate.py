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
    days: Annotated[
        int | None, typer.Option(help="Days simulated (default 90; with --continue, 30).")
    ] = None,
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
    resume: Annotated[
        bool,
        typer.Option(
            "--continue",
            help="Continue the simulated world of DIR for --days under the levers of --plan (same people and"
            " graphs), append the new days' files and import them.",
        ),
    ] = False,
    plan: Annotated[
        Path | None, typer.Option(help='With --continue: plan.json whose "levers" the world runs under.')
    ] = None,
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
    if resume or plan is not None:
        _continue(ctx, path, plan, 30 if days is None else days, files_only=files_only, as_json=as_json)
        return
    days = 90 if days is None else days
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


def _continue(
    ctx: typer.Context, path: Path, plan: Path | None, days: int, *, files_only: bool, as_json: bool
) -> None:
    """``canyu simulate DIR --continue --plan plan.json --days 30``."""
    from canyu.errors import InvalidArgumentError
    from canyu.simulate import continue_simulation, read_plan_levers

    st = state(ctx)
    if plan is None:
        raise CanyuError(
            "--continue needs the plan: canyu simulate DIR --continue --plan plan.json",
            message_zh="--continue 需要计划文件：canyu simulate DIR --continue --plan plan.json",
        )
    if days < 1:
        raise InvalidArgumentError("days", days, ">= 1")
    levers = read_plan_levers(plan)
    files = path if files_only else path / "simulated"
    if not (files / "truth.json").exists():
        raise CanyuError(
            f"no simulated world in {files} (truth.json missing): run canyu simulate {path} first",
            message_zh=f"{files} 中没有模拟世界（缺少 truth.json）：请先运行 canyu simulate {path}",
        )
    if files_only:
        result = continue_simulation(files, levers, days=days)
    else:
        ws = open_ws(ctx, path)
        with ws:
            progress, on_progress = import_progress(st.err)
            with progress:
                result = continue_simulation(files, levers, days=days, ws=ws, progress=on_progress)
    cont = result.truth["continuation"]
    if as_json:
        print_json({"files": str(result.path), "events": result.events, **cont})
        return
    o = cont["outcome"]
    say(
        st.out,
        t(
            "simulate_continued",
            st.locale,
            days=days,
            first=cont["first_date"],
            events=f"{result.events:,}",
            files=result.path,
            orders=f"{o['conversions']:,}",
            revenue=f"{o['revenue']:,.0f}",
            active=f"{o['active_people']:,}",
            people=f"{result.truth['people']:,}",
        ),
    )
    if cont["ignored_levers"]:
        say(st.out, t("simulate_ignored", st.locale, levers=", ".join(cont["ignored_levers"])))
