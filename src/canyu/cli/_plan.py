"""``canyu plan``: a dated action plan from the workspace's data; ``canyu plan track``: how it goes.

``canyu plan DIR`` builds the plan (:func:`canyu.plan.actions.build_plan`), writes it in the chosen
format and keeps it as ``DIR/plans/latest.json``; ``canyu plan track DIR`` measures each task's KPI
on the data imported since, against its target, and writes a revised plan for the days left.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from canyu.cli._app import EngineOpt, JsonOpt, app, open_ws, state
from canyu.cli._present import print_json, say, table
from canyu.errors import InvalidArgumentError
from canyu.i18n import t

__all__ = ["plan_cmd"]

_EXT = {"md": "md", "xlsx": "xlsx", "ics": "ics", "json": "json"}


def _check_locale(locale: str | None) -> None:
    from canyu.config import LOCALES

    if locale is not None and locale not in LOCALES:
        raise InvalidArgumentError("--locale", locale, LOCALES)


@app.command("plan")
def plan_cmd(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="The workspace folder; or `track` followed by the workspace folder.")
    ],
    folder: Annotated[Path | None, typer.Argument(help="With `track`: the workspace folder.")] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", help="next-30d (default), or YYYY-MM-DD..YYYY-MM-DD."),
    ] = None,
    month: Annotated[str | None, typer.Option("--month", help="A calendar month, e.g. 2026-12.")] = None,
    budget: Annotated[
        float, typer.Option("--budget", help="Yuan for the period (default 100000).")
    ] = 100_000.0,
    objective: Annotated[
        str,
        typer.Option("--objective", help="conversions, revenue or activity (what paid spend is split by)."),
    ] = "conversions",
    fmt: Annotated[str, typer.Option("--format", help="md, xlsx, ics or json.")] = "md",
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="File to write (default: DIR/plans/plan-<start>.<format>)."),
    ] = None,
    plan_file: Annotated[
        Path | None,
        typer.Option("--plan", help="With track: the plan to track (default: DIR/plans/latest.json)."),
    ] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="zh-CN or en (default: the workspace's).")
    ] = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a dated action plan (tasks, owners, budgets, KPIs, evidence, levers); `plan track DIR` tracks it."""
    from canyu.plan._export import FORMATS

    _check_locale(locale)
    if fmt not in FORMATS:
        raise InvalidArgumentError("--format", fmt, FORMATS)
    if out is not None and out.is_dir():
        raise InvalidArgumentError("--out", str(out), "a file path", reason=f"{out} is a folder, not a file")
    if str(path) == "track":
        if folder is None:
            raise InvalidArgumentError(
                "DIR",
                None,
                "a workspace folder after `track`",
                reason="canyu plan track needs the workspace folder",
            )
        _track(ctx, folder, plan_file, locale, engine, as_json)
        return
    if folder is not None:
        raise InvalidArgumentError(
            "DIR",
            str(folder),
            "one workspace folder",
            reason=f"unexpected second folder {folder}; did you mean `canyu plan track {folder}`?",
        )
    if plan_file is not None:
        raise InvalidArgumentError("--plan", str(plan_file), "only with `canyu plan track`")
    if period is not None and month is not None:
        raise InvalidArgumentError("--month", month, "either --period or --month, not both")
    if month is not None:
        from canyu.session import _MONTH

        if not _MONTH.match(month.strip()):
            raise InvalidArgumentError("--month", month, "a month YYYY-MM")
    chosen = month or period or "next-30d"
    _make(ctx, path, chosen, budget, objective, fmt, out, locale, engine, as_json)


def _make(
    ctx: typer.Context,
    path: Path,
    period: str,
    budget: float,
    objective: str,
    fmt: str,
    out: Path | None,
    locale: str | None,
    engine: str | None,
    as_json: bool,
) -> None:
    from canyu.plan._export import write_plan
    from canyu.plan.actions import PLANS_FOLDER, build_plan, save_plan

    with open_ws(ctx, path, engine) as ws:
        loc = locale or ws.config.locale
        state(ctx).locale = loc
        plan = build_plan(ws.session(), period=period, budget=budget, objective=objective)
        latest = save_plan(plan, ws.path, locale=loc).parent / "latest.json"
        target = out or (Path(ws.path) / PLANS_FOLDER / f"plan-{plan.period.start}.{_EXT[fmt]}")
        if not (fmt == "json" and out is None):
            write_plan(plan, target, fmt=fmt, locale=loc)
        if as_json:
            print_json(plan.to_dict(loc))
            return
        _print_plan(ctx, plan, loc)
        say(state(ctx).out, t("cli.plan.written", loc, path=str(target)))
        say(state(ctx).out, t("cli.plan.saved", loc, path=str(latest)))


