"""canyu (参与): new-media marketing operations for conversions.

>>> import canyu                          # doctest: +SKIP
>>> ws = canyu.open("brand-x")            # doctest: +SKIP
>>> ws.table("events")                    # an Ibis table  # doctest: +SKIP
"""

from __future__ import annotations

from canyu.errors import CanyuError
from canyu.workspace import Workspace, create_workspace, open_workspace

__all__ = ["CanyuError", "Workspace", "__version__", "create", "open"]

__version__ = "0.1.0"


def open(path: str, *, engine: str | None = None) -> Workspace:
    """Open the workspace at ``path``; see :class:`canyu.workspace.Workspace`."""
    return open_workspace(path, engine=engine)


create = create_workspace
