"""Text commands: ``canyu sentiment`` scores a column of Chinese text with the shipped model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from canyu.cli._app import JsonOpt, app, state
from canyu.cli._present import print_json, say
from canyu.errors import InvalidArgumentError
from canyu.i18n import is_zh

__all__ = ["sentiment_cmd"]


@app.command("sentiment")
def sentiment_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Option("--file", help="A CSV, TSV or XLSX file with a text column.")],
    column: Annotated[str, typer.Option(help="The column holding the text.")],
    output: Annotated[
        Path,
        typer.Option(help="The CSV to write: every input row with sentiment (P positive) and label (1/0)."),
    ],
    threshold: Annotated[float, typer.Option(help="label is 1 where sentiment >= this.")] = 0.5,
    as_json: JsonOpt = False,
) -> None:
    """Score the sentiment of each row's text (offline model, character n-grams; see docs/text.md)."""
    from canyu.analytics.text import sentiment_file

    if not 0.0 <= threshold <= 1.0:
        raise InvalidArgumentError("--threshold", threshold, "between 0 and 1")
    scored = sentiment_file(file, column=column, output=output, threshold=threshold)
    positive = int(scored["label"].sum())
    summary = {"file": str(file), "output": str(output), "rows": len(scored), "positive": positive}
    if as_json:
        print_json(summary)
        return
    zh = is_zh(state(ctx).locale)
    say(
        state(ctx).out,
        f"已写出 {output}：{len(scored):,} 行中 {positive:,} 行为正面（阈值 {threshold}）"
        if zh
        else f"Wrote {output}: {positive:,} of {len(scored):,} rows positive (threshold {threshold})",
    )
