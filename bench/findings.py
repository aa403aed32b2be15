"""Diagnosis rules against the simulator's planted problems: false alarms and catches per scenario, size and seed.

For each scenario, population size and seed: simulate 90 days, import through the
real importer, run every registered rule, and print the findings by severity and
whether the scenario's planted problem was caught (a finding of its rule of
severity low or more). The goal (issue 14): the default scenario raises no
high-severity finding; every planted problem is caught. Every
``overspent_channel`` finding is also checked against the simulator's truth
(:func:`untrue_overspent`); one the truth contradicts counts as a false alarm in
a null scenario (``default``, ``correlated-spend``) and is shown as ``untrue``. Seconds: building the world (simulate and import, 0 when reused), the
findings' wall and CPU time.

    PYTHONPATH=src python bench/findings.py --sizes 1000,5000 --seeds 5 [--work /tmp/findings]

Workspaces are kept under ``--work`` and reused when run again.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import canyu
from canyu.plan import SEVERITIES, Finding
from canyu.plan._diagnosis import SPEND_RATIO
from canyu.plan._saturation import BOUND as SAT_BOUND
from canyu.simulate import import_simulation, simulate

# scenario -> key prefixes of the findings that catch its planted problem (None: a null scenario)
PLANTED: dict[str, tuple[str, ...] | None] = {
    "default": None,
    "correlated-spend": None,
    "wrong-roles": ("channel_role_mismatch:",),
    "viral-launch": ("word_of_mouth_event:",),
    "weak-agenda": ("agenda_join_audience",),
    "overspent": ("overspent_channel:douyin",),
    "slow-service": ("slow_service:wechat_oa",),
    "quiet-community": ("community_quiet:",),
}


def untrue_overspent(findings: list[Finding], truth: dict[str, Any]) -> list[str]:
    """The overspent_channel findings the simulator's truth contradicts (truth.json["spend"]).

    A finding's marginal-return part is true when the channel's true marginal over average ROAS is
    below the rule's bound; its average-return part when the channel's true ROAS is below
    ``SPEND_RATIO`` times the spend-weighted true ROAS of its planned-role peers (broadcast: the
    other paid channels). Checked in every scenario: correlated-spend (one calendar drives all
    spend) is the confounded case.
    """
    chans = truth["spend"]["channels"]
    paid = {c: v for c, v in chans.items() if v["spend"] > 0 and v["roas"] is not None}
    bad = []
    for f in findings:
        if not f.key.startswith("overspent_channel:") or f.severity == "info":
            continue
        ch = f.key.split(":", 1)[1]
        t = paid.get(ch)
        if t is None:
            bad.append(f.key)
            continue
        ok = True
        if "elasticity" in f.evidence:
            ok &= t["marginal_roas"] / t["roas"] < SAT_BOUND
        if "p_value" in f.evidence:
            peers = [v for c, v in paid.items() if c != ch]
            peer_roas = sum(v["revenue"] for v in peers) / max(sum(v["spend"] for v in peers), 1e-9)
            ok &= t["roas"] < SPEND_RATIO * peer_roas
        if not ok:
            bad.append(f.key)
    return bad


def run_one(
    work: Path, scenario: str, people: int, seed: int, days: int
) -> tuple[Counter[str], str, float, float, float]:
    """Findings counts by severity, the verdict, and seconds: build (wall), findings (wall and CPU)."""
    d = work / f"{scenario}-{people}-{seed}-{days}"
    t0 = time.perf_counter()
    if not (d / "ws" / "canyu.toml").exists():
        sim = simulate(d / "sim", people=people, days=days, seed=seed, scenario=scenario)
        with canyu.create(d / "ws", locale="en") as ws:
            import_simulation(ws, sim.path)
    build = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    with canyu.open(d / "ws") as ws:
        findings = ws.session().findings()
    wall, cpu = time.perf_counter() - t1, time.process_time() - c1
    counts = Counter(f.severity for f in findings)
    wrong = untrue_overspent(findings, json.loads((d / "sim" / "truth.json").read_text(encoding="utf-8")))
    planted = PLANTED[scenario]
    if planted is None:
        high = counts["high"] + counts["critical"]
        verdict = "ok" if high == 0 and not wrong else "FALSE ALARM"
    else:
        hit = any(f.key.startswith(planted) and f.severity not in ("info",) for f in findings)
        verdict = "caught" if hit else "MISSED"
    extra = ",".join(sorted({f.key.split(":")[0] for f in findings if f.severity in ("critical", "high")}))
    if planted is None:  # what a null scenario does raise, below high
        medium = sorted({f.key for f in findings if f.severity == "medium"})
        extra += (" " if extra else "") + (f"medium: {','.join(medium)}" if medium else "")
    if wrong:
        extra += f" untrue: {','.join(wrong)}"
    return counts, verdict + (f" [{extra}]" if extra else ""), build, wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,50000")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=1, help="run seeds first-seed .. seeds")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--scenarios", default=",".join(PLANTED))
    ap.add_argument("--work", type=Path, default=Path("/tmp/canyu-bench-findings"))
    args = ap.parse_args()
    sev = [s for s in SEVERITIES if s != "critical"]
    print(
        f"{'scenario':<16} {'people':>7} {'seed':>4} "
        + " ".join(f"{s:>6}" for s in sev)
        + "  verdict  (seconds: build, findings wall / CPU)"
    )
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    tally: Counter[tuple[str, int, str]] = Counter()
    for scenario in args.scenarios.split(","):
        for people in (int(x) for x in args.sizes.split(",")):
            for seed in range(args.first_seed, args.seeds + 1):
                counts, verdict, build, wall, cpu = run_one(args.work, scenario, people, seed, args.days)
                tally[(scenario, people, verdict.split(" ")[0])] += 1
                cells = " ".join(f"{counts[s]:>6}" for s in sev)
                print(
                    f"{scenario:<16} {people:>7} {seed:>4} {cells}  {verdict}  ({build:.0f}, {wall:.0f} / {cpu:.0f})",
                    flush=True,
                )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    for (scenario, people, verdict), n in sorted(tally.items()):
        print(f"{scenario:<16} {people:>7}  {verdict}: {n} of {args.seeds - args.first_seed + 1} seeds")


if __name__ == "__main__":
    main()
