"""Closed loop: does canyu's plan beat the status quo and follow-the-leader on the simulated world?

Per scenario and seed: simulate the world's first period (``--days``), import nothing, then continue the
same world for ``--horizon`` days under four arms on common random numbers (the same seed stream per
day, so arms differ only by their levers):

``status_quo``   last period's levers repeated: the scenario's posts per day, reply settings and mean daily
                 spend per channel, measured from the first period
``canyu``        canyu's plan: ``canyu.plan.actions.build_plan(session, period=..., budget=..., objective=...)``
                 ``.levers`` on a workspace of the first period's files; when that module is not on this
                 branch, a LOCAL STAND-IN (``_stand_in_plan`` below, clearly not canyu's planner) so the
                 harness can be tested, and the output says so
``follow``       follow-the-leader: Xiaomi's layout copied whatever the product (heavy Weibo, forum and QQ
                 Zone posting and spend): posts per day weibo 8, forum 6, qzone 4, wechat_oa 1, douyin 1,
                 xiaohongshu 1, wecom 0.5; the same total budget split weibo 45%, qzone 25%, douyin 10%,
                 xiaohongshu 10%, wechat_oa 10% (Xiaomi's early playbook: Weibo for reach, the MIUI forum
                 for fans, QQ Zone for the young; the layout the playbook warns against copying)
``oracle``       from the truth: the same total budget, its seeds paid out of it at canyu's fee schedule
                 (seeding 0%, 15% or 30% of it by budgeted IMM on the true Weibo graph, the best of the
                 three kept) and the rest split greedily to the true best marginal revenue per yuan on
                 each channel's true curve; every channel answering at the planner's staffing targets
                 (10 minutes, 95%), and each channel's cadence searched on the true model (``oracle``:
                 from the best of the status quo's, the caps', canyu's and follow-the-leader's cadences, a
                 coordinate ascent over a grid per channel up to the largest cap any arm has there, scored
                 by the continuation's expected revenue averaged over 2 random streams independent of the
                 evaluation's; then the best of that and every other arm's whole levers, as they are and
                 with their paid money re-split to the true best returns, so it can do whatever another
                 arm does and better its split). ``--oracle-seeds free``: the bench before 2026-12-03,
                 the top-5 true seeds free and the whole budget paid

Cadence caps: no arm may plan more posts a day on a channel than the top of its role's band in
``canyu.plan.strategy.CADENCE`` (broadcast 8, retention 6, service 1, conversion 2): canyu by the role it
plans for the channel, follow-the-leader within those; the oracle may go up to the largest of the channel's
TRUE role's top, the status quo's cadence and any other arm's cadence there (:func:`cadence_caps`), so it
can do whatever another arm does.

Every arm spends the status quo's total budget (the oracle and follow-the-leader re-split it; canyu's plan
is given it as ``budget`` and pays its seeds' fees, at the population's scale, and its campaigns out of it;
the oracle pays its seeds at the same schedule, unless ``--oracle-seeds free``). A spend split is the
whole always-on budget: a channel it leaves out spends nothing. Posting is free in yuan in every arm,
and the simulator has no posting fatigue (nobody unfollows): no mechanism makes more posts cost orders. Printed per scenario: conversions (orders in the period),
revenue (yuan, their paid value), active people (any action but exposure or reply), expected conversions
(the sum of the true purchase probabilities) and expected revenue (those times an order's expected value) per
arm, mean over seeds with a 90% interval, uplift vs status
quo paired across seeds (t interval), canyu's share of the oracle's uplift, and the goal's verdict.

    PYTHONPATH=src python bench/plan.py --seeds 10           # 7 scenarios x 10 seeds, 1,500 people, 45 + 30 days
    PYTHONPATH=src python bench/plan.py --people 5000 --scenarios default,overspent
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from canyu.plan.actions import SEED_SHARE
from canyu.plan.levers import Levers, Seed
from canyu.simulate import SCENARIOS, get_scenario
from canyu.simulate._continue import continue_run, outcome
from canyu.simulate._engine import REFERENCE_PEOPLE, paid_curve, run
from canyu.simulate._ids import ChannelIds
from canyu.simulate._truth import paid_value, true_weibo_graph
from canyu.simulate._world import SOCIAL, build_world

START = dt.date(2026, 8, 1)
METRICS = ("conversions", "revenue", "active_people")
#: the goal is judged on these too: the truth's expectations of orders and revenue, free of the draws' noise
EXPECTED = ("expected_conversions", "expected_revenue")
#: printed too: the sum of the period's true purchase probabilities (the orders without the draws' noise)
SHOWN = (*METRICS, *EXPECTED)
XIAOMI_POSTS = {
    "weibo": 8.0,
    "forum": 6.0,
    "qzone": 4.0,
    "wechat_oa": 1.0,
    "douyin": 1.0,
    "xiaohongshu": 1.0,
    "wecom": 0.5,
}
XIAOMI_SPLIT = {"weibo": 0.45, "qzone": 0.25, "douyin": 0.10, "xiaohongshu": 0.10, "wechat_oa": 0.10}


def _canyu_planner() -> Any:
    try:
        from canyu.plan.actions import build_plan  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return build_plan


def status_quo(sim: Any) -> Levers:
    """Last period's levers: the settings in force and the mean always-on spend per channel."""
    eng = sim.state
    always = [r for r in sim.spend_rows if r[2] == -1]
    spend = {ch: round(sum(r[3] for r in always if r[1] == ch) / sim.days, 2) for ch in SOCIAL}
    return Levers(
        posts_per_day={ch: eng.channels[ch].posts_per_day for ch in SOCIAL},
        spend_per_day={ch: v for ch, v in spend.items() if v > 0},
        reply_minutes={ch: eng.channels[ch].reply_minutes for ch in SOCIAL},
        reply_rate={ch: eng.channels[ch].reply_rate for ch in SOCIAL},
    )


