"""Media-mix benchmark: canyu's fit against PyMC-Marketing 0.19.2 on the same 150 weeks × 5 channels.

Both models get the same simulated frame (geometric adstock, 13 lags; logistic saturation; yearly
seasonality of order 2; the same two controls) and are scored against the simulator's true ROAS:
wall time, mean absolute relative ROAS error, and the share of channels whose 90% interval covers the
truth. PyMC-Marketing is an optional dependency of this script only: point ``--pymc-python`` at a
Python that has it (``python3 -m venv /work/venv-pymc && /work/venv-pymc/bin/pip install
pymc-marketing==0.19.2``); without it the comparison is skipped with a message.

``--sweep`` adds canyu fits over more seeds and scenarios (carry-over 0.1-0.7, Hill and logistic
truth, correlated spend) for the correctness figures.

``--held-out`` fits seeds 21-26 instead (never used to choose the model), ``--held-out-2`` seeds 31-36
(written in session 12, after 21-26 had been looked at), ``--held-out-3`` seeds 41-46 (written in
session 13 before any fit on them), ``--held-out-4`` seeds 51-56 (written in session 14 before any fit
on them), ``--held-out-5`` seeds 61-66 (written in session 15 before any fit on them), ``--held-out-6``
seeds 71-76 (written in session 15 before any fit on them, to judge a change to the budget's caution);
``--lift-tests`` calibrates
those fits with one simulated 12-week lift test per channel; ``--saturation hill`` fits them with the
Hill form. Each fit also reports the ROAS error of the posterior median beside the mean's.

    python bench/mmm.py [--pymc-python /work/venv-pymc/bin/python] [--sweep | --held-out | --held-out-2 | ... | --held-out-6]
                        [--lift-tests] [--saturation logistic|hill|average] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np

from canyu.analytics.mmm import PosteriorResponse, fit_mmm
from canyu.plan.budget import optimize_budget, plan_outcome
from canyu.simulate import simulate_media_mix

PYMC_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np, pandas as pd
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation
    csv, channels, controls, out, chains, tune, draws = sys.argv[1:8]
    channels, controls = channels.split(","), controls.split(",")
    df = pd.read_csv(csv, parse_dates=["week"])
    t0 = time.perf_counter()
    mmm = MMM(date_column="week", channel_columns=channels, control_columns=controls,
              adstock=GeometricAdstock(l_max=13), saturation=LogisticSaturation(), yearly_seasonality=2)
    mmm.fit(df[["week", *channels, *controls]], df["revenue"], chains=int(chains), tune=int(tune),
            draws=int(draws), cores=2, random_seed=1, progressbar=False)
    seconds = time.perf_counter() - t0
    post = mmm.fit_result if hasattr(mmm, "fit_result") else mmm.idata.posterior
    if "channel_contribution_original_scale" in post:
        c = post["channel_contribution_original_scale"]
    else:
        c = mmm.get_ts_contribution_posterior("channel_contribution", original_scale=True)
    date_dim = [d for d in c.dims if d not in ("chain", "draw", "channel")][0]
    total = c.sum(date_dim).stack(sample=("chain", "draw")).transpose("channel", "sample")
    roas = total.values / df[channels].sum().to_numpy()[:, None]
    summ = __import__("arviz").summary(mmm.idata, var_names=["adstock_alpha", "saturation_lam"])
    json.dump({"seconds": seconds, "roas_mean": roas.mean(axis=1).tolist(),
               "roas_lo": np.quantile(roas, 0.05, axis=1).tolist(),
               "roas_hi": np.quantile(roas, 0.95, axis=1).tolist(),
               "divergences": int(mmm.idata.sample_stats["diverging"].sum()),
               "max_rhat": float(summ["r_hat"].max())}, open(out, "w"))
    """
)


# Cases on seeds that were not looked at while choosing the model's form and priors (issue 13: do not
# tune to the bench's seeds); the same mix of scenarios, saturation truths and carry-overs.
HELD_OUT: list[tuple[int, str, str, list[float] | None]] = [
    (21, "correlated", "hill", [0.3, 0.6, 0.2, 0.5, 0.4]),
    (22, "default", "logistic", None),
    (23, "correlated", "logistic", [0.5, 0.2, 0.6, 0.3, 0.1]),
    (24, "overspent", "hill", None),
    (25, "default", "hill", [0.6, 0.1, 0.4, 0.2, 0.5]),
    (26, "correlated", "hill", [0.2, 0.4, 0.6, 0.1, 0.3]),
]

