"""Influence on graphs: loading, spread (exact, Monte Carlo, cynetdiff), IMM vs CELF, budgets, learning."""

from __future__ import annotations

import array
import json
import math
from pathlib import Path

import networkx as nx
import numba
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from canyu.analytics.influence import (
    MODELS,
    InfluenceGraph,
    celf,
    degree_costs,
    estimate_spread,
    exact_spread,
    expected_conversions,
    graph_from_edges,
    imm,
    learn_probabilities,
    read_edge_list,
    seeds_from_file,
    simulate_cascades,
    spread_from_file,
    uniform_probabilities,
    weighted_cascade_probabilities,
)
from canyu.errors import CanyuError, IngestError, UnknownNameError

GRAPHS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "graphs"
EMAIL = GRAPHS / "email-Eu-core.txt"
FACEBOOK = GRAPHS / "facebook_combined.txt"
needs_graphs = pytest.mark.skipif(not EMAIL.exists(), reason=f"SNAP graphs not found under {GRAPHS}")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20260301)


@pytest.fixture(scope="module")
def email() -> InfluenceGraph:
    if not EMAIL.exists():
        pytest.skip(f"SNAP graphs not found under {GRAPHS}")
    return read_edge_list(EMAIL)


def small_graph(rng: np.random.Generator, *, n: int = 7, m: int = 14) -> InfluenceGraph:
    pairs = set()
    while len(pairs) < m:
        u, v = (int(x) for x in rng.integers(0, n, 2))
        if u != v:
            pairs.add((u, v))
    frame = pd.DataFrame(sorted(pairs), columns=["source", "target"])
    frame["p"] = rng.uniform(0.1, 0.7, len(frame))
    return graph_from_edges(frame, probability="p")


def within_3se(a: float, b: float, se: float) -> bool:
    return abs(a - b) <= 3.0 * se


# ---------------------------------------------------------------- loading


@needs_graphs
def test_read_edge_list_matches_networkx(email: InfluenceGraph) -> None:
    ref = nx.read_edgelist(EMAIL, create_using=nx.DiGraph, nodetype=str)
    ref.remove_edges_from(list(nx.selfloop_edges(ref)))
    assert email.n_nodes == ref.number_of_nodes() == 1005
    assert email.n_edges == ref.number_of_edges()
    out = dict(zip(email.labels.tolist(), email.out_degree().tolist(), strict=True))
    assert out == dict(ref.out_degree())
    # the reverse CSR holds the same edges
    fwd = set(zip(email.sources.tolist(), email.indices.tolist(), strict=True))
    targets = np.repeat(np.arange(email.n_nodes), email.in_degree())
    assert set(zip(email.rev_indices.tolist(), targets.tolist(), strict=True)) == fwd


