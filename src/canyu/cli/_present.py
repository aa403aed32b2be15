"""How the CLI shows results: rich tables, plain lines and JSON.

Every value that comes from data or from the user (a file name, a quarantined value, a brand)
reaches rich as plain text — cells via :func:`cells`, lines via :func:`say` — so a ``[/bold]``
in the data is shown, not parsed as markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from canyu.i18n import t

if TYPE_CHECKING:
    import pandas as pd

    from canyu.analytics.attribution import AttributionResult
    from canyu.analytics.influence import SeedResult, SpreadResult
    from canyu.ingest import ImportResult, MappingMatch
    from canyu.workspace import WorkspaceStatus

__all__ = [
    "attribution_tables",
    "cascade_tables",
    "cells",
    "dropped_lines",
    "frame_table",
    "import_lines",
    "import_progress",
    "mapping_tables",
    "mappings_table",
    "print_json",
    "quarantine_more",
    "quarantine_table",
    "say",
    "seeds_table",
    "spread_table",
    "status_tables",
    "suggestion_tables",
    "table",
]


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout (dates as ISO 8601, Chinese as is)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def say(out: Console, text: str, *, bold: bool = False) -> None:
    """Print one message as plain text (never parsed as markup)."""
    out.print(Text(text, style="bold" if bold else ""), highlight=False, soft_wrap=True)


def cells(*values: Any) -> list[Text]:
    """Table cells as plain text."""
    return [Text("" if v is None else str(v)) for v in values]


def table(*columns: str, title: str | None = None, rows: Iterable[Sequence[Any]] = ()) -> Table:
    """A table whose title, headers and cells are plain text."""
    tab = Table(*(escape(c) for c in columns), title=escape(title) if title else None)
    for row in rows:
        tab.add_row(*cells(*row))
    return tab


def _local(ts: Any, zone: str) -> str:
    """A stored (naive UTC) time as wall-clock text in ``zone``; empty for none."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    if not isinstance(ts, datetime):
        return ""
    return ts.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")


def status_tables(st: WorkspaceStatus, loc: str) -> list[Table | Text]:
    """The title line, rows per table, channels, and the last imports of :meth:`Workspace.status`."""
    out: list[Table | Text] = [
        Text(t("status_title", loc, path=st.path, brand=st.brand, engine=st.engine), style="bold"),
        table(t("table", loc), t("rows", loc), rows=[(name, f"{n:,}") for name, n in st.rows.items()]),
    ]
    if st.channels:
        out.append(
            table(
                t("channel", loc),
                t("rows", loc),
                t("first_in", loc, tz=st.timezone),
                t("last_in", loc, tz=st.timezone),
                t("people", loc),
                t("stat_days", loc),
                rows=[
                    (
                        c["channel"],
                        f"{c.get('rows') or 0:,}",
                        _local(c.get("first"), st.timezone) or c.get("stat_first") or "",
                        _local(c.get("last"), st.timezone) or c.get("stat_last") or "",
                        f"{c.get('people') or 0:,}",
                        f"{c.get('stat_rows') or 0:,}",
                    )
                    for c in st.channels
                ],
            )
        )
    if st.imports:
        out.append(
            table(
                t("batch", loc),
                t("source", loc),
                t("table", loc),
                t("rows_in", loc),
                t("loaded", loc),
                t("duplicate", loc),
                t("quarantined", loc),
                title=t("imports", loc),
                rows=[
                    (
                        r["batch_id"],
                        Path(r["source"]).name,
                        r["table_name"],
                        f"{r['rows_in']:,}",
                        f"{r['rows_loaded']:,}",
                        f"{r['rows_duplicate']:,}",
                        f"{r['rows_quarantined']:,}",
                    )
                    for r in st.imports
                ],
            )
        )
    return out


def import_lines(results: Iterable[ImportResult], loc: str, *, short_names: bool = False) -> list[str]:
    """One line per import: rows read, loaded, duplicate, quarantined, and the batch."""
    return [
        t(
            "imported",
            loc,
            source=Path(r.source).name if short_names else r.source,
            rows_in=f"{r.rows_in:,}",
            loaded=f"{r.rows_loaded:,}",
            duplicate=f"{r.rows_duplicate:,}",
            quarantined=f"{r.rows_quarantined:,}",
            batch=r.batch_id,
        )
        for r in results
    ]


