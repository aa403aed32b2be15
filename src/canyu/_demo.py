"""``canyu demo``: the default scenario simulated, imported through the real importer, and analysed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from canyu.config import CONFIG_FILE, LOCALES
from canyu.errors import CanyuError, UnknownNameError, WorkspaceError
from canyu.i18n import t
from canyu.workspace import Workspace, create_workspace, open_workspace

__all__ = ["DEMO_MARKER", "analyses", "build", "is_replaceable", "make_room"]

#: The file that marks a workspace as made by ``canyu demo`` (so a later demo may replace it).
DEMO_MARKER = ".canyu-demo"
#: The demo's brand; workspaces made before the marker existed are recognised by it.
DEMO_BRAND = "演示品牌 Demo"


def _own_imports(path: Path) -> list[str]:
    """Sources imported into the workspace at ``path`` that a demo did not write.

    A demo imports only the files it simulated into ``path/simulated/``; the workspace counts
    as a demo if it carries :data:`DEMO_MARKER` (or, made before the marker, the demo's brand).
    In any other workspace every import is its own.
    """
    with open_workspace(path) as ws:
        sources = [str(s) for s in ws.to_pandas(ws.table("imports").select("source"))["source"]]
        is_demo = (path / DEMO_MARKER).exists() or ws.config.brand == DEMO_BRAND
    if not is_demo:
        return sources
    return [s for s in sources if Path(s).parent.name != "simulated"]


def is_replaceable(path: Path) -> bool:
    """Whether ``canyu demo`` may replace what is at ``path`` without ``--force``.

    True for a missing folder, a folder that is not a workspace, and a workspace that holds
    nothing but a previous demo's imports (or no imports at all).
    """
    if not (path / CONFIG_FILE).exists():
        return True
    try:
        return not _own_imports(path)
    except CanyuError:
        return False  # cannot tell what it holds: keep it


def make_room(path: Path, *, force: bool = False) -> None:
    """Remove the previous demo workspace at ``path``; refuse a workspace with data of its own.

    Raises
    ------
    WorkspaceError
        ``path`` holds a workspace with imports a demo did not make (or one that cannot be
        opened), and ``force`` is false.
    """
    if not (path / CONFIG_FILE).exists():
        return
    if not force and not is_replaceable(path):
        raise WorkspaceError(
            f"{path} is a workspace with data of its own; canyu demo will not replace it. "
            "Give another folder, or pass --force to delete it and build the demo there",
            message_zh=f"{path} 是一个含有自有数据的工作区，canyu demo 不会替换它。"
            "请换一个目录，或加 --force 删除它并在此生成演示",
            path=str(path),
        )
    shutil.rmtree(path)


def build(
    path: Path,
    *,
    locale: str = "zh-CN",
    people: int = 50_000,
    days: int = 90,
    echo: Callable[[str], None] = print,
    progress: Any = None,
) -> Workspace:
    """Create the workspace, simulate the default scenario into ``path/simulated`` and import it."""
    from canyu.simulate import import_simulation, simulate

    if locale not in LOCALES:
        raise UnknownNameError("locale", locale, LOCALES)
    echo(t("demo_simulating", locale, people=f"{people:,}", days=days, path=path))
    # Simulate first: bad sizes fail before a workspace exists.
    result = simulate(path / "simulated", people=people, days=days, seed=7, scenario="default")
    ws = create_workspace(path, brand=DEMO_BRAND, locale=locale)
    (path / DEMO_MARKER).write_text(
        "Made by `canyu demo`: a later `canyu demo` may replace this workspace.\n", encoding="utf-8"
    )
    echo(t("simulated", locale, events=f"{result.events:,}", files=result.path, scenario="default"))
    for r in import_simulation(ws, result.path, progress=progress):
        echo(
            t(
                "imported",
                locale,
                source=Path(r.source).name,
                rows_in=f"{r.rows_in:,}",
                loaded=f"{r.rows_loaded:,}",
                duplicate=f"{r.rows_duplicate:,}",
                quarantined=f"{r.rows_quarantined:,}",
                batch=r.batch_id,
            )
        )
    return ws


def analyses(ws: Workspace, *, echo: Callable[[str], None] = print) -> None:
    """Run the analyses that exist and print their headline."""
    attr = ws.session().run("attribution", model="markov")
    if attr.result is not None:
        credits = attr.result.credits("markov").sort_values("conversions", ascending=False)
        echo(
            t(
                "demo_attribution",
                ws.config.locale,
                attributed=f"{attr.attributed:,.0f}",
                orders=f"{attr.orders:,}",
            )
        )
        for channel, row in credits.head(8).iterrows():
            echo(f"  {channel:<14} {row['conversions']:>10,.1f}  ¥{row['value']:>12,.0f}")
    from canyu.report import write_report

    loc = ws.config.locale
    res = write_report(ws)
    echo(res.summary())
    if res.findings:
        echo(t("demo_findings", loc))
        for f in res.findings[:5]:
            echo(f"  [{f.severity}] {f.text('metric', loc)}: {f.value} — {f.text('action', loc)}")