def test_read_edge_list_formats(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("# comment\na,b,0.5\nb,c,0.25\n\na,b,0.9\n", encoding="utf-8")
    g = read_edge_list(path)
    assert (g.n_nodes, g.n_edges, g.has_weights) == (3, 2, True)
    assert g.edge_table().to_dict("list") == {
        "source": ["a", "b"],
        "target": ["b", "c"],
        "probability": [0.5, 0.25],  # duplicate arc: the first keeps its probability
    }
    und = read_edge_list(path, undirected=True)
    assert und.n_edges == 4


@pytest.mark.parametrize(
    ("text", "row", "field", "value"),
    [
        ("a b\nb c d e\n", 2, "line", "b c d e"),
        ("a b 0.5\nb c 1.5\n", 2, "probability", "1.5"),
        ("a b 0.5\n# x\nb c abc\n", 3, "probability", "abc"),
        ("a b 0.5\nb c\n", 2, "line", "b c"),
        ("a\n", 1, "line", "a"),
    ],
)
def test_read_edge_list_bad_line(tmp_path: Path, text: str, row: int, field: str, value: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError) as info:
        read_edge_list(path)
    err = info.value
    assert (err.file, err.row, err.field, err.value) == (str(path), row, field, value)
    assert repr(value) in str(err)


def test_read_edge_list_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as info:
        read_edge_list(tmp_path / "nope.txt")
    assert info.value.row is None


def test_graph_from_pandas_and_arrow_agree() -> None:
    frame = pd.DataFrame({"src": [1, 2, 3, 1], "dst": [2, 3, 1, 3], "w": [0.1, 0.2, 0.3, 0.4]})
    g1 = graph_from_edges(frame, source="src", target="dst", probability="w")
    g2 = graph_from_edges(pa.Table.from_pandas(frame), source="src", target="dst", probability="w")
    pd.testing.assert_frame_equal(g1.edge_table(), g2.edge_table())
    assert g1.node_index([3, "1"]).tolist() == [2, 0]  # labels or their string form
    with pytest.raises(UnknownNameError):
        g1.node_index([9])


def test_unknown_model_lists_valid_names(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("a b\n", encoding="utf-8")
    with pytest.raises(UnknownNameError) as info:
        spread_from_file(path, model="icc", seeds=["a"])
    assert set(info.value.valid) == set(MODELS) and info.value.closest == "ic"


def test_weighted_cascade_probabilities() -> None:
    g = weighted_cascade_probabilities(
        graph_from_edges(pd.DataFrame({"source": ["a", "b", "c"], "target": ["c", "c", "d"]}))
    )
    assert g.edge_table()["probability"].tolist() == [0.5, 0.5, 1.0]


# ---------------------------------------------------------------- spread


def test_path_closed_form() -> None:
    g = uniform_probabilities(
        graph_from_edges(pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"]})), p=0.3
    )
    assert exact_spread(g, ["a"]) == pytest.approx(1 + 0.3 + 0.09)
    assert exact_spread(g, ["a"], model="lt") == pytest.approx(1 + 0.3 + 0.09)  # one in-edge each
    res = estimate_spread(g, ["a"], runs=20_000, seed=1)
    assert within_3se(res.mean, 1.39, res.stderr)


@pytest.mark.parametrize("model", ["ic", "lt"])
def test_monte_carlo_matches_exact_enumeration(rng: np.random.Generator, model: str) -> None:
    g = small_graph(rng)
    if model == "lt":  # LT weights must sum to at most 1 per node
        g = g.with_probabilities(g.prob / np.maximum(1.0, np.bincount(g.indices, g.prob)[g.indices] * 1.2))
    for seeds in (["0"], ["1", "4"]):
        exact = exact_spread(g, seeds, model=model)
        res = estimate_spread(g, seeds, model=model, runs=40_000, seed=7)
        assert res.stderr > 0
        assert within_3se(res.mean, exact, res.stderr), (seeds, res.mean, exact, res.stderr)
        assert 1.0 <= exact <= g.n_nodes


def test_expected_conversions_weighted_spread(rng: np.random.Generator) -> None:
    g = small_graph(rng, n=6, m=10)
    rates = rng.uniform(0.0, 0.3, g.n_nodes)
    exact = exact_spread(g, ["0"], rates=rates)
    res = expected_conversions(g, ["0"], rates=rates, runs=40_000, seed=3)
    assert within_3se(res.mean, exact, res.stderr)
    plain = estimate_spread(g, ["0"], runs=40_000, seed=3)
    same = expected_conversions(g, ["0"], rates=np.full(g.n_nodes, 0.2), runs=40_000, seed=3)
    assert same.mean == pytest.approx(0.2 * plain.mean)  # same worlds, weights scale exactly


def test_spread_does_not_depend_on_threads(email: InfluenceGraph) -> None:
    g = uniform_probabilities(email, p=0.05)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = estimate_spread(g, ["0", "5"], runs=3_000, seed=11)
        numba.set_num_threads(before)
        many = estimate_spread(g, ["0", "5"], runs=3_000, seed=11)
    finally:
        numba.set_num_threads(before)
    assert one.mean == many.mean and one.stderr == many.stderr
    other = estimate_spread(g, ["0", "5"], runs=3_000, seed=12)
    assert other.mean != one.mean


def _cynetdiff_model(g: InfluenceGraph, kind: str):  # type: ignore[no-untyped-def]
    models = pytest.importorskip("cynetdiff.models", reason="cynetdiff not installed (pip install cynetdiff)")
    starts = array.array("I", g.indptr[:-1].astype(np.uint32).tolist())
    edges = array.array("I", g.indices.astype(np.uint32).tolist())
    probs = array.array("f", g.prob.astype(np.float32).tolist())
    if kind == "ic":
        return models.IndependentCascadeModel(starts, edges, activation_probs=probs, rng=5)
    return models.LinearThresholdModel(starts, edges, influence=probs, rng=5)


@needs_graphs
@pytest.mark.parametrize(("model", "prepare"), [("ic", "p05"), ("ic", "wc"), ("lt", "wc")])
def test_spread_agrees_with_cynetdiff(email: InfluenceGraph, model: str, prepare: str) -> None:
    g = uniform_probabilities(email, p=0.05) if prepare == "p05" else weighted_cascade_probabilities(email)
    seeds = ["0", "17", "400"]
    runs = 5_000
    ours = estimate_spread(g, seeds, model=model, runs=runs, seed=2)
    cyn = _cynetdiff_model(g, model)
    theirs = cyn.compute_marginal_gains(g.node_index(seeds).tolist(), [], runs)[0]
    se = ours.stderr * math.sqrt(2.0)  # same variance, same number of runs
    assert within_3se(ours.mean, theirs, se), (ours.mean, theirs, se)


def test_spread_agrees_with_ndlib(rng: np.random.Generator) -> None:
    ep = pytest.importorskip("ndlib.models.epidemics", reason="ndlib not installed (pip install ndlib)")
    mc = pytest.importorskip("ndlib.models.ModelConfig")
    ref = nx.gnm_random_graph(60, 150, seed=4, directed=True)
    g = uniform_probabilities(
        graph_from_edges(pd.DataFrame(list(ref.edges()), columns=["source", "target"])), p=0.2
    )
    ours = estimate_spread(g, [0, 1], runs=20_000, seed=4)
    sizes = []
    for trial in range(200):
        model = ep.IndependentCascadesModel(ref, seed=trial)
        cfg = mc.Configuration()
        cfg.add_model_initial_configuration("Infected", [0, 1])
        for e in ref.edges():
            cfg.add_edge_configuration("threshold", e, 0.2)
        model.set_initial_status(cfg)
        while True:  # until nobody is newly infected
            it = model.iteration()
            if it["iteration"] > 0 and it["node_count"][1] == 0:
                break
        sizes.append(it["node_count"][2])  # removed = ever infected
    theirs = float(np.mean(sizes))
    se = math.sqrt(ours.stderr**2 + np.var(sizes, ddof=1) / len(sizes))
    assert within_3se(ours.mean, theirs, se), (ours.mean, theirs, se)


# ---------------------------------------------------------------- seeding


@needs_graphs
@pytest.mark.parametrize(("model", "runs"), [("wc", 200), ("lt", 100)])
def test_imm_reaches_95_percent_of_celf(email: InfluenceGraph, model: str, runs: int) -> None:
    g = weighted_cascade_probabilities(email)
    fast = imm(g, k=5, model=model, epsilon=0.2, seed=1)
    slow = celf(g, k=5, model=model, runs=runs, seed=1)
    assert len(fast.seeds) == len(set(fast.seeds)) == 5
    check_fast = estimate_spread(g, list(fast.seeds), model=model, runs=10_000, seed=99)
    check_slow = estimate_spread(g, list(slow.seeds), model=model, runs=10_000, seed=99)
    assert check_fast.mean >= 0.95 * check_slow.mean, (check_fast.mean, check_slow.mean)
    # IMM's own estimate agrees with an independent Monte Carlo estimate (within IMM's epsilon)
    assert abs(fast.spread - check_fast.mean) <= 0.2 * check_fast.mean
    assert sum(fast.gains) == pytest.approx(fast.spread)
    assert list(fast.gains) == sorted(fast.gains, reverse=True)


def test_imm_finds_the_obvious_seeds() -> None:
    # two stars whose hubs reach everybody surely, plus isolated pairs
    rows = [("h1", f"a{i}") for i in range(30)] + [("h2", f"b{i}") for i in range(20)]
    rows += [(f"x{i}", f"y{i}") for i in range(10)]
    g = uniform_probabilities(graph_from_edges(pd.DataFrame(rows, columns=["source", "target"])), p=1.0)
    res = imm(g, k=2, model="ic", epsilon=0.1)
    assert set(res.seeds) == {"h1", "h2"}
    assert res.spread == pytest.approx(52, rel=0.1)


def test_weighted_imm_targets_converters() -> None:
    # h1 reaches 30 people who never buy, h2 reaches 20 who buy at 10%
    rows = [("h1", f"a{i}") for i in range(30)] + [("h2", f"b{i}") for i in range(20)]
    g = uniform_probabilities(graph_from_edges(pd.DataFrame(rows, columns=["source", "target"])), p=1.0)
    rates = {f"b{i}": 0.1 for i in range(20)}
    assert imm(g, k=1, epsilon=0.1).seeds == ("h1",)
    res = imm(g, k=1, epsilon=0.1, rates=rates)
    assert res.seeds == ("h2",) and res.spread == pytest.approx(2.0, rel=0.1)


@needs_graphs
def test_weighted_imm_reaches_95_percent_of_celf(email: InfluenceGraph, rng: np.random.Generator) -> None:
    g = weighted_cascade_probabilities(email)
    rates = np.where(rng.random(g.n_nodes) < 0.3, rng.uniform(0.01, 0.2, g.n_nodes), 0.0)
    fast = imm(g, k=5, model="wc", epsilon=0.2, rates=rates, seed=4)
    slow = celf(g, k=5, model="wc", runs=200, rates=rates, seed=4)
    check_fast = expected_conversions(g, list(fast.seeds), rates=rates, runs=10_000, seed=77)
    check_slow = expected_conversions(g, list(slow.seeds), rates=rates, runs=10_000, seed=77)
    assert check_fast.mean >= 0.95 * check_slow.mean, (check_fast.mean, check_slow.mean)
    assert abs(fast.spread - check_fast.mean) <= 0.2 * check_fast.mean


@needs_graphs
def test_budget_is_respected(email: InfluenceGraph) -> None:
    g = weighted_cascade_probabilities(email)
    costs = degree_costs(g)
    assert costs.min() >= 1.0 and costs[np.argmax(g.out_degree())] == costs.max()  # KOL costs most
    budget = 20.0
    fast = imm(g, model="wc", budget=budget, epsilon=0.2, seed=3)
    slow = celf(g, model="wc", budget=budget, runs=100, seed=3)
    for res in (fast, slow):
        assert res.cost <= budget and res.cost == pytest.approx(sum(res.costs))
        idx = g.node_index(list(res.seeds))
        assert np.allclose(res.costs, costs[idx])
        assert len(res.seeds) >= 2
    check_fast = estimate_spread(g, list(fast.seeds), runs=5_000, seed=8).mean
    check_slow = estimate_spread(g, list(slow.seeds), runs=5_000, seed=8).mean
    assert check_fast >= 0.9 * check_slow


def test_budget_prefers_many_cheap_seeds_when_better() -> None:
    # one hub (cost 10) reaching 12 people vs. 10 cheap nodes (cost 1) reaching 2 each
    rows = [("hub", f"h{i}") for i in range(12)] + [(f"c{i}", f"d{i}") for i in range(10)]
    g = uniform_probabilities(graph_from_edges(pd.DataFrame(rows, columns=["source", "target"])), p=1.0)
    costs = np.where(g.labels == "hub", 10.0, 1.0)
    res = imm(g, costs=costs, budget=10.0, epsilon=0.1, seed=2)
    assert "hub" not in res.seeds and len(res.seeds) == 10 and res.cost == 10.0
    ref = celf(g, costs=costs, budget=10.0, runs=50)
    assert set(ref.seeds) == set(res.seeds)


# ---------------------------------------------------------------- learning


@pytest.mark.parametrize("method", ["em", "bernoulli"])
def test_learned_probabilities_recover_truth(rng: np.random.Generator, method: str) -> None:
    n, m = 120, 480
    frame = pd.DataFrame({"source": rng.integers(0, n, m), "target": rng.integers(0, n, m)})
    g = graph_from_edges(frame)
    truth = rng.uniform(0.05, 0.5, g.n_edges)
    g = g.with_probabilities(truth)
    log = simulate_cascades(g, cascades=1_500, seeds_per_cascade=2, seed=5)
    est = learn_probabilities(g, log, method=method)
    seen = est["trials"].to_numpy() >= 20
    assert seen.mean() > 0.8
    corr = np.corrcoef(est["probability"].to_numpy()[seen], truth[seen])[0, 1]
    assert corr > 0.8, corr
    assert (est["successes"] <= est["trials"]).all()


def test_em_beats_bernoulli_when_parents_compete(rng: np.random.Generator) -> None:
    # dense graph: many co-active parents, so full-credit Bernoulli is biased upwards
    n, m = 60, 600
    frame = pd.DataFrame({"source": rng.integers(0, n, m), "target": rng.integers(0, n, m)})
    g = graph_from_edges(frame)
    truth = rng.uniform(0.02, 0.2, g.n_edges)
    g = g.with_probabilities(truth)
    log = simulate_cascades(g, cascades=1_000, seeds_per_cascade=3, seed=6)
    bias, err = {}, {}
    for method in ("em", "bernoulli"):
        est = learn_probabilities(g, log, method=method)["probability"].to_numpy()
        bias[method] = float(np.mean(est - truth))
        err[method] = float(np.mean(np.abs(est - truth)))
    assert abs(bias["em"]) < 0.005  # EM is the MLE: no systematic bias
    assert bias["bernoulli"] > 0.02  # full credit to every co-active parent over-estimates
    assert err["em"] < err["bernoulli"]


# ---------------------------------------------------------------- file entry points


@needs_graphs
def test_file_entry_points_are_json_ready() -> None:
    res = spread_from_file(FACEBOOK, model="ic", p=0.01, seeds=["0", "107"], runs=2_000, undirected=True)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["seeds"] == ["0", "107"] and data["nodes"] == 4039 and data["edges"] == 2 * 88234
    assert data["low"] < data["mean"] < data["high"]
    picked = seeds_from_file(FACEBOOK, model="wc", k=5, undirected=True)
    data = json.loads(json.dumps(picked.to_dict()))
    assert len(data["seeds"]) == 5 and data["method"] == "imm" and data["rr_sets"] > 0
    again = seeds_from_file(FACEBOOK, model="wc", k=5, undirected=True)
    assert again.seeds == picked.seeds  # seeded: reproducible
    with pytest.raises(UnknownNameError):
        spread_from_file(FACEBOOK, seeds=["no-such-node"], runs=10)


def test_file_entry_points_raise_canyu_errors(tmp_path: Path) -> None:
    path = tmp_path / "g.txt"
    path.write_text("a b\nb c\n", encoding="utf-8")
    with pytest.raises(CanyuError, match=r"1\.5"):
        spread_from_file(path, p=1.5, seeds=["a"])
    with pytest.raises(CanyuError, match="seed"):
        spread_from_file(path, seeds=[])
    with pytest.raises(CanyuError, match="budget"):
        seeds_from_file(path, budget=0.5)
    ic = spread_from_file(path, p=None, seeds=["a"], runs=100)  # no column: p = 0.01
    assert 1.0 <= ic.mean <= 1.03
    lt = spread_from_file(path, model="lt", p=None, seeds=["a"], runs=100)  # no column: 1/in-degree
    assert lt.mean == 3.0