def follow_the_leader(sim: Any, total: float) -> Levers:
    return Levers(
        posts_per_day=dict(XIAOMI_POSTS),
        spend_per_day={ch: round(total * share, 2) for ch, share in XIAOMI_SPLIT.items()},
    )


def _greedy_split(sim: Any, total: float, steps: int = 200) -> dict[str, float]:
    """The budget to the true best marginal revenue per yuan, in ``steps`` increments on the true curves."""
    w = sim.world
    value = {ch: paid_value(sim, ch)["revenue_per_exposure"] * int(w.member[ch].sum()) for ch in SOCIAL}
    alloc = dict.fromkeys(SOCIAL, 0.0)
    inc = total / steps
    for _ in range(steps):
        gain = {
            ch: value[ch]
            * float(
                paid_curve(sim.state.channels[ch], w.n, alloc[ch] + inc)
                - paid_curve(sim.state.channels[ch], w.n, alloc[ch])
            )
            for ch in SOCIAL
        }
        best = max(gain, key=lambda c: gain[c])
        alloc[best] += inc
    return {ch: round(v, 2) for ch, v in alloc.items() if v > 0}


def oracle_seeds(
    sim: Any, ids: ChannelIds, first: dt.date, budgeted: tuple[float, float, float] | None
) -> tuple[Seed, ...]:
    """Seeds on the TRUE Weibo graph by IMM under the true IC probabilities (as ``truth.json``'s
    ``best_seeds``): the top 5, free, when ``budgeted`` is None; else ``(budget, yuan per account, yuan
    per follower)``: the set IMM picks within that budget at that fee schedule, a seed's followers being
    its audience on the true graph, each seed carrying its fee. One seed a day from the period's first
    day."""
    from canyu.analytics.influence import imm

    graph = true_weibo_graph(sim)
    if graph is None:
        return ()
    if budgeted is None:
        result = imm(graph, k=5, model="ic", epsilon=0.2, seed=7)
        fee_of = dict.fromkeys(result.seeds, 0.0)
    else:
        budget, per_account, per_follower = budgeted
        followers = np.diff(graph.indptr).astype(float)  # a node's out-degree
        costs = per_account + per_follower * followers
        result = imm(graph, model="ic", epsilon=0.2, seed=7, costs=costs, budget=budget)
        fee_of = dict(zip(result.seeds, (float(c) for c in result.costs), strict=True))
    return tuple(
        Seed("weibo", ids.one("weibo", int(node)), round(fee_of[node], 2), first + dt.timedelta(days=i))
        for i, node in enumerate(result.seeds)
    )


#: The staffing the oracle's service targets assume on every channel (the planner's targets: canyu.plan.strategy)
ORACLE_REPLY = (10.0, 0.95)
#: Random streams the oracle's cadence search averages its expected revenue over
SEARCH_STREAMS = 2


