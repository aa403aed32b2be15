"""Fit a media-mix model to a wide weekly frame (or a file holding one).

The path is a tuple of steps: validate the frame → weekly rows → scaled design arrays → NUTS on the
training weeks (the last ``holdout_weeks`` masked out) → holdout check → optional refit on all weeks →
posterior summaries (:class:`~canyu.analytics.mmm.MediaMixResult`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from canyu.analytics.mmm._model import M_SCALE, ModelData, run_nuts
from canyu.analytics.mmm._result import INTERVAL, Diagnostics, HoldoutCheck, MediaMixResult, PosteriorResponse
from canyu.analytics.mmm._transforms import (
    ADSTOCK_FORMS,
    CURVE_FORMS,
    HOLIDAYS,
    SATURATION_FORMS,
    adstock_np,
    fourier_terms,
    holiday_indicators,
    lag_stack,
    saturation_np,
    weights_np,
)
from canyu.errors import CanyuError, UnknownNameError

__all__ = ["MediaMixError", "fit_mmm", "min_weeks", "mmm_from_file", "read_mmm_file"]

EXPERIMENT_COLUMNS = ("channel", "starts", "ends", "incremental_conversions", "se")


class MediaMixError(CanyuError):
    """The data cannot support a media-mix fit: a missing or bad column, too few weeks, NaN.

    ``file`` and ``column`` name where the problem is, when known.
    """

    def __init__(
        self, message: str, *, message_zh: str, file: str | None = None, column: str | None = None
    ) -> None:
        where = f"{file}: " if file else ""
        super().__init__(where + message, message_zh=where.replace(": ", "：") + message_zh)
        self.file = file
        self.column = column


def min_weeks(n_channels: int, holdout_weeks: int, *, yearly: bool = True) -> int:
    """Fewest weeks a fit accepts: 12 for the baseline plus 8 per channel (about two observations per
    parameter), plus the holdout, and never under a year when yearly seasonality is estimated (half a
    year without it)."""
    return max(52 if yearly else 26, 12 + 8 * n_channels) + holdout_weeks


def read_mmm_file(path: str | Path) -> pd.DataFrame:
    """Read a prepared wide sheet (CSV, UTF-8 or GB18030, or XLSX)."""
    p = Path(path)
    if not p.exists():
        raise MediaMixError("file not found", message_zh="文件不存在", file=str(p))
    suffix = p.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(p)
        try:
            return pd.read_csv(p)
        except UnicodeDecodeError:
            return pd.read_csv(p, encoding="gb18030")
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise MediaMixError(
            f"cannot read the file ({exc})", message_zh=f"无法读取文件（{exc}）", file=str(p)
        ) from exc


def _numeric(frame: pd.DataFrame, col: str, file: str | None) -> np.ndarray:
    values = pd.to_numeric(frame[col], errors="coerce")
    bad = values.isna() & frame[col].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise MediaMixError(
            f"column {col!r} row {row + 1}: {frame[col].iloc[row]!r} is not a number",
            message_zh=f"列 {col!r} 第 {row + 1} 行：{frame[col].iloc[row]!r} 不是数字",
            file=file,
            column=col,
        )
    if values.isna().any():
        n = int(values.isna().sum())
        row = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise MediaMixError(
            f"column {col!r} has {n} empty (NaN) value(s), first at row {row + 1}; fill or drop them",
            message_zh=f"列 {col!r} 有 {n} 个空值（NaN），第一个在第 {row + 1} 行；请补齐或删除",
            file=file,
            column=col,
        )
    return values.to_numpy(dtype=float)


def _weekly(
    frame: pd.DataFrame,
    *,
    date: str,
    target: str,
    channels: Sequence[str],
    controls: Sequence[str],
    file: str | None,
) -> tuple[pd.DataFrame, list[str]]:
    """Check the columns, sort by date and sum daily rows to Monday-start weeks."""
    needed = [date, target, *channels, *controls]
    for col in needed:
        if col not in frame.columns:
            import difflib

            close = difflib.get_close_matches(col, [str(c) for c in frame.columns], n=1)
            hint = f"; closest: {close[0]!r}" if close else ""
            raise MediaMixError(
                f"column {col!r} not found{hint}. Columns: {', '.join(map(str, frame.columns))}",
                message_zh=f"找不到列 {col!r}{hint}。现有列：{', '.join(map(str, frame.columns))}",
                file=file,
                column=col,
            )
    if len(set(needed)) < len(needed):
        raise MediaMixError(
            "a column is named twice among date, target, channels and controls",
            message_zh="日期、目标、渠道和控制变量中有重复的列",
            file=file,
        )
    dates = pd.to_datetime(frame[date], errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise MediaMixError(
            f"column {date!r} row {row + 1}: {frame[date].iloc[row]!r} is not a date",
            message_zh=f"列 {date!r} 第 {row + 1} 行：{frame[date].iloc[row]!r} 不是日期",
            file=file,
            column=date,
        )
    out = pd.DataFrame({"date": dates.dt.normalize()})
    for col in [target, *channels, *controls]:
        out[col] = _numeric(frame, col, file)
    for col in channels:
        if (out[col] < 0).any():
            raise MediaMixError(
                f"spend column {col!r} has negative values",
                message_zh=f"花费列 {col!r} 有负值",
                file=file,
                column=col,
            )
    out = out.sort_values("date")
    if out["date"].duplicated().any():
        d = out.loc[out["date"].duplicated(), "date"].iloc[0]
        raise MediaMixError(
            f"date {d.date()} appears twice in {date!r}",
            message_zh=f"日期 {d.date()} 在 {date!r} 中重复",
            file=file,
            column=date,
        )
    notes = []
    step = out["date"].diff().dt.days.median() if len(out) > 1 else 7
    if step is not None and step < 7:
        week = out["date"] - pd.to_timedelta(out["date"].dt.weekday, unit="D")
        agg = {c: "sum" for c in [target, *channels]} | {c: "mean" for c in controls}
        out = out.assign(date=week).groupby("date", as_index=False).agg(agg)
        notes.append("daily rows were summed to Monday-start weeks (controls averaged)")
    return out.reset_index(drop=True), notes


def _lift_arrays(
    experiments: pd.DataFrame | None, dates: pd.DatetimeIndex, channels: Sequence[str], y_scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, c = len(dates), len(channels)
    if experiments is None or len(experiments) == 0:
        return np.zeros((0, t, c)), np.zeros(0), np.zeros(0)
    missing = [k for k in EXPERIMENT_COLUMNS if k not in experiments.columns]
    if missing:
        raise MediaMixError(
            f"experiments table lacks column(s) {', '.join(missing)}; needs {', '.join(EXPERIMENT_COLUMNS)}",
            message_zh=f"实验表缺少列 {', '.join(missing)}；需要 {', '.join(EXPERIMENT_COLUMNS)}",
            column=missing[0],
        )
    masks, obs, se = [], [], []
    for row in experiments.itertuples(index=False):
        ch = str(row.channel)
        if ch not in channels:
            raise UnknownNameError("experiment channel", ch, channels)
        s, e = pd.Timestamp(row.starts), pd.Timestamp(row.ends)
        inside = (dates + pd.Timedelta(days=6) >= s) & (dates <= e)
        if not inside.any():
            raise MediaMixError(
                f"lift test on {ch} ({s.date()}-{e.date()}) falls outside the data's weeks",
                message_zh=f"{ch} 的增量实验（{s.date()} 至 {e.date()}）不在数据的周范围内",
                column="starts",
            )
        if not float(row.se) > 0:
            raise MediaMixError(
                "lift test se must be > 0", message_zh="增量实验的标准误必须大于 0", column="se"
            )
        m = np.zeros((t, c))
        m[np.asarray(inside), list(channels).index(ch)] = 1.0
        masks.append(m)
        obs.append(float(row.incremental_conversions) / y_scale)
        se.append(float(row.se) / y_scale)
    return np.stack(masks), np.asarray(obs), np.asarray(se)


def _diagnostics(samples: dict[str, np.ndarray], diverging: np.ndarray, seconds: float) -> Diagnostics:
    from numpyro.diagnostics import effective_sample_size, split_gelman_rubin

    rows = []
    for name, v in samples.items():
        flat = v.reshape(v.shape[0], v.shape[1], -1)
        for j in range(flat.shape[2]):
            x = flat[:, :, j]
            rhat = float(split_gelman_rubin(x)) if x.shape[0] > 1 else float("nan")
            rows.append(
                (name if flat.shape[2] == 1 else f"{name}[{j}]", rhat, float(effective_sample_size(x)))
            )
    table = pd.DataFrame(rows, columns=["parameter", "rhat", "ess"])
    max_rhat = float(table["rhat"].max()) if table["rhat"].notna().any() else float("nan")
    min_ess = float(table["ess"].min())
    div = int(diverging.sum())
    reasons = []
    if not np.isnan(max_rhat) and max_rhat > 1.05:
        worst = table.loc[table["rhat"].idxmax(), "parameter"]
        reasons.append(f"R-hat {max_rhat:.3f} > 1.05 ({worst}): chains disagree")
    if np.isnan(max_rhat):
        reasons.append("one chain: R-hat cannot be computed")
    if min_ess < 100:
        worst = table.loc[table["ess"].idxmin(), "parameter"]
        reasons.append(f"effective sample size {min_ess:.0f} < 100 ({worst})")
    if div:
        reasons.append(f"{div} divergent transition(s): the posterior was not fully explored")
    return Diagnostics(
        ok=not reasons,
        reasons=tuple(reasons),
        max_rhat=max_rhat,
        min_ess=min_ess,
        divergences=div,
        chains=int(diverging.shape[0]),
        draws=int(diverging.shape[1]),
        seconds=seconds,
        parameters=table,
    )


def _flat(samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.reshape(v.shape[0] * v.shape[1], *v.shape[2:]) for k, v in samples.items()}


def _pool(samples: Mapping[str, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Flat draws of one fit per curve form, pooled with equal weight (each form runs as many chains
    and draws). ``hill`` marks the Hill draws; logistic draws get ``shape`` 1. Parameters only one form
    has (the Hill coordinates ``u``, ``shape_excess``) are dropped: ``half`` and ``shape`` carry them."""
    flats = {form: _flat(s) for form, s in samples.items()}
    if len(flats) == 1:
        return next(iter(flats.values()))
    for form, d in flats.items():
        d.setdefault("shape", np.ones_like(d["half"]))
        d["hill"] = np.full(d["half"].shape[0], form == "hill")
    common = set.intersection(*(set(d) for d in flats.values()))
    return {k: np.concatenate([d[k] for d in flats.values()]) for k in sorted(common)}


