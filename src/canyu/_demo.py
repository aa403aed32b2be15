"""``canyu demo``: a workspace built from the sample files, imported through the real importer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from canyu.errors import WorkspaceError
from canyu.i18n import t
from canyu.workspace import Workspace, create_workspace

__all__ = ["SAMPLES", "build", "samples_dir"]

# (file, table, mapping) in the order they are imported.
SAMPLES: tuple[tuple[str, str, str | None], ...] = (
    ("campaigns.csv", "campaigns", None),
    ("events_basic.csv", "events", "generic_events"),
    ("events_gb18030.csv", "events", "generic_events"),
    ("events_broken.csv", "events", "generic_events"),
    ("events_duplicates.csv", "events", "generic_events"),
    ("events.jsonl", "events", "generic_events"),
    ("xhs_notes.xlsx", "content_stats", "xiaohongshu_notes"),
    ("identity_links.csv", "identity_links", None),
    ("paths.csv", "paths", "channelattribution_paths"),
)


def samples_dir() -> Path:
    """tests/data of the source checkout (the demo runs from a clone)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "tests" / "data"
        if (candidate / "events_basic.csv").exists():
            return candidate
    raise WorkspaceError(
        "the sample files (tests/data) are not here; run the demo from a canyu checkout",
        message_zh="找不到样例文件（tests/data）；请在 canyu 源码目录中运行",
        path=str(here),
    )


def build(path: Path, *, locale: str = "zh-CN", echo: Callable[[str], None] = print) -> Workspace:
    data = samples_dir()
    ws = create_workspace(path, brand="Demo 品牌", locale=locale)
    echo(t("demo_data", locale, path=path))
    for name, table, mapping in SAMPLES:
        for r in ws.import_files([data / name], table=table, mapping=mapping):
            echo(
                t(
                    "imported",
                    locale,
                    source=name,
                    rows_in=r.rows_in,
                    loaded=r.rows_loaded,
                    duplicate=r.rows_duplicate,
                    quarantined=r.rows_quarantined,
                    batch=r.batch_id,
                )
            )
    return ws