def cadence_caps(sim: Any, *others: Levers) -> dict[str, float]:
    """The most posts a day the oracle may plan per channel: the largest any arm may use there — the top of
    the channel's TRUE role's band (``canyu.plan.strategy.CADENCE``), the status quo's cadence, and the
    cadence each of ``others`` (canyu's plan, follow-the-leader) plans, whichever is highest. A channel the
    scenario leaves without a role gets its default role's band."""
    from canyu.plan.strategy import CADENCE
    from canyu.simulate._scenarios import TRUE_ROLES_DEFAULT

    roles = sim.scenario.true_roles
    return {
        ch: max(
            CADENCE[roles.get(ch, TRUE_ROLES_DEFAULT[ch])][1],
            sim.state.channels[ch].posts_per_day,
            *(lv.posts_per_day.get(ch, 0.0) for lv in others),
        )
        for ch in SOCIAL
    }


def cadence_grid(sq: float, cap: float, *others: float) -> list[float]:
    """The cadences the oracle tries on a channel: the status quo's, the midpoint between it and the cap, the
    cap, and every other arm's cadence there."""
    pts = {sq, (sq + cap) / 2, cap, *(v for v in others if 0 <= v <= cap)}
    return sorted(round(v, 3) for v in pts)


def _expected(sim: Any, lv: Levers, days: int, ids: ChannelIds) -> float:
    return outcome(continue_run(sim, lv, days=days, start=START, ids=ids)).expected_revenue