def _merge_diagnostics(per_form: Mapping[str, Diagnostics]) -> Diagnostics:
    """One verdict over the fits of each curve form: it passes only when every fit passes."""
    if len(per_form) == 1:
        return next(iter(per_form.values()))
    diags = list(per_form.values())
    tables = [
        dg.parameters.assign(parameter=f"{form}:" + dg.parameters["parameter"])
        for form, dg in per_form.items()
    ]
    return Diagnostics(
        ok=all(dg.ok for dg in diags),
        reasons=tuple(f"{form} form: {r}" for form, dg in per_form.items() for r in dg.reasons),
        max_rhat=float(np.nanmax([dg.max_rhat for dg in diags])),
        min_ess=float(min(dg.min_ess for dg in diags)),
        divergences=sum(dg.divergences for dg in diags),
        chains=sum(dg.chains for dg in diags),
        draws=diags[0].draws,
        seconds=diags[0].seconds,
        parameters=pd.concat(tables, ignore_index=True),
    )


def _predict(d: dict[str, np.ndarray], md: ModelData, stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean target per draw and week (scaled), and each channel's contribution (scaled)."""
    n = d["m"].shape[0]
    shape = d.get("shape", np.ones_like(d["half"]))
    hill = d.get("hill")
    theta = d.get("theta")
    ad = adstock_np(stack, weights_np(d["alpha"], theta))
    beta = d["m"] / saturation_np(
        np.ones(1), md.saturation, d["half"], shape, None if hill is None else hill[:, None]
    )
    contrib = beta[:, None, :] * saturation_np(
        ad,
        md.saturation,
        d["half"][:, None, :],
        shape[:, None, :],
        None if hill is None else hill[:, None, None],
    )
    mu = d["intercept"][:, None] + d["trend"][:, None] * md.trend[None, :]
    for name, design in (("seasonality", md.fourier), ("holiday", md.holidays), ("control", md.controls)):
        if design.shape[1]:
            mu = mu + d[name] @ design.T
    mu = mu + contrib.sum(axis=2)
    assert mu.shape[0] == n
    return mu, contrib


def _summary_rows(name: str, ch: str, x: np.ndarray) -> tuple[str, str, float, float, float, float]:
    lo, hi = np.quantile(x, INTERVAL)
    return (ch, name, float(x.mean()), float(np.median(x)), float(lo), float(hi))


def fit_mmm(
    frame: pd.DataFrame,
    *,
    date: str,
    target: str,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    holidays: Sequence[str] = tuple(HOLIDAYS),
    holiday_weeks: pd.DataFrame | None = None,
    saturation: str = "logistic",
    adstock: str = "geometric",
    experiments: pd.DataFrame | None = None,
    roas_priors: Mapping[str, tuple[float, float]] | None = None,
    holdout_weeks: int = 8,
    refit: bool = False,
    seasonality_order: int = 2,
    chains: int = 4,
    warmup: int = 300,
    draws: int = 300,
    seed: int = 0,
    file: str | None = None,
) -> MediaMixResult:
    """Fit a Bayesian media-mix model (Jin et al. 2017) to a wide weekly frame.

    Parameters
    ----------
    frame
        One row per week (daily rows are summed to weeks): a date column, the target (orders, revenue,
        leads...), one spend column per channel, optional control columns.
    saturation, adstock
        ``logistic`` (default), ``hill``, or ``average`` (a fit of each curve form, draws pooled with
        equal weight); ``geometric`` (default) or ``delayed``.
    holidays
        Festival weeks given their own effect: any of ``618``, ``double11``, ``nianhuo`` (fixed dates).
    holiday_weeks
        Instead of ``holidays``: festival indicators per week, indexed by the week's date, one column
        per festival, values in [0, 1] (the workspace fit passes the plan's retail calendar,
        :func:`~canyu.analytics.mmm._transforms.calendar_holidays`). Weeks missing from it are 0.
    experiments
        Lift tests, columns ``channel, starts, ends, incremental_conversions, se``: each adds a
        likelihood term for the channel's modelled contribution over the test's weeks.
    roas_priors
        ``{channel: (roas, sd)}``, e.g. from attribution (with a wide ``sd``: attribution is biased),
        in target units per yuan; each adds a likelihood term for the channel's modelled ROAS.
    holdout_weeks
        The last weeks are held out of the fit and predicted; the check comes with every result.
    refit
        After the holdout check, fit again on all weeks and summarise that fit (twice the time). By
        default the summaries are those of the model the holdout check scored.
    chains, warmup, draws
        NUTS settings; chains run vectorised in one process. With ``saturation="average"`` each form
        runs half the chains (at least 2).

    Returns
    -------
    MediaMixResult
        Per-channel ROAS, marginal ROAS, contribution, carry-over and saturation with 90% intervals;
        ``diagnostics.ok`` is False (with reasons) when the sampler did not converge: do not show such
        results as facts.
    """
    if saturation not in SATURATION_FORMS:
        raise UnknownNameError("saturation form", saturation, SATURATION_FORMS)
    if adstock not in ADSTOCK_FORMS:
        raise UnknownNameError("adstock form", adstock, ADSTOCK_FORMS)
    channels = list(channels)
    if not channels:
        raise MediaMixError("name at least one spend channel", message_zh="请至少指定一个花费渠道", file=file)
    weekly, notes = _weekly(frame, date=date, target=target, channels=channels, controls=controls, file=file)
    need = min_weeks(len(channels), holdout_weeks, yearly=seasonality_order > 0)
    if len(weekly) < need:
        raise MediaMixError(
            f"too little data: {len(weekly)} weeks, need ≥ {need} for {len(channels)} channel(s) "
            f"with {holdout_weeks} holdout weeks",
            message_zh=f"数据太少：{len(weekly)} 周，{len(channels)} 个渠道加 {holdout_weeks} 周留出检验至少需要 {need} 周",
            file=file,
        )
    t_len = len(weekly)
    dates = pd.DatetimeIndex(weekly["date"])
    x = weekly[channels].to_numpy(dtype=float)
    for j, ch in enumerate(channels):
        if x[:, j].sum() <= 0:
            raise MediaMixError(
                f"channel {ch!r} has no spend at all",
                message_zh=f"渠道 {ch!r} 没有任何花费",
                file=file,
                column=ch,
            )
    y = weekly[target].to_numpy(dtype=float)
    train = np.arange(t_len) < t_len - holdout_weeks
    y_scale = float(np.mean(y[train]))
    if not y_scale > 0:
        raise MediaMixError(
            f"target {target!r} has no positive mean",
            message_zh=f"目标 {target!r} 的均值不为正",
            file=file,
            column=target,
        )
    x_scale = x.mean(axis=0)
    stack = lag_stack(x / x_scale)
    z = weekly[list(controls)].to_numpy(dtype=float) if controls else np.zeros((t_len, 0))
    sd = np.ones(0)
    if controls:
        sd = z[train].std(axis=0)
        flat = [c for c, s in zip(controls, sd, strict=True) if s == 0]
        if flat:
            raise MediaMixError(
                f"control {flat[0]!r} is constant over the training weeks",
                message_zh=f"控制变量 {flat[0]!r} 在训练周内恒定",
                file=file,
                column=flat[0],
            )
        z = (z - z[train].mean(axis=0)) / sd
    if holiday_weeks is not None:
        hw = holiday_weeks.copy()
        hw.index = pd.DatetimeIndex(pd.to_datetime(hw.index)).normalize()
        hw = hw.reindex(dates, fill_value=0.0).fillna(0.0)
        hol_names = [str(c) for c in hw.columns]
        hol = hw.to_numpy(dtype=float).reshape(t_len, len(hol_names))
    else:
        hol_names = list(holidays)
        hol = holiday_indicators(dates, hol_names)
    seen = hol[train].sum(axis=0) > 0  # a festival never seen in training has no estimable effect
    hol, hol_names = hol[:, seen], [n for n, k in zip(hol_names, seen, strict=True) if k]
    tw = np.arange(t_len, dtype=float)
    lift_mask, lift_obs, lift_se = _lift_arrays(experiments, dates, channels, y_scale)
    r_idx, r_obs, r_sd = [], [], []
    for ch, (mean, sd_) in (roas_priors or {}).items():
        if ch not in channels:
            raise UnknownNameError("ROAS-prior channel", ch, channels)
        j = channels.index(ch)
        r_idx.append(j)
        r_obs.append(mean * x_scale[j] / y_scale)
        r_sd.append(sd_ * x_scale[j] / y_scale)
    f32 = np.float32
    md = ModelData(
        stack=stack.astype(f32),
        y=(y / y_scale).astype(f32),
        trend=(tw / max(t_len - 1, 1)).astype(f32),
        fourier=fourier_terms(
            tw + dates[0].day_of_year / 7.0, period=365.25 / 7.0, order=seasonality_order
        ).astype(f32),
        holidays=hol.astype(f32),
        controls=z.astype(f32),
        lift_mask=lift_mask.astype(f32),
        lift_obs=lift_obs.astype(f32),
        lift_se=lift_se.astype(f32),
        roas_index=np.asarray(r_idx, dtype=np.int32),
        roas_obs=np.asarray(r_obs, dtype=f32),
        roas_sd=np.asarray(r_sd, dtype=f32),
        spend_total=(x / x_scale).sum(axis=0).astype(f32),
        m_scale=(M_SCALE * x_scale / x_scale.sum()).astype(f32),
        saturation=saturation,
        adstock=adstock,
    )
    masks = [train] + ([np.ones(t_len, dtype=bool)] if refit and holdout_weeks else [])
    forms = CURVE_FORMS if saturation == "average" else (saturation,)
    form_chains = max(2, chains // 2) if len(forms) > 1 else chains
    t0 = time.perf_counter()

    def sample(form: str) -> list[dict[str, Any]]:
        return run_nuts(
            dataclasses.replace(md, saturation=form),
            masks,
            chains=form_chains,
            warmup=warmup,
            draws=draws,
            seed=seed,
        )

    by_form = {form: sample(form) for form in forms}  # one after the other: numpyro's handler stack is global
    seconds = time.perf_counter() - t0
    as64: dict[str, Any] = {
        k: v.astype(float)
        for k, v in md.__dict__.items()
        if isinstance(v, np.ndarray) and v.dtype == np.float32
    }
    md64 = dataclasses.replace(md, **as64)

    def run_diagnostics(i: int) -> Diagnostics:
        return _merge_diagnostics(
            {f: _diagnostics(r[i]["samples"], r[i]["diverging"], seconds) for f, r in by_form.items()}
        )

    holdout = None
    first = _pool({f: r[0]["samples"] for f, r in by_form.items()})
    if holdout_weeks:
        mu, _ = _predict(first, md64, stack)
        rng = np.random.default_rng(seed)
        pred = (mu + rng.normal(size=mu.shape) * first["sigma"][:, None]) * y_scale
        mean = mu.mean(axis=0) * y_scale
        lo, hi = np.quantile(pred, INTERVAL, axis=0)
        test = ~train

        def r2(a: np.ndarray, b: np.ndarray) -> float:
            return float(1.0 - np.sum((a - b) ** 2) / np.sum((a - a.mean()) ** 2))

        holdout = HoldoutCheck(
            weeks=holdout_weeks,
            mape=float(np.mean(np.abs(mean[test] - y[test]) / np.abs(y[test]))),
            coverage=float(np.mean((lo[test] <= y[test]) & (y[test] <= hi[test]))),
            r2=r2(y[test], mean[test]),
            train_mape=float(np.mean(np.abs(mean[train] - y[train]) / np.abs(y[train]))),
            train_r2=r2(y[train], mean[train]),
            table=pd.DataFrame(
                {
                    "date": dates[test].date,
                    "actual": y[test],
                    "predicted": mean[test],
                    "lo": lo[test],
                    "hi": hi[test],
                }
            ),
        )
    d = _pool({f: r[-1]["samples"] for f, r in by_form.items()})
    diag = run_diagnostics(len(masks) - 1)
    if len(masks) > 1:
        extra = run_diagnostics(0)
        if not extra.ok:
            diag = Diagnostics(
                **{
                    **diag.__dict__,
                    "ok": False,
                    "reasons": diag.reasons + tuple(f"holdout fit: {r}" for r in extra.reasons),
                }
            )
    else:
        if holdout_weeks:
            notes.append(
                f"summaries come from the fit without the last {holdout_weeks} weeks, which the holdout check scored"
            )
    if len(forms) > 1:
        notes.append(
            "saturation averaged over the Hill and logistic forms (one fit each, draws pooled with equal "
            "weight): the data do not tell the two apart at the foot of the curve, where ROAS is decided"
        )

    # Summaries on the original scale, over every week (held-out weeks included: their spend is known).
    _, contrib = _predict(d, md64, stack)
    contrib = contrib * y_scale
    spend_total = x.sum(axis=0)
    total = contrib.sum(axis=1)  # (D, C)
    roas = total / spend_total
    eps = 0.01
    _, contrib_up = _predict(d, md64, lag_stack(x * (1 + eps) / x_scale))
    mroas = (contrib_up.sum(axis=1) * y_scale - total) / (eps * spend_total)
    shape = d.get("shape", np.ones_like(d["half"]))
    hill = d.get("hill")
    beta = (
        d["m"]
        / saturation_np(np.ones(1), saturation, d["half"], shape, None if hill is None else hill[:, None])
        * y_scale
    )
    rows = []
    for j, ch in enumerate(channels):
        rows.append((ch, "spend", float(spend_total[j]), float(spend_total[j]), float("nan"), float("nan")))
        rows.append(_summary_rows("roas", ch, roas[:, j]))
        rows.append(_summary_rows("marginal_roas", ch, mroas[:, j]))
        rows.append(_summary_rows("contribution", ch, total[:, j]))
        rows.append(_summary_rows("contribution_share", ch, total[:, j] / y.sum()))
        rows.append(_summary_rows("alpha", ch, d["alpha"][:, j]))
        if adstock == "delayed":
            rows.append(_summary_rows("theta", ch, d["theta"][:, j]))
        rows.append(_summary_rows("half_saturation", ch, d["half"][:, j] * x_scale[j]))
        if saturation != "logistic":  # the Hill slope, over the Hill draws
            rows.append(_summary_rows("shape", ch, d["shape"][:, j] if hill is None else d["shape"][hill, j]))
    summary = pd.DataFrame(rows, columns=["channel", "metric", "mean", "median", "lo", "hi"])
    # Non-media effects in target units: a festival's lift in its week, a control's per unit of it.
    eff = []
    for j, name in enumerate(hol_names):
        row = _summary_rows("holiday", name, d["holiday"][:, j] * y_scale)
        eff.append((row[0], "holiday", *row[2:]))
    for j, name in enumerate(controls):
        row = _summary_rows("control", name, d["control"][:, j] * y_scale / sd[j])
        eff.append((row[0], "control", *row[2:]))
    effects = pd.DataFrame(eff, columns=["name", "kind", "mean", "median", "lo", "hi"])
    response = PosteriorResponse(
        channels=tuple(channels),
        saturation=saturation,
        beta=beta,
        half=d["half"] * x_scale,
        shape=shape,
        current_weekly=x_scale.copy(),
        hill=hill,
    )
    if not diag.ok:
        notes.append("diagnostics failed: treat these figures as unreliable, not as findings")
    return MediaMixResult(
        channels=tuple(channels),
        target=target,
        date=date,
        weeks=t_len,
        start=str(dates[0].date()),
        end=str(dates[-1].date()),
        saturation=saturation,
        adstock=adstock,
        summary=summary,
        diagnostics=diag,
        holdout=holdout,
        response=response,
        draws={k: v for k, v in d.items()},
        notes=tuple(notes),
        effects=effects,
    )


def mmm_from_file(
    path: str | Path,
    *,
    date: str,
    target: str,
    channels: Sequence[str],
    controls: Sequence[str] = (),
    **options: Any,
) -> MediaMixResult:
    """Fit :func:`fit_mmm` to a prepared wide weekly CSV or XLSX sheet (``canyu mmm --file``).

    Errors name the file and the column: a missing column (with the closest match), a value that is
    not a number, an empty cell (NaN), too few weeks ("too little data: N weeks, need ≥ M").
    """
    frame = read_mmm_file(path)
    return fit_mmm(
        frame, date=date, target=target, channels=channels, controls=controls, file=str(path), **options
    )
