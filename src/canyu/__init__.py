"""canyu (参与): new-media marketing operations for conversions.

>>> import canyu                          # doctest: +SKIP
>>> ws = canyu.open("brand-x")            # doctest: +SKIP
>>> ws.table("events")                    # an Ibis table  # doctest: +SKIP
"""

from __future__ import annotations

import canyu.simulate as _simulate_package  # loaded before the name is rebound to the function below
from canyu.errors import CanyuError
from canyu.workspace import Workspace, create_workspace, open_workspace

__all__ = ["CanyuError", "Workspace", "__version__", "create", "open", "simulate"]

__version__ = "0.1.0"


def open(path: str, *, engine: str | None = None) -> Workspace:
    """Open the workspace at ``path``; see :class:`canyu.workspace.Workspace`."""
    return open_workspace(path, engine=engine)


create = create_workspace


def simulate(path: str, **options: object) -> _simulate_package.SimulationResult:
    """Simulate a brand into ``path`` (files and truth); see :func:`canyu.simulate.simulate`.

    ``canyu.simulate`` is this function; the package of the same name stays importable as
    ``from canyu.simulate import ...``.
    """
    return _simulate_package.simulate(path, **options)  # type: ignore[arg-type]