def oracle(
    sim: Any,
    total: float,
    ids: ChannelIds,
    first: dt.date,
    horizon: int,
    others: tuple[Levers, ...] = (),
    seed_fees: tuple[float, float] | None = None,
) -> tuple[Levers, dict[str, Any]]:
    """The oracle, from the truth: the budget to the true best marginal returns, IMM seeds on the true
    Weibo graph (paid for out of the budget, below), every channel answering at the planner's staffing targets, and each channel's
    cadence searched on the true model itself.

    Seeds: with ``seed_fees`` (yuan per account, yuan per follower: the schedule canyu's plan pays), the
    oracle pays for its seeds out of the same total budget, as canyu does: it tries seeding budgets of 0,
    one and two times the planner's seeding share (``canyu.plan.actions.SEED_SHARE``), each filled by
    budgeted IMM on the TRUE Weibo graph (:func:`oracle_seeds`) with the rest of the money to the true
    best marginal returns, and keeps whichever scores best on the search's streams. Without
    ``seed_fees`` (``--oracle-seeds free``, the bench before 2026-12-03) the top-5 IMM seeds are free and
    the whole budget goes to paid promotion.

    The cadence search starts from the best (on the search's own streams) of the status quo's cadences, the
    caps (:func:`cadence_caps`) and every arm in ``others`` (canyu's, follow-the-leader's), then runs a
    coordinate ascent over the channels, each trying :func:`cadence_grid` up to the largest cap any arm has
    there; last it compares the result with every arm in ``others`` whole (its own spend, seeds, service and
    campaigns, with its own cadence and with the searched one, and with its paid money re-split to the true
    best marginal returns) and keeps the best, so it can do anything another arm does and better its
    split. A trial is scored by the continuation's expected revenue (the true purchase probabilities
    times an order's expected value, free of the purchase draws' noise) averaged over ``SEARCH_STREAMS``
    random streams independent of the evaluation's, so the search does not tune itself to the draws it
    is judged on.
    """
    import copy
    from dataclasses import replace

    sq = status_quo(sim)
    minutes, rate = ORACLE_REPLY
    searches = []
    for k in range(SEARCH_STREAMS):  # independent streams for the search, common to its trials
        state = copy.copy(sim.state)
        state.base = (int(sim.state.base) + 1_000_003 * (k + 1)) % 2**62
        searches.append(replace(sim, state=state))

    def searched(lv: Levers) -> float:
        """Expected revenue of ``lv``, averaged over the search's streams."""
        return float(np.mean([_expected(s, lv, horizon, ids) for s in searches]))

    def with_seeds(seeds: tuple[Seed, ...], fees: float) -> Levers:
        return Levers(
            posts_per_day=dict(sq.posts_per_day),
            spend_per_day=_greedy_split(sim, max(total - fees / horizon, 0.0)),
            reply_minutes={ch: min(v, minutes) for ch, v in sq.reply_minutes.items()},
            reply_rate={ch: max(v, rate) for ch, v in sq.reply_rate.items()},
            seeds=seeds,
        )

    if seed_fees is None:
        bases = {"top-5 seeds free": with_seeds(oracle_seeds(sim, ids, first, None), 0.0)}
    else:
        bases = {}
        for share in (0.0, SEED_SHARE, 2 * SEED_SHARE):
            chosen_seeds = (
                oracle_seeds(sim, ids, first, (share * total * horizon, *seed_fees)) if share else ()
            )
            bases[f"seeding {share:.0%} of the budget"] = with_seeds(
                chosen_seeds, sum(sd.fee for sd in chosen_seeds)
            )
    seeding_scores = {tag: searched(lv) for tag, lv in bases.items()}
    seeding = max(seeding_scores, key=lambda t: seeding_scores[t])
    base = bases[seeding]

    def score_of(posts: dict[str, float]) -> float:
        return searched(replace(base, posts_per_day=posts))

    caps = cadence_caps(sim, *others)
    starts = [dict(sq.posts_per_day), dict(caps)]
    starts += [
        {ch: min(lv.posts_per_day.get(ch, sq.posts_per_day[ch]), caps[ch]) for ch in SOCIAL} for lv in others
    ]
    scored = [(score_of(p), i) for i, p in enumerate(starts)]
    best, i_best = max(scored)
    posts = starts[i_best]
    tried = len(starts) + len(bases)
    for ch in SOCIAL:
        grid = cadence_grid(
            sq.posts_per_day[ch], caps[ch], *(lv.posts_per_day.get(ch, -1.0) for lv in others)
        )
        for value in grid:
            if value == posts[ch]:
                continue
            trial = {**posts, ch: value}
            score = score_of(trial)
            tried += 1
            if score > best:
                best, posts = score, trial
    # last, the whole levers of every other arm (its spend, seeds, service and campaigns), with its own
    # cadence and with the searched one, and with its paid money re-split to the true best marginal
    # returns: the oracle takes whichever scores best on the search's streams, so it can do anything
    # another arm does and improve its split (canyu's campaigns are levers the oracle does not search)
    found = replace(base, posts_per_day=posts)
    chosen, label = found, "searched"
    for name, lv in zip(("canyu", "follow"), others, strict=False):
        true_split = replace(lv, spend_per_day=_greedy_split(sim, sum(lv.spend_per_day.values())))
        for tag, cand in (
            (name, lv),
            (f"{name}'s levers, searched cadence", replace(lv, posts_per_day=posts)),
            # its seeds and campaigns, its paid money split to the true best marginal returns
            (f"{name}'s levers, true paid split", true_split),
            (f"{name}'s levers, true paid split, searched cadence", replace(true_split, posts_per_day=posts)),
        ):
            score = searched(cand)
            tried += 1
            if score > best:
                best, chosen, label = score, cand, tag
    return chosen, {
        "expected_revenue_search": best,
        "tried": tried,
        "caps": caps,
        "start": ("status quo", "caps", "canyu", "follow")[i_best],
        "chosen": label,
        "seeding": seeding,
        "seeding_tried": {
            tag: {
                "fees": round(sum(sd.fee for sd in lv.seeds), 2),
                "paid_per_day": round(sum(lv.spend_per_day.values()), 2),
                "expected_revenue_search": seeding_scores[tag],
            }
            for tag, lv in bases.items()
        },
        "seed_fees": round(sum(sd.fee for sd in chosen.seeds), 2),
    }


def _stand_in_plan(sim: Any, total: float) -> Levers:
    """STAND-IN, NOT canyu's planner: the harness's own simple plan, used only when canyu.plan.actions is
    missing. It re-splits the status quo's budget in proportion to each channel's measured paid orders per
    yuan in the first period (orders within 7 days of a paid exposure, from the simulator's log), and keeps
    the rest of the status quo."""
    cols = sim.log.columns()
    sq = status_quo(sim)
    score = {}
    for i, ch in enumerate(SOCIAL):
        spent = float(sim.spend[:, i].sum())
        score[ch] = sim.paid_impressions[:, i].sum() / spent if spent > 0 else 0.0
    del cols
    tot = sum(score.values()) or 1.0
    spend = {ch: round(total * s / tot, 2) for ch, s in score.items() if s > 0}
    return Levers(
        posts_per_day=sq.posts_per_day,
        spend_per_day=spend,
        reply_minutes=sq.reply_minutes,
        reply_rate=sq.reply_rate,
    )


