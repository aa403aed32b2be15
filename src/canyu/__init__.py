"""canyu (参与): new-media marketing operations for conversions.

>>> import canyu                          # doctest: +SKIP
>>> ws = canyu.open("brand-x")            # doctest: +SKIP
>>> ws.table("events")                    # an Ibis table  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from canyu.errors import CanyuError
from canyu.workspace import Workspace, create_workspace, open_workspace

if TYPE_CHECKING:
    from canyu.simulate import SimulationResult

__all__ = ["CanyuError", "Workspace", "__version__", "create", "open", "simulate"]

__version__ = "0.1.0"


def open(path: str, *, engine: str | None = None) -> Workspace:
    """Open the workspace at ``path``; see :class:`canyu.workspace.Workspace`."""
    return open_workspace(path, engine=engine)


create = create_workspace


def simulate(path: str, **options: object) -> SimulationResult:
    """Simulate a brand into ``path`` (files and truth); see :func:`canyu.simulate.simulate`.

    The simulator package is loaded on first use, not with ``canyu``: it costs ~0.9 s (numba and the
    simulator's tables), which every command line run paid (a tenth of a 1M-row import). Once it is
    loaded, ``canyu.simulate`` names the package, which is callable the same way (see the end of
    ``canyu/simulate/__init__.py``); ``from canyu.simulate import ...`` works either way.
    """
    from canyu.simulate import simulate as run

    return run(path, **options)  # type: ignore[arg-type]
