"""The canyu command line (Typer). Every command has --help; errors print one line.

Errors derived from :class:`canyu.errors.CanyuError` print one line in the workspace's language
and exit with status 2; any other exception prints one line naming the file its trace was written
to and exits with status 1; ``--debug`` shows the traceback. Commands are thin: they call the
Python API and hand the result to :mod:`canyu.cli._present`.

Layout: ``_app`` (the app, its per-run state and shared options), ``_errors`` (how a run ends on
an error), ``_present`` (tables and JSON), and one module of commands per domain:
``_workspace``, ``_analysis``, ``_analyze`` (any registered analysis), ``_simulate``, ``_report``,
``_plan``.
"""

from __future__ import annotations

from collections.abc import Sequence

# Importing the command modules registers their commands, in this order in --help.
# isort: off
from canyu.cli import _workspace  # noqa: F401
from canyu.cli import _simulate  # noqa: F401
from canyu.cli import _analysis  # noqa: F401
from canyu.cli import _analyze  # noqa: F401
from canyu.cli import _text  # noqa: F401
from canyu.cli import _report  # noqa: F401
from canyu.cli import _mmm  # noqa: F401
from canyu.cli import _plan  # noqa: F401
from canyu.cli import _web  # noqa: F401

# isort: on
from canyu.cli._app import CliState, app
from canyu.cli._errors import handle_errors

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point (``canyu``, ``python -m canyu``): run the app with ``argv`` (default: ``sys.argv``)."""
    st = CliState()
    # Commands run under handle_errors inside the app; this outer one catches what escapes the
    # parsing of the command line itself.
    with handle_errors(st):
        app(prog_name="canyu", args=list(argv) if argv is not None else None, obj=st)
