"""How the CLI ends when something goes wrong: one line, never a traceback unless ``--debug``.

- a :class:`~canyu.errors.CanyuError`: its message in the run's language, exit status 2;
- anything else: one line naming the exception and the file its full trace was written to
  (``$CANYU_HOME/logs/``, else the system's temporary folder), exit status 1;
- Ctrl-C: one line, exit status 130;
- the reader of the output went away (``canyu ... | head``): nothing on stderr, a non-zero exit status
  (141, 128 + SIGPIPE; 1 where Typer's own handler saw it first), as shell tools end;
- Typer's own usage errors and exits keep Typer's handling (a usage message, exit status 2).
"""

from __future__ import annotations

import os
import sys
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from canyu.errors import CanyuError
from canyu.i18n import t

if TYPE_CHECKING:
    from canyu.cli._app import CliState

__all__ = ["handle_errors", "logs_dir", "write_trace"]

#: Exit status of a canyu error (a bad argument, a missing workspace...), as for a usage error.
EXIT_ERROR = 2
#: Exit status of an unexpected exception (a bug).
EXIT_BUG = 1
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
EXIT_INTERRUPTED = 130
#: Exit status when the output's reader closed the pipe (128 + SIGPIPE).
EXIT_BROKEN_PIPE = 141


def _typer_exceptions() -> tuple[type[BaseException], ...]:
    """Typer's own exceptions: usage errors, ``Exit`` and ``Abort`` keep Typer's handling.

    Typer 0.2x ships its own copy of click, so its ``ClickException`` is found from a public name.
    """
    click_exception = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    return (click_exception, typer.Exit, typer.Abort)


def logs_dir() -> Path:
    """Where traces go: ``$CANYU_HOME/logs`` (``CANYU_HOME`` defaults as for key files)."""
    from canyu.privacy import canyu_home

    return canyu_home() / "logs"


def write_trace(exc: BaseException) -> Path:
    """Write ``exc``'s full traceback to ``trace-<UTC timestamp>.txt`` and return the file.

    Falls back to the system's temporary folder where the logs folder cannot be written.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    text = "".join(traceback.format_exception(exc))
    header = f"canyu {' '.join(sys.argv[1:])}\n{datetime.now(UTC).isoformat()}\n\n"
    for folder in (logs_dir(), Path(tempfile.gettempdir()) / "canyu-logs"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            out = folder / f"trace-{stamp}-{os.getpid()}.txt"
            out.write_text(header + text, encoding="utf-8")
            return out
        except OSError:
            continue
    raise OSError("no folder to write the trace to")  # pragma: no cover - both unwritable


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


@contextmanager
def handle_errors(st: CliState) -> Iterator[None]:
    """Run the block; turn what escapes it into one line on stderr and an exit status."""
    try:
        yield
    except _typer_exceptions():
        raise
    except CanyuError as exc:
        if st.debug:
            traceback.print_exc()
        st.err.print(
            f"[red]canyu:[/red] {escape(_one_line(exc.localized(st.locale), 2000))}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_ERROR) from None
    except KeyboardInterrupt:
        st.err.print(t("cli.interrupted", st.locale), highlight=False, markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again (the
        # recipe of Python's signal module documentation, "Note on SIGPIPE").
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
            pass
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except Exception as exc:
        if st.debug:
            traceback.print_exc()
        what = _one_line(f"{type(exc).__name__}: {exc}")
        try:
            where = str(write_trace(exc))
        except OSError as write_error:
            where = f"nowhere ({write_error})"
        line = t("cli.unexpected_error", st.locale, what=what, where=where)
        st.err.print(escape(line), highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_BUG) from None
