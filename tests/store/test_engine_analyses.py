"""The analyses the CLI runs (attribute, cascades, seeds, report) give the same answers on every engine.

One small simulated brand (2,000 people over 14 days) is imported once per engine; each test runs
the same pipeline the CLI runs on DuckDB (the reference) and on the engine under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import canyu
from canyu.simulate import import_simulation

Opener = Callable[[str], canyu.Workspace]
PER_IMPORT = ("batch_id", "started", "finished")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opener]:
    """Workspaces of one simulated brand, imported once per engine (on first use)."""
    root = tmp_path_factory.mktemp("sim")
    opened: dict[str, canyu.Workspace] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CANYU_HOME", str(root / "home"))
        mp.setenv("CANYU_HMAC_KEY", "0123456789abcdef0123456789abcdef")
        sim = canyu.simulate(str(root / "files"), people=2000, days=14, seed=11)

        def open_engine(engine: str) -> canyu.Workspace:
            if engine not in opened:
                with pytest.MonkeyPatch.context() as inner:
                    inner.setenv("CANYU_HMAC_KEY", "0123456789abcdef0123456789abcdef")
                    ws = canyu.create(root / engine, engine=engine, locale="en")
                    import_simulation(ws, sim.path)
                opened[engine] = ws
            return opened[engine]

        yield open_engine
    for ws in opened.values():
        ws.close()


def _frame(df: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    """Rows sorted by ``keys``, floats rounded, missing values as None: comparable across engines."""
    out = df.sort_values(keys, kind="stable").reset_index(drop=True)
    records = []
    for r in out.to_dict("records"):
        row = {}
        for k, v in r.items():
            if isinstance(v, float | np.floating):
                v = None if np.isnan(v) else round(float(v), 9)
            elif v is pd.NaT or v is None or (not isinstance(v, str | list | tuple | dict) and pd.isna(v)):
                v = None
            elif isinstance(v, pd.Timestamp):
                v = v.to_pydatetime().replace(tzinfo=None)
            elif isinstance(v, np.integer):
                v = int(v)
            row[k] = v
        records.append(row)
    return records


def _attribution(ws: canyu.Workspace) -> dict[str, Any]:
    from canyu.analytics.attribution import attribute, journey_path_table, journeys

    touches = journeys(ws.table("events"), conversion_actions=ws.config.conversion_actions, key="channel")
    table = ws.to_pandas(journey_path_table(touches))
    result = attribute(table, model="markov", order=1)
    credits = result.credits("markov").reset_index()
    return {
        "paths": _frame(table, ["path"]),
        "credits": _frame(credits, [credits.columns[0]]),
        "total": round(result.total_conversions, 9),
    }


def test_attribution_is_the_same(engine: str, simulated: Opener) -> None:
    reference = _attribution(simulated("duckdb"))
    assert reference["total"] > 0 and len(reference["paths"]) > 10  # a real answer, not two empty ones
    assert _attribution(simulated(engine)) == reference


def _cascades(ws: canyu.Workspace) -> dict[str, Any]:
    from canyu.analytics.diffusion import (
        cascade_metrics,
        kol_ranking,
        reconstruct_cascades,
        viral_coefficient,
    )

    ev = ws.table("events")
    conv = list(ws.config.conversion_actions)
    events = ws.to_pandas(ev.filter(ev.action.isin(["share", *conv]) | ev.parent_user_id.notnull()))
    follows = ws.to_pandas(ws.table("follows"))
    # the engines return rows in their own order; the analysis must not depend on it
    events = events.sort_values("event_id", kind="stable").reset_index(drop=True)
    follows = follows.sort_values(list(follows.columns), kind="stable").reset_index(drop=True)
    casc = reconstruct_cascades(events, follows, conversion_actions=conv)
    metrics = cascade_metrics(casc)
    return {
        "metrics": _frame(metrics, ["cascade_id"]),
        "people": _frame(kol_ranking(casc, top=20), ["rank"]),
        "k_factor": _frame(viral_coefficient(casc), list(viral_coefficient(casc).columns[:1])),
        "inferred": round(casc.inferred_share, 9),
    }


def test_cascades_are_the_same(engine: str, simulated: Opener) -> None:
    reference = _cascades(simulated("duckdb"))
    assert len(reference["metrics"]) > 0
    assert _cascades(simulated(engine)) == reference


def _seeds(ws: canyu.Workspace) -> dict[str, Any]:
    from canyu.analytics.influence import MODELS, graph_from_edges, imm

    fo = ws.table("follows")
    edges = ws.to_pandas(
        fo.filter(~fo.followee_id.startswith("brand_"))
        .select(source=fo.channel.concat(":", fo.followee_id), target=fo.channel.concat(":", fo.follower_id))
        .distinct()
    )
    edges = edges.sort_values(["source", "target"], kind="stable").reset_index(drop=True)
    g = MODELS["wc"].prepare(graph_from_edges(edges), None)
    result = imm(g, k=5, model="wc", epsilon=0.5, seed=3)
    return {"edges": len(edges), "seeds": list(result.seeds), "spread": round(float(result.spread), 6)}


def test_seeds_are_the_same(engine: str, simulated: Opener) -> None:
    reference = _seeds(simulated("duckdb"))
    assert reference["edges"] > 0 and len(reference["seeds"]) == 5
    assert _seeds(simulated(engine)) == reference


def _report(ws: canyu.Workspace) -> dict[str, Any]:
    from canyu.report import build_report
    from canyu.report._contracts import TableBlock

    report = build_report(ws, locale="en")
    tables = {}
    for sec in report.sections:
        for i, block in enumerate(sec.result.blocks):
            if isinstance(block, TableBlock):
                # batch ids and import times name each workspace's own imports, not an answer
                frame = block.frame.reset_index().drop(columns=list(PER_IMPORT), errors="ignore")
                # sums of floats differ in the last bits with the engines' summation order
                # (713.4000000000001 against 713.4): compare them rounded, as shown
                frame = frame.apply(lambda c: c.round(9) if c.dtype.kind == "f" else c)
                tables[f"{sec.name}/{i}"] = _frame(frame.astype(str), list(frame.columns))
    return {
        "sections": [s.name for s in report.sections],
        "findings": [(f.key, f.severity, str(f.value)) for f in report.findings],
        "tables": tables,
    }


_REFERENCES: dict[str, dict[str, Any]] = {}


def _reference(
    name: str, compute: Callable[[canyu.Workspace], dict[str, Any]], simulated: Opener
) -> dict[str, Any]:
    """DuckDB's answer, computed once per module: the DuckDB case computes it again (the same data
    give the same answer twice), the Spark case compares against it."""
    if name not in _REFERENCES:
        _REFERENCES[name] = compute(simulated("duckdb"))
    return _REFERENCES[name]


def test_report_is_the_same(engine: str, simulated: Opener) -> None:
    reference = _reference("report", _report, simulated)
    assert reference["tables"]
    answer = _report(simulated(engine))
    assert answer["sections"] == reference["sections"]
    assert answer["findings"] == reference["findings"]
    assert answer["tables"] == reference["tables"]


REGISTERED = (
    "activity",
    "retention",
    "lifecycle",
    "roles",
    "attribution",
    "cascades",
    "seeds",
    "spend",
    "findings",
)


def _registered(ws: canyu.Workspace) -> dict[str, Any]:
    """What ``canyu analyze DIR NAME`` prints for each analysis, as comparable rows."""
    from canyu.analytics.registry import as_tables

    session = ws.session()
    out: dict[str, Any] = {}
    for name in REGISTERED:
        for key, frame in as_tables(session.run(name)).items():
            # batch ids, import times and run times describe each run, not the answer
            frame = frame.reset_index(drop=True).drop(columns=[*PER_IMPORT, "seconds"], errors="ignore")
            frame = frame.apply(lambda c: c.round(9) if c.dtype.kind == "f" else c)  # summation order
            out[f"{name}/{key}"] = (
                _frame(frame.astype(str), list(frame.columns)) if len(frame.columns) else []
            )
    return out


def test_registered_analyses_are_the_same(engine: str, simulated: Opener) -> None:
    reference = _reference("registered", _registered, simulated)
    assert len(reference["activity/result"]) > 10 and reference["attribution/conversions"]
    assert _registered(simulated(engine)) == reference