# A second held-out set, written in session 12 after seeds 21-26 had been looked at (the slope prior
# and target acceptance were tried on them): the same mix, seeds 31-36, new carry-overs.
HELD_OUT_2: list[tuple[int, str, str, list[float] | None]] = [
    (31, "correlated", "hill", [0.4, 0.2, 0.6, 0.3, 0.5]),
    (32, "default", "logistic", [0.1, 0.5, 0.3, 0.7, 0.2]),
    (33, "correlated", "logistic", None),
    (34, "overspent", "hill", [0.3, 0.6, 0.2, 0.5, 0.4]),
    (35, "default", "hill", None),
    (36, "correlated", "hill", [0.6, 0.3, 0.1, 0.4, 0.2]),
]

# A third held-out set, written in session 13 before any fit on it, with no change to the model since:
# the same mix, seeds 41-46, new carry-overs.
HELD_OUT_3: list[tuple[int, str, str, list[float] | None]] = [
    (41, "correlated", "hill", [0.5, 0.1, 0.3, 0.7, 0.2]),
    (42, "default", "logistic", None),
    (43, "correlated", "logistic", [0.2, 0.7, 0.4, 0.1, 0.6]),
    (44, "overspent", "hill", [0.6, 0.2, 0.5, 0.3, 0.1]),
    (45, "default", "hill", [0.3, 0.5, 0.1, 0.6, 0.4]),
    (46, "correlated", "hill", None),
]

# A fourth held-out set, written in session 14 before any fit on it, to judge the budget's caution
# (added that session after seeds 41-46 showed the failure): the same mix, seeds 51-56, new carry-overs.
HELD_OUT_4: list[tuple[int, str, str, list[float] | None]] = [
    (51, "correlated", "hill", [0.2, 0.5, 0.7, 0.4, 0.1]),
    (52, "default", "logistic", [0.6, 0.3, 0.1, 0.5, 0.2]),
    (53, "correlated", "logistic", [0.4, 0.1, 0.5, 0.2, 0.7]),
    (54, "overspent", "hill", None),
    (55, "default", "hill", [0.1, 0.4, 0.2, 0.6, 0.3]),
    (56, "correlated", "hill", [0.7, 0.2, 0.4, 0.1, 0.5]),
]

# A fifth held-out set, written in session 15 before any fit on it (a shared media prior was tried that
# session on the tuning seeds 1-6 and 11 only and not adopted; the model is unchanged since session 12).
HELD_OUT_5: list[tuple[int, str, str, list[float] | None]] = [
    (61, "correlated", "hill", [0.6, 0.4, 0.1, 0.3, 0.5]),
    (62, "default", "logistic", [0.3, 0.7, 0.5, 0.2, 0.1]),
    (63, "correlated", "logistic", [0.1, 0.3, 0.7, 0.5, 0.2]),
    (64, "overspent", "hill", [0.4, 0.6, 0.3, 0.1, 0.2]),
    (65, "default", "hill", [0.5, 0.2, 0.6, 0.4, 0.3]),
    (66, "correlated", "hill", [0.2, 0.1, 0.4, 0.7, 0.6]),
]

# A sixth held-out set, written in session 15 before any fit on it, to judge a change to the budget's
# caution (seeds 41-46 and 61-66 were looked at to choose it): the same mix, seeds 71-76.
HELD_OUT_6: list[tuple[int, str, str, list[float] | None]] = [
    (71, "correlated", "hill", [0.3, 0.6, 0.2, 0.5, 0.1]),
    (72, "default", "logistic", [0.6, 0.1, 0.3, 0.7, 0.4]),
    (73, "correlated", "logistic", [0.4, 0.2, 0.6, 0.1, 0.7]),
    (74, "overspent", "hill", [0.2, 0.5, 0.7, 0.3, 0.4]),
    (75, "default", "hill", [0.7, 0.3, 0.1, 0.6, 0.2]),
    (76, "correlated", "hill", [0.5, 0.7, 0.2, 0.4, 0.3]),
]