def dropped_lines(results: Iterable[ImportResult], loc: str) -> list[str]:
    """A note per import that dropped columns (receiver names and addresses, for privacy)."""
    return [
        t("cli.import.dropped", loc, source=Path(r.source).name, columns=", ".join(r.dropped_columns))
        for r in results
        if r.dropped_columns
    ]


def import_progress(err: Console, *, quiet: bool = False) -> tuple[Progress, Callable[[str, float], None]]:
    """A progress bar on stderr (hidden when quiet or not a terminal) and the callback importers report to."""
    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def on_progress(name: str, fraction: float) -> None:
        if name not in tasks:
            tasks[name] = progress.add_task(Path(name).name, total=1.0)
        progress.update(tasks[name], completed=fraction)

    return progress, on_progress


def quarantine_table(rows: Sequence[dict[str, Any]], loc: str) -> Table:
    """Rejected rows: file, row, field, value, and the reason in ``loc``."""
    from canyu.ingest import quarantine_reason

    return table(
        t("file", loc),
        t("row", loc),
        t("field", loc),
        t("value", loc),
        t("reason", loc),
        rows=[
            (
                Path(r["source"]).name,
                r["row_number"],
                r["field"] or "",
                r["value"] or "",
                quarantine_reason(r, loc),
            )
            for r in rows
        ],
    )


def quarantine_more(n: int, loc: str) -> str:
    """The line under a cut quarantine listing: how many rows are not shown."""
    return t("cli.quarantine.more", loc, n=f"{n:,}")


def mappings_table(items: Sequence[dict[str, str]], loc: str) -> Table:
    """The shipped mappings: name, target table, file."""
    return table(
        t("cli.mappings.name", loc),
        t("cli.mappings.table", loc),
        t("cli.mappings.path", loc),
        rows=[(i["name"], i["table"], i["path"]) for i in items],
    )


def _reader_settings(info: dict[str, Any], loc: str) -> str:
    """The reader settings of :func:`canyu.ingest.describe_mapping` that are set, as one line."""
    # describe_mapping words the defaults in English; they are read here in the run's language
    fmt = t("cli.mappings.by_extension", loc) if info["format"] == "by extension" else info["format"]
    zone = (
        t("cli.mappings.workspace_zone", loc) if info["timezone"] == "the workspace's" else info["timezone"]
    )
    parts = [t("cli.mappings.format", loc, format=fmt)]
    for key in ("encoding", "header_row", "sheet", "records"):
        if info.get(key) not in (None, "", 0):
            parts.append(f"{key} {info[key]}")
    parts.append(t("cli.mappings.timezone", loc, timezone=zone))
    if info.get("cumulative"):
        parts.append(t("cli.mappings.cumulative", loc, columns=", ".join(info["cumulative"])))
    if info.get("unpivot"):
        parts.append(f"unpivot {info['unpivot']}")
    if info.get("pii"):
        parts.append(f"pii {info['pii']}")
    return "; ".join(parts)


def mapping_tables(info: dict[str, Any], loc: str) -> list[Table | Text]:
    """One mapping (:func:`canyu.ingest.describe_mapping`): a header line, its reader, its columns, its labels.

    Value labels (``交易成功 → purchase``) can be long lists, so they follow the table, one line per column.
    """
    head = t("cli.mappings.show_title", loc, name=info["name"], table=info["table"])
    if info.get("description"):
        head += f" — {info['description']}"
    yes = t("cli.mappings.yes", loc)
    rows = []
    for c in info["columns"]:
        sources = list(c["sources"])
        if c.get("fallback"):
            sources.append(t("cli.mappings.fallback", loc, columns=", ".join(c["fallback"])))
        if c.get("constant") is not None:
            sources.append(t("cli.mappings.constant", loc, value=c["constant"]))
        rows.append(
            (
                c["column"],
                c["type"],
                yes if c["required"] else "",
                " | ".join(sources),
                ", ".join(c["time"]),
                c["unit"] or "",
            )
        )
    out: list[Table | Text] = [
        Text(head, style="bold"),
        Text(_reader_settings(info, loc)),
        table(
            t("cli.mappings.column", loc),
            t("cli.mappings.type", loc),
            t("cli.mappings.required", loc),
            t("cli.mappings.sources", loc),
            t("cli.mappings.time", loc),
            t("cli.mappings.unit", loc),
            rows=rows,
        ),
    ]
    for c in info["columns"]:
        if c["labels"]:
            labels = ", ".join(f"{k} → {v}" for k, v in c["labels"].items())
            out.append(Text(t("cli.mappings.labels", loc, column=c["column"], labels=labels)))
    return out


