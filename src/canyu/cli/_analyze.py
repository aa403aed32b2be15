"""``canyu analyze``: any registered analysis of a workspace, as tables, JSON or CSV files.

The command looks nothing up itself: it builds the workspace's analysis session and runs the
analysis by name (:mod:`canyu.analytics.registry`), the same function the report, the rules and
the console call.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from canyu.cli._app import EngineOpt, JsonOpt, app, open_ws, state
from canyu.cli._present import frame_table, print_json, say, table
from canyu.errors import CanyuError, InvalidArgumentError

__all__ = ["analyze_cmd"]

_DATE = ["%Y-%m-%d"]


def _options(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidArgumentError("--option", item, "KEY=VALUE, e.g. unit=week")
        out[key.strip().replace("-", "_")] = value.strip()
    return out


def _list(ctx: typer.Context, as_json: bool) -> None:
    from canyu.analytics.registry import analysis_names, get_analysis

    items = []
    for name in analysis_names():
        a = get_analysis(name)
        opts = [
            f"{o.name}={'' if o.default is None else o.default}"
            + (f" ({'|'.join(o.choices)})" if o.choices else "")
            for o in a.options
        ]
        items.append({"name": name, "title": a.title_in(state(ctx).locale), "doc": a.doc, "options": opts})
    if as_json:
        print_json(items)
        return
    state(ctx).out.print(
        table(
            "name", "title", "options", rows=[(i["name"], i["title"], ", ".join(i["options"])) for i in items]
        )
    )


@app.command("analyze")
def analyze_cmd(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="The workspace folder.")] = None,
    name: Annotated[str | None, typer.Argument(help="The analysis to run (see --list).")] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="Local days to analyse: 2026-10 (a month), 2026-10-05, 2026-10-01..2026-10-31, last-30d."
        ),
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=_DATE, help="First local day (instead of --period).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=_DATE, help="Last local day, included (instead of --period).")
    ] = None,
    channels: Annotated[str | None, typer.Option(help="Only these channels, comma separated.")] = None,
    campaigns: Annotated[
        str | None,
        typer.Option(
            "--campaigns", "--campaign", help="Only these campaigns' events (campaign ids), comma separated."
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="An option of the analysis, KEY=VALUE (repeatable; see --list)."),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Write the result's tables as CSV files NAME[.TABLE].csv here."),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the analyses and their options.")] = False,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one registered analysis (activity, retention, roles, attribution, findings, ...) over a workspace."""
    from canyu.analytics.registry import as_tables, get_analysis, to_jsonable
    from canyu.session import Period

    st = state(ctx)
    if list_:
        _list(ctx, as_json)
        return
    if path is None or name is None:
        raise CanyuError(
            "give the workspace and the analysis: canyu analyze DIR NAME (canyu analyze --list shows the names)",
            message_zh="请给出工作区与分析名：canyu analyze DIR NAME（canyu analyze --list 列出分析）",
        )
    analysis = get_analysis(name)  # an unknown name fails before the workspace is opened
    if period and (since or until):
        raise CanyuError(
            "give --period or --since/--until, not both", message_zh="--period 与 --since/--until 只能二选一"
        )
    chosen = (
        Period.parse(period)
        if period
        else Period(since.date() if since else None, until.date() if until else None)
    )
    params: dict[str, Any] = analysis.bind(_options(option))
    with open_ws(ctx, path, engine) as ws:
        session = ws.session(period=chosen, channels=channels, campaigns=campaigns)
        result = session.run(name, **params)
        loc = st.locale
        if as_json:
            print_json(
                {"analysis": name, "period": chosen.to_dict(), "result": to_jsonable(result, locale=loc)}
            )
            return
        tables = as_tables(result)
        if csv is not None:
            csv.mkdir(parents=True, exist_ok=True)
            for key, frame in tables.items():
                out = csv / (f"{name}.csv" if len(tables) == 1 else f"{name}.{key}.csv")
                frame.to_csv(out, index=False, encoding="utf-8-sig")
                say(st.out, str(out))
            return
        say(st.out, f"{analysis.title_in(loc)} — {chosen.label(loc)}", bold=True)
        for key, frame in tables.items():
            st.out.print(frame_table(frame, title=None if len(tables) == 1 else key, loc=loc))
