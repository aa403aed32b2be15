"""The Typer app, the per-run state it carries, and the options commands share.

Nothing here is module-level mutable state: the language and ``--debug`` of one run live in a
:class:`CliState` held by the Typer context (``ctx.obj``), created by the root callback (or given
by :func:`canyu.cli.main`) and read by every command and by the error handler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from canyu import __version__
from canyu.i18n import default_locale
from canyu.store import ENGINES
from canyu.workspace import Workspace, open_workspace

__all__ = ["CliState", "DirArg", "EngineOpt", "JsonOpt", "app", "open_ws", "state"]


@dataclass
class CliState:
    """What one run of the CLI carries: its language, ``--debug``, and its two consoles.

    ``locale`` starts from the environment and becomes the workspace's once one is opened, so
    errors print in the workspace's language.
    """

    locale: str = field(default_factory=default_locale)
    debug: bool = False
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))


def state(ctx: typer.Context) -> CliState:
    """The run's :class:`CliState` (created on first use)."""
    return ctx.ensure_object(CliState)


def open_ws(ctx: typer.Context, path: Path, engine: str | None = None) -> Workspace:
    """Open the workspace at ``path``; from now on messages use its language."""
    ws = open_workspace(path, engine=engine)
    state(ctx).locale = ws.config.locale
    return ws


class CanyuGroup(TyperGroup):
    """The root group: every command runs under :func:`canyu.cli._errors.handle_errors`."""

    def invoke(self, ctx: Any) -> Any:
        from canyu.cli._errors import handle_errors

        with handle_errors(ctx.ensure_object(CliState)):
            return super().invoke(ctx)


app = typer.Typer(
    name="canyu",
    cls=CanyuGroup,
    help="canyu (参与): new-media marketing operations for conversions — import, analyse, diagnose, plan.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"canyu {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    state(ctx).debug = debug


DirArg = Annotated[Path, typer.Argument(help="The workspace folder.")]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine", help=f"Engine for this command ({', '.join(ENGINES)}); default from canyu.toml."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

#: A callback that prints one plain line (what the API's ``echo=`` parameters take).
Echo = Callable[[str], None]