def suggestion_tables(matches: Sequence[MappingMatch], source: str, loc: str) -> list[Table | Text]:
    """The shipped mappings ranked against a file: the ones that read any of its columns, and the best."""
    fitting = [m for m in matches if m.matched]
    if not fitting:
        return [Text(t("cli.mappings.suggest_none", loc, file=source))]
    out: list[Table | Text] = [
        table(
            t("cli.mappings.rank", loc),
            t("cli.mappings.name", loc),
            t("cli.mappings.table", loc),
            t("cli.mappings.score", loc),
            t("cli.mappings.matched", loc),
            t("cli.mappings.missing", loc),
            title=t("cli.mappings.suggest_title", loc, file=source),
            rows=[
                (
                    i + 1,
                    m.name,
                    m.table,
                    f"{m.score:.0%}",
                    f"{len(m.matched)}/{m.targets}: " + ", ".join(m.matched),
                    ", ".join(m.missing),
                )
                for i, m in enumerate(fitting)
            ],
        )
    ]
    best = matches[0]
    if best.score > 0:
        out.append(Text(t("cli.mappings.suggest_best", loc, name=best.name, file=source)))
    else:
        out.append(Text(t("cli.mappings.suggest_none", loc, file=source)))
    return out


def attribution_tables(result: AttributionResult, title: str, loc: str) -> list[Table | Text]:
    """Conversions credited per channel and model, and the Markov removal effects."""
    conversions = result.wide("conversions")
    out: list[Table | Text] = [
        table(
            t("cli.attribute.channel", loc),
            *map(str, conversions.columns),
            title=t("cli.attribute.title", loc, title=title, conversions=f"{result.total_conversions:,.0f}"),
            rows=[(channel, *(f"{v:,.2f}" for v in row)) for channel, row in conversions.iterrows()],
        )
    ]
    if "markov" in result.models:
        markov = result.credits("markov")["removal_effect"]
        effects = ", ".join(f"{c} {v:.3f}" for c, v in markov.items())
        out.append(Text(t("cli.attribute.removal_effects", loc, effects=effects)))
    return out


def spread_table(result: SpreadResult, title: str, loc: str) -> list[Table | Text]:
    """Expected spread of a seed set with its error and interval, and the graph's size."""
    return [
        table(
            t("cli.spread.model", loc),
            t("cli.spread.seeds", loc),
            t("cli.spread.runs", loc),
            t("cli.spread.expected_spread", loc),
            t("cli.spread.std_error", loc),
            t("cli.spread.interval", loc),
            title=title,
            rows=[
                (
                    result.model,
                    ", ".join(result.seeds),
                    f"{result.runs:,}",
                    f"{result.mean:,.2f}",
                    f"{result.stderr:,.2f}",
                    f"{result.low:,.2f} – {result.high:,.2f}",
                )
            ],
        ),
        Text(
            t(
                "cli.spread.graph",
                loc,
                nodes=f"{result.nodes:,}",
                edges=f"{result.edges:,}",
                seconds=f"{result.seconds:.2f}",
            )
        ),
    ]


