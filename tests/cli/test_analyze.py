"""``canyu analyze``: the registered analyses through the real CLI, the same numbers as the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

import canyu
from canyu.cli import app

runner = CliRunner()
DATA = Path(__file__).parent.parent / "data"


def _ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--locale", "en"]).exit_code == 0
    done = runner.invoke(app, ["import", str(ws), str(DATA / "events_basic.csv"), "-m", "generic_events"])
    assert done.exit_code == 0, done.output
    return ws


def test_analyze_json_equals_the_session(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    r = runner.invoke(
        app, ["analyze", str(ws), "activity", "--period", "2026-10", "-o", "unit=day", "--json"]
    )
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["analysis"] == "activity" and got["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    with canyu.open(ws) as w:
        want = w.session(period="2026-10").run("activity", unit="day")
    assert [row["active"] for row in got["result"]] == want["active"].tolist()
    assert [row["channel"] for row in got["result"]] == want["channel"].tolist()


def test_analyze_csv_tables_and_list(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    out = tmp_path / "out"
    r = runner.invoke(app, ["analyze", str(ws), "data_quality", "--csv", str(out)])
    assert r.exit_code == 0, r.output
    imports = pd.read_csv(out / "data_quality.imports.csv")
    assert imports["rows_in"].tolist() == [
        int(x) for x in imports["rows_loaded"] + imports["rows_duplicate"] + imports["rows_quarantined"]
    ]
    assert (out / "data_quality.reasons.csv").exists()
    listed = runner.invoke(app, ["analyze", "--list", "--json"])
    names = {item["name"] for item in json.loads(listed.output)}
    assert {"activity", "roles", "attribution", "findings", "seeds"} <= names
    table = runner.invoke(
        app, ["analyze", str(ws), "funnels", "--since", "2026-10-01", "--until", "2026-10-03"]
    )
    assert table.exit_code == 0 and "view" in table.output


def test_sentiment_command_scores_each_row(tmp_path: Path) -> None:
    src = tmp_path / "reviews.csv"
    pd.DataFrame(
        {"id": [1, 2], "text": ["质量很好，非常喜欢，会回购", "太差了，用了两天就坏了，退货"]}
    ).to_csv(src, index=False)
    out = tmp_path / "scored.csv"
    r = runner.invoke(app, ["sentiment", "--file", str(src), "--column", "text", "--output", str(out)])
    assert r.exit_code == 0, r.output
    scored = pd.read_csv(out)
    assert scored["id"].tolist() == [1, 2] and scored["label"].tolist() == [1, 0]
    assert scored["sentiment"].iloc[0] > 0.5 > scored["sentiment"].iloc[1]
