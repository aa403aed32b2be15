"""The report command: the HTML report, the action plan first, then the findings."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from canyu.cli._app import DirArg, EngineOpt, JsonOpt, app, open_ws, state
from canyu.cli._present import print_json, say

__all__ = ["report"]


@app.command()
def report(
    ctx: typer.Context,
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
    """Write the HTML report: the action plan first, then the findings, then each section's tables and charts; opens offline."""
    from canyu.report import Period, write_report

    with open_ws(ctx, path, engine) as ws:
        res = write_report(
            ws,
            path=out,
            locale=locale,
            sections=sections,
            period=Period(start.date() if start else None, end.date() if end else None),
        )
        state(ctx).locale = res.locale
        if as_json:
            print_json(res.to_dict())
            return
        say(state(ctx).out, res.summary())
