"""The registered analyses topics, agenda and sentiment, their rules, report sections and CLI, on a
small simulated workspace (default scenario: the brand leads, lag 3, strength 0.6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

import canyu
from canyu.cli import app
from canyu.simulate import import_simulation

# Measured on this workspace: accuracy 0.998, adjusted Rand index 0.998 (a few texts jieba cuts
# across a seed word: "对换新无语" -> 对换 / 新无语).
TOPIC_ACCURACY_FLOOR = 0.99
TOPIC_ARI_FLOOR = 0.99


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[canyu.Workspace, Path, dict]]:
    root = tmp_path_factory.mktemp("listening")
    sim = canyu.simulate(root / "files", people=1500, days=120, seed=11)
    ws = canyu.create(root / "ws", brand="sim", locale="en")
    import_simulation(ws, sim.path)
    yield ws, sim.path, sim.truth
    ws.close()


@pytest.mark.slow
def test_topics_against_the_simulators_truth(simulated: tuple[canyu.Workspace, Path, dict]) -> None:
    ws, files, truth = simulated
    result = ws.session().run("topics")
    texts = result.texts
    true = pd.read_parquet(files / "truth_texts.parquet").set_index("text_id")["topic"]
    # every brand post and every audience text of the files is read, none twice
    assert set(texts["text_id"]) == set(true.index)
    assert len(texts) == len(true)
    assert result.brand_texts == int(
        (pd.read_parquet(files / "truth_texts.parquet")["kind"] == "brand_post").sum()
    )
    got = texts.set_index("text_id")["topic"].reindex(true.index)
    accuracy = float((got == true).mean())
    ari = adjusted_rand_score(true.to_numpy(), got.fillna("none").to_numpy())
    print(f"topic accuracy {accuracy:.4f}, adjusted Rand index {ari:.4f} over {len(true):,} texts")
    assert accuracy >= TOPIC_ACCURACY_FLOOR and ari >= TOPIC_ARI_FLOOR
    assert list(result.taxonomy) == truth["agenda"]["topics"]
    # tokens and assignments are derived tables of the store
    assert set(result.saved) == {"text_tokens", "text_topics"}
    stored = ws.store.read_derived("text_topics")
    assert stored is not None and stored.num_rows == len(result.assignments)
    tokens = ws.store.read_derived("text_tokens")
    assert tokens is not None and set(tokens.column("kind").to_pylist()) >= {"word", "hashtag", "repost"}


@pytest.mark.slow
def test_agenda_finds_the_brand_leading(simulated: tuple[canyu.Workspace, Path, dict]) -> None:
    ws, _, truth = simulated
    assert (truth["agenda"]["direction"], truth["agenda"]["lag_days"]) == ("brand_leads", 3)
    session = ws.session()
    a = session.run("agenda")
    assert a.result is not None and a.direction == "brand_leads"
    assert abs(a.result.lag_days - 3) <= 1
    assert a.result.strength == pytest.approx(truth["agenda"]["strength"], abs=0.15)
    assert a.result.strength_interval[0] > 0.2
    assert set(a.topics["topic"]) == set(truth["agenda"]["topics"])
    assert (a.topics["q_brand_leads"] < 0.05).all()
    assert {"engaged", "converted"} <= set(a.topics.columns)
    assert set(a.result.channels["channel"]) >= {"weibo", "douyin"}
    assert len(a.carriers) > 0 and not a.carriers["author"].str.startswith("brand_").any()
    # the brand sets its agenda: no join-the-audience advice; no 舆情 in the default scenario
    keys = [f.key for f in session.findings(rules=["agenda_join_audience", "negative_spikes"])]
    assert keys == []
    s = session.run("sentiment")
    assert s.texts == a.audience_texts + int(
        (session.run("topics").texts.query("kind == 'audience'")["topic"].isna()).sum()
    )
    assert int(s.daily["texts"].sum()) == s.texts and 0.3 < s.share_positive < 0.8


@pytest.mark.slow
def test_cli_and_report(simulated: tuple[canyu.Workspace, Path, dict], tmp_path: Path) -> None:
    ws, _, _ = simulated
    runner = CliRunner()
    r = runner.invoke(app, ["analyze", str(ws.path), "agenda", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout[r.stdout.index("{") :])
    res = doc["result"]
    assert res["direction"] == "brand_leads" and abs(res["lag_days"] - 3) <= 1
    assert 0.0 <= res["strength"] <= 1.0 and len(res["topics"]) == 8
    assert {"topic", "direction", "lag_days", "q_brand_leads"} <= set(res["topics"][0])
    r = runner.invoke(app, ["analyze", str(ws.path), "topics"])
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert "产品体验" in r.output
    from canyu.report import write_report

    for loc, words in (
        ("en", ("Agenda setting", "Topics", "Sentiment")),
        ("zh-CN", ("议程设置", "话题", "情绪与舆情")),
    ):
        out = write_report(
            ws, path=tmp_path / f"r_{loc}.html", locale=loc, sections="agenda,topics,sentiment"
        )
        html = out.path.read_text(encoding="utf-8")
        assert all(w in html for w in words), loc
        assert "nan%" not in html and "Traceback" not in html