def score(mean: np.ndarray, lo: np.ndarray, hi: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {
        "roas_error": float(np.mean(np.abs(mean - truth) / truth)),
        "coverage_90": float(np.mean((lo <= truth) & (truth <= hi))),
    }


def simulated_lift_tests(data: Any, *, weeks: int = 12, rel_se: float = 0.10, seed: int = 0) -> Any:
    """One lift test per channel, as a geo experiment would report it: the channel's true contribution
    over ``weeks`` weeks (staggered through the training weeks, one channel after another), measured
    with a ``rel_se`` relative standard error and noise of that size drawn from it."""
    import pandas as pd

    from canyu.simulate._media_mix import adstock_weights, apply_adstock, saturate

    t = data.truth
    x = data.frame[list(t.channels)].to_numpy(float)
    contrib = t.beta * saturate(
        apply_adstock(x, adstock_weights(t.alpha, theta=t.theta)),
        kind=t.saturation,
        half=t.half,
        shape=t.shape,
    )
    rng = np.random.default_rng(10_000 + seed)
    weeks_idx = pd.to_datetime(data.frame["week"])
    rows = []
    for j, ch in enumerate(t.channels):
        first = 20 + j * weeks
        true = float(contrib[first : first + weeks, j].sum())
        se = rel_se * true
        rows.append(
            {
                "channel": ch,
                "starts": weeks_idx.iloc[first],
                "ends": weeks_idx.iloc[first + weeks - 1] + pd.Timedelta(days=6),
                "incremental_conversions": true + rng.normal(0.0, se),
                "se": se,
            }
        )
    return pd.DataFrame(rows)


def canyu_case(
    seed: int,
    scenario: str,
    saturation: str,
    alpha: list[float] | None,
    *,
    lift_tests: bool = False,
    saturation_model: str = "logistic",
    **fit: Any,
) -> dict[str, Any]:
    data = simulate_media_mix(weeks=150, seed=seed, scenario=scenario, saturation=saturation, alpha=alpha)  # type: ignore[arg-type]
    if lift_tests:
        fit["experiments"] = simulated_lift_tests(data, seed=seed)
    t0, c0 = time.perf_counter(), time.process_time()
    res = fit_mmm(
        data.frame,
        date="week",
        target="revenue",
        channels=data.truth.channels,
        controls=data.controls,
        saturation=saturation_model,
        **fit,
    )
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    m = res.metric("roas")
    out = {
        "load_average_1min": os.getloadavg()[0],
        "case": f"seed={seed} {scenario} {saturation} alpha={alpha} model={saturation_model}"
        + (" +lift tests" if lift_tests else ""),
        "relative_error_per_channel": [],
        "seconds": seconds,
        "cpu_seconds": cpu,
        "sampling_seconds": res.diagnostics.seconds,
        "diagnostics_ok": res.diagnostics.ok,
        "reasons": list(res.diagnostics.reasons),
        "holdout_mape": res.holdout.mape if res.holdout else None,
        "holdout_coverage": res.holdout.coverage if res.holdout else None,
        "true_roas": data.truth.roas.tolist(),
        "roas_mean": m["mean"].tolist(),
        "roas_lo": m["lo"].tolist(),
        "roas_hi": m["hi"].tolist(),
        **score(m["mean"].to_numpy(), m["lo"].to_numpy(), m["hi"].to_numpy(), data.truth.roas),
    }
    # The posterior median is the point estimate that minimises expected absolute error; scored beside
    # the mean (the figure the goals are stated on), not instead of it.
    out["roas_median"] = m["median"].tolist()
    out["roas_error_median"] = float(
        np.mean(np.abs(m["median"].to_numpy() - data.truth.roas) / data.truth.roas)
    )
    out["relative_error_per_channel"] = (
        ((m["mean"].to_numpy() - data.truth.roas) / data.truth.roas).round(3).tolist()
    )
    mr = res.metric("marginal_roas")
    out["marginal_roas_error"] = float(
        np.mean(np.abs(mr["mean"].to_numpy() - data.truth.marginal_roas) / data.truth.marginal_roas)
    )
    out |= budget_check(data.truth, res.response)
    return out


def budget_check(truth: Any, posterior: PosteriorResponse) -> dict[str, Any]:
    """Plan 4 weeks of the current total on the posterior; score the plan on the true curves."""
    true_curves = PosteriorResponse.from_truth(truth)
    total = float(truth.mean_spend.sum() * 4)
    plan = optimize_budget(posterior, total=total, weeks=4)
    best = optimize_budget(true_curves, total=total, weeks=4)
    alloc = np.array([plan.allocation[c] for c in truth.channels])
    bold = np.array([plan.unguarded[c] for c in truth.channels])  # the expected optimum, no caution
    achieved = float(plan_outcome(true_curves, alloc, weeks=4)[0])
    current = float(plan_outcome(true_curves, total * truth.mean_spend / truth.mean_spend.sum(), weeks=4)[0])
    out: dict[str, Any] = {
        "budget_share_of_best": achieved / best.expected["optimal"]["mean"],
        "budget_current_share_of_best": current / best.expected["optimal"]["mean"],
        "budget_unguarded_share_of_best": float(plan_outcome(true_curves, bold, weeks=4)[0])
        / best.expected["optimal"]["mean"],
        "budget_move": plan.move,
    }
    if truth.params.get("scenario") == "overspent":
        out["overspent_change"] = float(plan.table.loc["douyin", "change"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pymc-python", default=os.environ.get("PYMC_PYTHON", "/work/venv-pymc/bin/python"))
    ap.add_argument("--pymc-tune", type=int, default=1000)
    ap.add_argument("--pymc-draws", type=int, default=1000)
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--sweep-cases", type=int, default=6, help="how many sweep cases to fit (1-6)")
    ap.add_argument("--no-pymc", action="store_true", help="skip PyMC-Marketing (it takes ~7 min)")
    ap.add_argument(
        "--held-out",
        action="store_true",
        help="fit the held-out cases (seeds 21-26, never used to choose the model) instead of the sweep",
    )
    ap.add_argument(
        "--held-out-2",
        action="store_true",
        help="fit the second held-out set (seeds 31-36, written after 21-26 had been looked at)",
    )
    ap.add_argument(
        "--held-out-3",
        action="store_true",
        help="fit the third held-out set (seeds 41-46, written in session 13, the model unchanged since)",
    )
    ap.add_argument(
        "--held-out-4",
        action="store_true",
        help="fit the fourth held-out set (seeds 51-56, written in session 14 to judge the budget's caution)",
    )
    ap.add_argument(
        "--held-out-5",
        action="store_true",
        help="fit the fifth held-out set (seeds 61-66, written in session 15 before any fit on them)",
    )
    ap.add_argument(
        "--held-out-6",
        action="store_true",
        help="fit the sixth held-out set (seeds 71-76, written in session 15 to judge a change to the budget's caution)",
    )
    ap.add_argument(
        "--lift-tests",
        action="store_true",
        help="sweep / held-out fits calibrated by one simulated 12-week lift test per channel (10%% se)",
    )
    ap.add_argument(
        "--saturation",
        choices=("logistic", "hill", "average"),
        default="logistic",
        help="the model's saturation form for the sweep / held-out fits (the main case stays logistic)",
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}

    seed, scenario = 11, "correlated"
    data = simulate_media_mix(weeks=150, seed=seed, scenario=scenario, saturation="logistic")
    print(f"data: 150 weeks x {len(data.truth.channels)} channels, scenario={scenario}, seed={seed}")
    print("true ROAS:", np.round(data.truth.roas, 3).tolist())
    py = Path(args.pymc_python)
    ok = (
        not args.no_pymc
        and py.exists()
        and subprocess.run([str(py), "-c", "import pymc_marketing"], capture_output=True).returncode == 0
    )
    tmp = tempfile.TemporaryDirectory()
    proc = None
    if ok:
        # Started first and run alongside canyu's fit, to fit the session's time; CPU seconds, not wall
        # time, are the fair measure when two fits share the cores (and the machine is shared anyway).
        csv = Path(tmp.name) / "mmm.csv"
        data.frame.to_csv(csv, index=False)
        out = Path(tmp.name) / "out.json"
        t_py = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        args_py = [str(csv), ",".join(data.truth.channels), ",".join(data.controls), str(out), "4"]
        proc = subprocess.Popen(
            [str(py), "-c", PYMC_SCRIPT, *args_py, str(args.pymc_tune), str(args.pymc_draws)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    main_case = canyu_case(seed, scenario, "logistic", None)
    report["canyu"] = main_case
    print(
        f"canyu   {main_case['seconds']:7.1f} s wall, {main_case['cpu_seconds']:6.1f} s CPU  ROAS error "
        f"{main_case['roas_error']:.3f}  coverage {main_case['coverage_90']:.2f}  diagnostics ok="
        f"{main_case['diagnostics_ok']} {main_case['reasons']}  holdout MAPE {main_case['holdout_mape']:.3f}",
        flush=True,
    )
    if proc is None:
        why = "--no-pymc given" if args.no_pymc else f"PyMC-Marketing not found at {py}"
        print(f"{why}: comparison skipped")
        report["pymc_marketing"] = None
    else:
        _, err = proc.communicate()
        wall = time.perf_counter() - t_py
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if proc.returncode != 0:
            print("PyMC-Marketing failed:", err[-2000:])
            report["pymc_marketing"] = {"error": err[-2000:]}
        else:
            r = json.loads(out.read_text())
            r["wall_seconds"] = wall
            r["cpu_seconds"] = child_cpu
            r |= score(
                np.array(r["roas_mean"]), np.array(r["roas_lo"]), np.array(r["roas_hi"]), data.truth.roas
            )
            report["pymc_marketing"] = r
            print(
                f"pymc-m  {r['seconds']:7.1f} s wall (fit), {child_cpu:6.1f} s CPU  ROAS error {r['roas_error']:.3f}"
                f"  coverage {r['coverage_90']:.2f}  (divergences {r['divergences']}, max R-hat {r['max_rhat']:.3f},"
                f" tune {args.pymc_tune}, draws {args.pymc_draws}, 4 chains)"
            )
            print(f"CPU-time ratio PyMC-Marketing / canyu: {child_cpu / main_case['cpu_seconds']:.1f}x")
    tmp.cleanup()

    sets = [HELD_OUT, HELD_OUT_2, HELD_OUT_3, HELD_OUT_4, HELD_OUT_5, HELD_OUT_6]
    flags = ["held_out", *(f"held_out_{k}" for k in range(2, len(sets) + 1))]
    # The highest-numbered set asked for wins, as before.
    held_out = next(
        (cs for flag, cs in reversed(list(zip(flags, sets, strict=True))) if getattr(args, flag)), None
    )
    if args.sweep or held_out:
        cases = (
            held_out
            or [
                (1, "default", "hill", [0.1, 0.3, 0.5, 0.7, 0.4]),
                (2, "correlated", "logistic", [0.7, 0.5, 0.3, 0.1, 0.6]),
                (3, "overspent", "logistic", [0.7, 0.5, 0.3, 0.1, 0.6]),
                (4, "correlated", "hill", None),
                (5, "default", "logistic", [0.2, 0.6, 0.4, 0.1, 0.7]),
                (6, "overspent", "hill", [0.1, 0.3, 0.5, 0.7, 0.4]),
            ][: args.sweep_cases]
        )
        report["sweep"] = []
        for case in cases:
            r = canyu_case(*case, lift_tests=args.lift_tests, saturation_model=args.saturation)
            report["sweep"].append(r)
            print(
                f"sweep {r['case']}: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU  ROAS error "
                f"{r['roas_error']:.3f} (median {r['roas_error_median']:.3f})  coverage {r['coverage_90']:.2f}  "
                f"ok={r['diagnostics_ok']}  load "
                f"{r['load_average_1min']:.1f}  budget "
                f"{r['budget_share_of_best']:.3f} of true best (moved {r['budget_move']:.0%} of the way; expected "
                f"optimum {r['budget_unguarded_share_of_best']:.3f}, current split {r['budget_current_share_of_best']:.3f})"
                + (
                    f"  overspent douyin change {r['overspent_change']:+,.0f}"
                    if "overspent_change" in r
                    else ""
                ),
                flush=True,
            )
        rows = [*report["sweep"]] + ([] if held_out else [main_case])
        errs = [r["roas_error"] for r in rows]
        covs = [r["coverage_90"] for r in rows]
        shares = [r["budget_share_of_best"] for r in rows]
        moved = [r["overspent_change"] < 0 for r in rows if "overspent_change" in r]
        summary = {
            "fits": len(rows),
            "mean_roas_error": float(np.mean(errs)),
            "mean_roas_error_of_medians": float(np.mean([r["roas_error_median"] for r in rows])),
            "mean_coverage_90": float(np.mean(covs)),
            "min_budget_share_of_best": float(np.min(shares)),
            "overspent_moved_out": f"{sum(moved)} of {len(moved)}",
            "diagnostics_ok": f"{sum(r['diagnostics_ok'] for r in rows)} of {len(rows)}",
            "mean_cpu_seconds": float(np.mean([r["cpu_seconds"] for r in rows])),
        }
        report["summary"] = summary
        print(
            f"summary over {len(rows)} fits: mean ROAS error {summary['mean_roas_error']:.3f} (goal <= 0.15; of the "
            f"posterior medians {summary['mean_roas_error_of_medians']:.3f}), "
            f"90% coverage {summary['mean_coverage_90']:.2f} of channels (goal >= 0.80), budget reaches >= "
            f"{summary['min_budget_share_of_best']:.3f} of the true best (goal >= 0.95), overspent channel cut in "
            f"{summary['overspent_moved_out']} overspent cases, diagnostics ok in {summary['diagnostics_ok']}, "
            f"mean {summary['mean_cpu_seconds']:.0f} CPU s per fit"
        )
    report["load_after"] = os.getloadavg()
    print("load average before / after:", report["load_before"], report["load_after"], "(shared machine)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    sys.exit(main())