def _print_plan(ctx: typer.Context, plan: object, loc: str) -> None:
    from canyu.plan._export import OBJECTIVE_LABELS, task_rows
    from canyu.plan.actions import Plan

    assert isinstance(plan, Plan)
    st = state(ctx)
    say(
        st.out,
        t(
            "cli.plan.summary",
            loc,
            start=str(plan.period.start),
            end=str(plan.period.end),
            tasks=len(plan.tasks),
            budget=f"{plan.budget:,.2f}",
            currency=plan.currency,
            objective=OBJECTIVE_LABELS.get(plan.objective, (plan.objective,) * 2)[
                1 if loc.startswith("zh") else 0
            ],
        ),
        bold=True,
    )
    say(
        st.out,
        t(
            "cli.plan.split",
            loc,
            source=plan.split.source,
            reason=plan.split.reason[1 if loc.startswith("zh") else 0],
        ),
    )
    rows = [
        (
            r["rank"],
            r["task"],
            r["channel"],
            r["owner"],
            f"{r['start']} → {r['due']}",
            f"{r['budget']:,.2f}",
            f"{r['kpi']}: {r['baseline']:,.2f} → {r['target']:,.2f}",
        )
        for r in task_rows(plan, loc)
    ]
    st.out.print(
        table(
            t("cli.plan.col.rank", loc),
            t("cli.plan.col.task", loc),
            t("channel", loc),
            t("cli.plan.col.owner", loc),
            t("cli.plan.col.dates", loc),
            t("cli.plan.col.budget", loc),
            t("cli.plan.col.kpi", loc),
            rows=rows,
        )
    )


def _track(
    ctx: typer.Context,
    path: Path,
    plan_file: Path | None,
    locale: str | None,
    engine: str | None,
    as_json: bool,
) -> None:
    import json

    from canyu.plan.actions import PLANS_FOLDER, load_plan, save_plan, track

    with open_ws(ctx, path, engine) as ws:
        loc = locale or ws.config.locale
        state(ctx).locale = loc
        plan = load_plan(plan_file or Path(ws.path) / PLANS_FOLDER / "latest.json")
        res = track(ws.session(), plan)
        revised_path = None
        if res.revised is not None:
            revised_path = save_plan(res.revised, ws.path, locale=loc)
            stamp = dt.date.today().isoformat()
            (revised_path.parent / f"track-{stamp}.json").write_text(
                json.dumps(res.to_dict(loc), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        if as_json:
            print_json(res.to_dict(loc))
            return
        st = state(ctx)
        say(
            st.out,
            t(
                "cli.plan.track.summary",
                loc,
                start=str(res.tracked.start),
                end=str(res.tracked.end),
                days=res.elapsed_days,
                of_days=plan.days,
                on=sum(s.on_track for s in res.statuses),
                tasks=len(res.statuses),
            ),
            bold=True,
        )
        zh = loc.startswith("zh")
        rows = [
            (
                s.task.rank,
                s.task.title[1 if zh else 0],
                f"{s.task.kpi.label[1 if zh else 0]}: {s.task.kpi.baseline:,.2f} → {s.task.kpi.target:,.2f}",
                f"{s.expected_by_now:,.2f}",
                "—" if s.actual != s.actual else f"{s.actual:,.2f}",
                t("cli.plan.on_track" if s.on_track else "cli.plan.off_track", loc),
            )
            for s in sorted(res.statuses, key=lambda s: s.task.rank)
        ]
        st.out.print(
            table(
                t("cli.plan.col.rank", loc),
                t("cli.plan.col.task", loc),
                t("cli.plan.col.kpi", loc),
                t("cli.plan.col.expected", loc),
                t("cli.plan.col.actual", loc),
                t("cli.plan.col.status", loc),
                rows=rows,
            )
        )
        if res.revised is not None and revised_path is not None:
            say(st.out, t("cli.plan.track.revised", loc, days=res.revised.days, path=str(revised_path)))
        else:
            say(st.out, t("cli.plan.track.done", loc))