def _canyu_plan(
    sim: Any, seed: int, scenario: str, people: int, days: int, horizon: int, total: float
) -> Levers:
    build_plan = _canyu_planner()
    if build_plan is None:
        return _stand_in_plan(sim, total)
    import canyu
    from canyu.simulate import import_simulation, simulate

    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp) / "files"
        simulate(files, people=people, days=days, seed=seed, scenario=scenario)
        from canyu.workspace import create_workspace

        ws = create_workspace(Path(tmp) / "ws")
        with ws:
            import_simulation(ws, files)
        with canyu.open(Path(tmp) / "ws") as ws2:
            session = ws2.session()
            first = START + dt.timedelta(days=days)
            last = first + dt.timedelta(days=horizon - 1)
            plan = build_plan(
                session,
                period=f"{first.isoformat()}..{last.isoformat()}",
                budget=total * horizon,
                objective="revenue",
                today=first,
                # seed fees at the simulated population's scale, as its budgets are (a fee per account
                # of 500 yuan for a brand of REFERENCE_PEOPLE; 5 yuan per follower, whose counts scale)
                seed_fees=canyu_seed_fees(people),
            )
            return plan.levers


def _interval(x: np.ndarray) -> tuple[float, float, float]:
    m = float(np.mean(x))
    if len(x) < 2:
        return m, m, m
    half = float(stats.t.ppf(0.95, len(x) - 1) * np.std(x, ddof=1) / np.sqrt(len(x)))
    return m, m - half, m + half


def canyu_seed_fees(people: int) -> tuple[float, float]:
    """The seed fee schedule canyu's plan is given (and the oracle pays, by default): yuan per account, at
    the simulated population's scale as the budgets are (500 yuan for a brand of REFERENCE_PEOPLE), and 5
    yuan per follower, whose counts scale with the population."""
    return (500.0 * people / REFERENCE_PEOPLE, 5.0)


def bench(
    scenarios: list[str],
    seeds: int,
    people: int,
    days: int,
    horizon: int,
    first_seed: int = 1,
    free_oracle_seeds: bool = False,
) -> dict[str, Any]:
    planner = _canyu_planner()
    print(
        "canyu arm: canyu.plan.actions.build_plan"
        if planner
        else "canyu arm: canyu.plan.actions is NOT on this branch - using the bench's LOCAL STAND-IN plan "
        "(_stand_in_plan), not canyu's planner"
    )
    results: dict[str, Any] = {}
    for name in scenarios:
        sc = get_scenario(name)
        arms: dict[str, list[dict[str, float]]] = {a: [] for a in ("status_quo", "canyu", "follow", "oracle")}
        t0 = time.time()
        for seed in range(first_seed, first_seed + seeds):
            rng = np.random.default_rng(seed)
            world = build_world(rng, sc, people)
            sim = run(rng, world, sc, days)
            ids = ChannelIds.draw(np.random.default_rng([seed, 1]), people)
            first = START + dt.timedelta(days=days)
            sq = status_quo(sim)
            total = sq.total_spend_per_day
            levers = {
                "status_quo": sq,
                "canyu": _canyu_plan(sim, seed, name, people, days, horizon, total),
                "follow": follow_the_leader(sim, total),
            }
            levers["oracle"], info = oracle(
                sim,
                total,
                ids,
                first,
                horizon,
                others=(levers["canyu"], levers["follow"]),
                seed_fees=None if free_oracle_seeds else canyu_seed_fees(people),
            )
            print(
                f"  seed {seed}: oracle cadence "
                + ", ".join(f"{ch} {v:g}" for ch, v in levers["oracle"].posts_per_day.items())
                + f" ({info['tried']} tried, from {info['start']}; levers: {info['chosen']}; "
                f"{info['seeding']}, fees {info['seed_fees']:,.2f} yuan); canyu cadence "
                + ", ".join(f"{ch} {v:g}" for ch, v in levers["canyu"].posts_per_day.items()),
                flush=True,
            )
            for arm, lv in levers.items():
                out = outcome(continue_run(sim, lv, days=horizon, start=START, ids=ids))
                arms[arm].append(out.to_dict())
        results[name] = arms
        _print(name, arms, time.time() - t0)
    return results


