"""``canyu demo``: the default scenario simulated, imported through the real importer, and analysed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from canyu.i18n import t
from canyu.workspace import Workspace, create_workspace

__all__ = ["analyses", "build"]


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

    ws = create_workspace(path, brand="演示品牌 Demo", locale=locale)
    echo(t("demo_simulating", locale, people=f"{people:,}", days=days, path=path))
    result = simulate(path / "simulated", people=people, days=days, seed=7, scenario="default")
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