def seeds_table(result: SeedResult, title: str, loc: str) -> list[Table | Text]:
    """The chosen seeds in order with marginal and cumulative spread (and cost with a budget)."""
    columns = [
        t("cli.seeds.rank", loc),
        t("cli.seeds.seed", loc),
        t("cli.seeds.marginal_spread", loc),
        t("cli.seeds.cumulative_spread", loc),
    ]
    if result.budget is not None:
        columns.append(t("cli.seeds.cost", loc))
    rows = []
    total = 0.0
    for i, (node, gain) in enumerate(zip(result.seeds, result.gains, strict=True)):
        total += gain
        row = [str(i + 1), node, f"{gain:,.1f}", f"{total:,.1f}"]
        if result.budget is not None:
            row.append(f"{result.costs[i]:,.2f}")
        rows.append(row)
    cost = (
        t("cli.seeds.summary_cost", loc, cost=f"{result.cost:,.2f}", budget=f"{result.budget:,.2f}")
        if result.budget is not None
        else ""
    )
    return [
        table(
            *columns, title=t("cli.seeds.title", loc, title=title, model=result.model, k=result.k), rows=rows
        ),
        Text(
            t(
                "cli.seeds.summary",
                loc,
                spread=f"{result.spread:,.1f}",
                nodes=f"{result.nodes:,}",
                cost=cost,
                rr_sets=f"{result.rr_sets:,}",
                seconds=f"{result.seconds:.2f}",
            )
        ),
    ]


def _campaign(value: Any) -> str:
    return value if isinstance(value, str) else "—"


def cascade_tables(
    metrics: pd.DataFrame,
    people: pd.DataFrame,
    k_factor: pd.DataFrame,
    *,
    inferred_share: float,
    top: int,
    loc: str,
) -> list[Table | Text]:
    """The largest cascades, the KOL/KOC ranking and the K-factor per campaign (just a line if none)."""

    def h(key: str) -> str:
        return t(f"cli.cascades.{key}", loc)

    headline = Text(
        t("cli.cascades.summary", loc, cascades=f"{len(metrics):,}", inferred=f"{inferred_share:.1%}")
    )
    if metrics.empty:
        return [headline]
    return [
        headline,
        table(
            *map(
                h,
                (
                    "cascade",
                    "channel",
                    "campaign",
                    "size",
                    "depth",
                    "breadth",
                    "virality",
                    "reach",
                    "orders",
                    "value",
                ),
            ),
            rows=[
                (
                    r["cascade_id"],
                    r["channel"],
                    _campaign(r["campaign_id"]),
                    f"{r['size']:,}",
                    r["depth"],
                    r["max_breadth"],
                    f"{r['structural_virality']:.2f}",
                    f"{r['reach']:,}",
                    f"{r['conversions']:,}",
                    f"{r['value']:,.0f}",
                )
                for r in metrics.head(top).to_dict("records")
            ],
        ),
        table(
            *map(h, ("rank", "person", "role", "shares", "reach", "orders", "value")),
            title=h("people_title"),
            rows=[
                (
                    r["rank"],
                    r["person"],
                    r["role"],
                    r["shares"],
                    f"{r['downstream_reach']:,}",
                    f"{r['downstream_conversions']:,}",
                    f"{r['downstream_value']:,.0f}",
                )
                for r in people.to_dict("records")
            ],
        ),
        table(
            *map(
                h,
                ("campaign", "sharers", "invitees", "invites_per_sharer", "invitee_conversion", "k_factor"),
            ),
            title=h("k_factor"),
            rows=[
                (
                    _campaign(r["campaign_id"]),
                    f"{r['sharers']:,}",
                    f"{r['invitees']:,}",
                    f"{r['invites_per_sharer']:.2f}",
                    f"{r['invitee_conversion']:.2%}",
                    f"{r['k_factor']:.3f}",
                )
                for r in k_factor.to_dict("records")
            ],
        ),
    ]


def _cell(value: Any) -> str:
    import math

    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 1000 else f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def frame_table(
    frame: pd.DataFrame, *, title: str | None = None, limit: int = 50, loc: str = "en"
) -> Table | Text:
    """A DataFrame as a plain-text table (the first ``limit`` rows, with a note of the rest)."""
    if frame.empty:
        return Text(f"{title}: —" if title else "—")
    shown = frame.head(limit)
    caption = t("cli.analyze.more_rows", loc, n=f"{len(frame) - limit:,}") if len(frame) > limit else None
    tab = table(*[str(c) for c in shown.columns], title=title)
    if caption:
        tab.caption = caption
    plain = [str(c).endswith(("_index", "_id", "id")) for c in shown.columns]  # identifiers: no separators
    for row in shown.itertuples(index=False):
        tab.add_row(*cells(*(str(v) if p else _cell(v) for v, p in zip(row, plain, strict=True))))
    return tab