def _print(name: str, arms: dict[str, list[dict[str, float]]], seconds: float) -> None:
    n = len(arms["status_quo"])
    print(f"\n== {name} ({n} seeds, {seconds:.0f} s) ==")
    col = {m: {a: np.array([r[m] for r in rows], dtype=float) for a, rows in arms.items()} for m in SHOWN}
    for arm in arms:
        parts = []
        for m in SHOWN:
            mean, lo, hi = _interval(col[m][arm])
            parts.append(f"{m} {mean:,.0f} [{lo:,.0f}, {hi:,.0f}]")
        print(f"  {arm:<10} " + "; ".join(parts))
    for a, b in (
        ("canyu", "status_quo"),
        ("canyu", "follow"),
        ("oracle", "status_quo"),
        ("oracle", "canyu"),
        ("follow", "status_quo"),
    ):
        parts = []
        for m in SHOWN:
            du, dlo, dhi = _interval(col[m][a] - col[m][b])
            parts.append(f"{m} {du:+,.0f} [{dlo:+,.0f}, {dhi:+,.0f}]")
        print(f"  {a} - {b}: " + "; ".join(parts))
    shares = []
    for m in (*METRICS, *EXPECTED):
        oracle_up = float(np.mean(col[m]["oracle"] - col[m]["status_quo"]))
        canyu_up = float(np.mean(col[m]["canyu"] - col[m]["status_quo"]))
        shares.append(
            f"{m} {canyu_up / oracle_up:.0%}"
            if oracle_up > 0
            else f"{m} undefined (the oracle's uplift is {oracle_up:+,.1f}, not above status quo)"
        )
    print("  canyu's uplift as a share of the oracle's: " + "; ".join(shares))
    verdict = []
    for m in (*METRICS, *EXPECTED):
        beats = [_interval(col[m]["canyu"] - col[m][b])[1] > 0 for b in ("status_quo", "follow")]
        up = float(np.mean(col[m]["oracle"] - col[m]["status_quo"]))
        share = float(np.mean(col[m]["canyu"] - col[m]["status_quo"])) / up if up > 0 else float("nan")
        verdict.append(
            f"{m}: beats status quo {'yes' if beats[0] else 'NO'}, beats follow {'yes' if beats[1] else 'NO'}, "
            f">= 70% of the oracle {'yes' if share >= 0.7 else 'NO'}"
        )
    print("  goal: " + " | ".join(verdict))
    print(
        f"  (means over {n} seeds with 90% t intervals; differences paired by seed on common random numbers)"
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--scenarios",
        default="default,wrong-roles,viral-launch,overspent,slow-service,quiet-community,weak-agenda",
    )
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--people", type=int, default=1500)
    p.add_argument("--days", type=int, default=45)
    p.add_argument("--horizon", type=int, default=30)
    p.add_argument("--first-seed", type=int, default=1, help="seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--json", type=Path, default=None, help="write every arm's outcomes per seed here")
    p.add_argument(
        "--oracle-seeds",
        choices=("paid", "free"),
        default="paid",
        help="paid (default): the oracle pays its seeds out of the same budget at canyu's fee schedule; "
        "free: the top-5 true seeds at no cost (the bench before 2026-12-03)",
    )
    p.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        default=None,
        help="print the tables of earlier --json files together (their seeds pooled per scenario); runs nothing",
    )
    a = p.parse_args(argv)
    if a.combine:
        import json

        pooled: dict[str, dict[str, list[dict[str, float]]]] = {}
        for f in a.combine:
            for name, arms in json.loads(f.read_text()).items():
                for arm, rows in arms.items():
                    pooled.setdefault(name, {}).setdefault(arm, []).extend(rows)
        for name, arms in pooled.items():
            _print(name, arms, float("nan"))
        return
    names = [s for s in a.scenarios.split(",") if s]
    unknown = [s for s in names if s not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario {unknown[0]}; valid: {', '.join(SCENARIOS)}")
    t0 = time.time()
    results = bench(
        names, a.seeds, a.people, a.days, a.horizon, a.first_seed, free_oracle_seeds=a.oracle_seeds == "free"
    )
    print(f"\nwall {time.time() - t0:.0f} s")
    if a.json:
        import json

        a.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
