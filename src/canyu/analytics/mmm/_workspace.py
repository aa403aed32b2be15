"""The media-mix model over a workspace: a weekly frame from its tables, a cached fit, and why not.

Weekly frame (:func:`weekly_frame`)
    Weeks start on Monday in the workspace's time zone. Spend per channel per week sums the
    ``spend`` table's ``amount`` (its ``date`` is already a local day); the outcome per week comes
    from ``events`` (local week of ``ts``): ``orders`` counts the session's conversion actions
    (``conversion_actions`` in canyu.toml), ``revenue`` sums their ``value``, ``new_followers``
    counts ``follow`` events and ``leads`` counts ``lead`` events. The frame runs from the first to
    the last week with spend; weeks with no row are zero.

When a fit is attempted
    A channel enters the model when it spent in at least :data:`MIN_SPEND_WEEKS` weeks and its weekly
    spend varies (coefficient of variation ≥ :data:`MIN_SPEND_CV`): a constant spend cannot be told
    apart from the baseline. The fit then needs ``min_weeks(channels, holdout)`` weeks with yearly
    seasonality (``max(52, 12 + 8 × channels) + holdout``); with fewer, but at least
    ``max(26, 12 + 8 × channels) + holdout``, it fits without yearly seasonality (and says so).
    Below that it is not attempted and the result says why (:attr:`WorkspaceMediaMix.reason`).

Cache
    A fit is stored as the derived table ``mmm_fit`` (one row: the result as JSON), keyed by a hash
    of the weekly frame and the settings, so a report or a budget that needs the same fit reads it
    instead of sampling again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from canyu.analytics.mmm._fit import MediaMixError, fit_mmm, min_weeks
from canyu.analytics.mmm._result import Diagnostics, HoldoutCheck, MediaMixResult, PosteriorResponse
from canyu.analytics.mmm._transforms import ADSTOCK_FORMS, SATURATION_FORMS, calendar_holidays
from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    from canyu.session import AnalysisSession

__all__ = [
    "CACHE_TABLE",
    "MIN_SPEND_CV",
    "MIN_SPEND_WEEKS",
    "OUTCOMES",
    "WorkspaceMediaMix",
    "media_mix",
    "weekly_frame",
]

OUTCOMES = ("revenue", "orders", "new_followers", "leads")
MIN_SPEND_WEEKS = 8
MIN_SPEND_CV = 0.10
CACHE_TABLE = "mmm_fit"
# 2: the model's priors changed (media prior by spend share); 3: festivals from the retail calendar,
# the price index control and lift tests from the experiments table, non-media effects cached.
_CACHE_VERSION = 4
#: Least variation (standard deviation over the weeks) of the price index for it to be a control.
MIN_PRICE_SD = 0.01

_OUTCOME_TEXT = {
    "revenue": ("revenue (yuan) of conversion events", "转化事件的收入（元）"),
    "orders": ("conversion events (orders)", "转化事件数（订单）"),
    "new_followers": ("follow events (new followers)", "关注事件数（新粉丝）"),
    "leads": ("lead events", "留资事件数"),
}


def outcome_text(target: str) -> tuple[str, str]:
    """What the target counts, ``(en, zh)``."""
    return _OUTCOME_TEXT[target]


def weekly_frame(session: AnalysisSession) -> pd.DataFrame:
    """Spend per channel and the four outcomes per local Monday-start week (see the module docstring).

    Columns: ``week`` (date), one column per channel with spend, ``revenue``, ``orders``,
    ``new_followers``, ``leads``. Empty when the session has no spend.
    """
    sp = session.on_channels(session.in_period("spend", "date"))
    week = sp.date - sp.date.day_of_week.index().cast("int64").as_interval("D")
    spend = session.to_pandas(
        sp.mutate(week=week).group_by(["week", "channel"]).aggregate(amount=sp.amount.sum())
    )
    if spend.empty or float(spend["amount"].sum()) <= 0:
        return pd.DataFrame(columns=["week", *OUTCOMES])
    ev = session.events()
    conv = list(session.conversion_actions)
    is_conv = ev.action.isin(conv)
    wk = session.zone.period_start(ev.ts, "week")
    out = session.to_pandas(
        ev.filter(is_conv | ev.action.isin(["follow", "lead"]))
        .mutate(week=wk)
        .group_by("week")
        .aggregate(
            orders=is_conv.sum().cast("int64"),
            revenue=is_conv.ifelse(ev.value.fill_null(0.0), 0.0).sum(),
            new_followers=(ev.action == "follow").sum().cast("int64"),
            leads=(ev.action == "lead").sum().cast("int64"),
        )
    )
    spend["week"] = pd.to_datetime(spend["week"])
    wide = spend.pivot_table(index="week", columns="channel", values="amount", aggfunc="sum").fillna(0.0)
    weeks = pd.date_range(wide.index.min(), wide.index.max(), freq="7D")
    wide = wide.reindex(weeks, fill_value=0.0)
    out["week"] = pd.to_datetime(out["week"])
    outcomes = out.set_index("week").reindex(weeks).fillna(0.0)
    frame = pd.concat([wide, outcomes[list(OUTCOMES)]], axis=1)
    frame.index.name = "week"
    frame = frame.reset_index()
    frame.columns = [str(c) for c in frame.columns]
    return frame


@dataclass(frozen=True)
class WorkspaceMediaMix:
    """A workspace's media-mix result, or why there is none.

    Attributes
    ----------
    fitted
        Whether a model was fitted (``fit`` is set). A fitted model can still fail its diagnostics:
        see :attr:`trusted`.
    reason, reason_zh
        Why no fit was attempted (too few weeks, no spend variation...), empty when fitted.
    target
        The outcome modelled (one of :data:`OUTCOMES`); ``target_text`` says what it counts.
    weeks, need
        Weeks in the frame and weeks needed for a fit.
    channels, excluded
        The channels modelled; those left out, each with the reason.
    cached
        Whether the fit was read from the ``mmm_fit`` derived table rather than sampled now.
    """

    fitted: bool
    target: str
    weeks: int
    need: int
    channels: tuple[str, ...]
    excluded: dict[str, str]
    frame: pd.DataFrame = field(repr=False)
    fit: MediaMixResult | None = None
    reason: str = ""
    reason_zh: str = ""
    cached: bool = False

    @property
    def trusted(self) -> bool:
        """Fitted and the sampler's diagnostics passed: only then are the figures findings."""
        return self.fit is not None and self.fit.diagnostics.ok

    @property
    def target_text(self) -> tuple[str, str]:
        return outcome_text(self.target)

    def tables(self) -> dict[str, pd.DataFrame]:
        status = pd.DataFrame(
            [
                {
                    "fitted": self.fitted,
                    "trusted": self.trusted,
                    "target": self.target,
                    "weeks": self.weeks,
                    "need_weeks": self.need,
                    "channels": ",".join(self.channels),
                    "excluded": "; ".join(f"{k}: {v}" for k, v in self.excluded.items()),
                    "reason": self.reason,
                    "cached": self.cached,
                }
            ]
        )
        out = {"status": status}
        if self.fit is not None:
            out["summary"] = self.fit.summary
            if self.fit.holdout is not None:
                out["holdout"] = self.fit.holdout.table
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "fitted": self.fitted,
            "trusted": self.trusted,
            "target": self.target,
            "target_counts": self.target_text[0],
            "weeks": self.weeks,
            "need_weeks": self.need,
            "channels": list(self.channels),
            "excluded": dict(self.excluded),
            "reason": self.reason,
            "reason_zh": self.reason_zh,
            "cached": self.cached,
            "fit": None if self.fit is None else self.fit.to_dict(),
        }


# -- cache -------------------------------------------------------------------------------------
def result_to_json(fit: MediaMixResult) -> str:
    """A fit as JSON, with the response-curve draws the budget needs (the sampler's raw draws are dropped)."""
    r = fit.response
    return json.dumps(
        {
            "cache_version": _CACHE_VERSION,
            "channels": list(fit.channels),
            "target": fit.target,
            "date": fit.date,
            "weeks": fit.weeks,
            "start": fit.start,
            "end": fit.end,
            "saturation": fit.saturation,
            "adstock": fit.adstock,
            "summary": fit.summary.to_dict(orient="list"),
            "diagnostics": {k: v for k, v in fit.diagnostics.__dict__.items() if k != "parameters"}
            | {
                "parameters": fit.diagnostics.parameters.to_dict(orient="list"),
                "reasons": list(fit.diagnostics.reasons),
            },
            "holdout": None
            if fit.holdout is None
            else {k: v for k, v in fit.holdout.__dict__.items() if k != "table"}
            | {"table": fit.holdout.table.astype({"date": str}).to_dict(orient="list")},
            "response": {
                "saturation": r.saturation,
                "beta": r.beta.tolist(),
                "half": r.half.tolist(),
                "shape": r.shape.tolist(),
                "current_weekly": r.current_weekly.tolist(),
                "hill": None if r.hill is None else r.hill.tolist(),
            },
            "notes": list(fit.notes),
            "effects": fit.effects.to_dict(orient="list"),
        },
        default=float,
    )


def result_from_json(text: str) -> MediaMixResult | None:
    """The fit :func:`result_to_json` wrote; None when the cache is of another version."""
    d = json.loads(text)
    if d.get("cache_version") != _CACHE_VERSION:
        return None
    diag = dict(d["diagnostics"])
    diag["parameters"] = pd.DataFrame(diag["parameters"])
    diag["reasons"] = tuple(diag["reasons"])
    holdout = None
    if d["holdout"] is not None:
        h = dict(d["holdout"])
        h["table"] = pd.DataFrame(h["table"])
        holdout = HoldoutCheck(**h)
    r = d["response"]
    response = PosteriorResponse(
        channels=tuple(d["channels"]),
        saturation=r["saturation"],
        beta=np.asarray(r["beta"], dtype=float),
        half=np.asarray(r["half"], dtype=float),
        shape=np.asarray(r["shape"], dtype=float),
        current_weekly=np.asarray(r["current_weekly"], dtype=float),
        hill=None if r.get("hill") is None else np.asarray(r["hill"], dtype=bool),
    )
    return MediaMixResult(
        channels=tuple(d["channels"]),
        target=d["target"],
        date=d["date"],
        weeks=int(d["weeks"]),
        start=d["start"],
        end=d["end"],
        saturation=d["saturation"],
        adstock=d["adstock"],
        summary=pd.DataFrame(d["summary"]),
        diagnostics=Diagnostics(**diag),
        holdout=holdout,
        response=response,
        draws={},
        notes=tuple(d["notes"]),
        effects=pd.DataFrame(d["effects"]),
    )


def fit_settings(
    target: str,
    channels: list[str],
    *,
    holdout_weeks: int = 8,
    chains: int = 4,
    warmup: int = 300,
    draws: int = 300,
    seed: int = 0,
    seasonality_order: int = 2,
    saturation: str = "logistic",
    adstock: str = "geometric",
) -> dict[str, Any]:
    """The settings a cached fit is keyed by (with the weekly frame)."""
    return {
        "target": target,
        "saturation": saturation,
        "adstock": adstock,
        "channels": list(channels),
        "holdout_weeks": holdout_weeks,
        "chains": chains,
        "warmup": warmup,
        "draws": draws,
        "seed": seed,
        "seasonality_order": seasonality_order,
    }


def cache_key(frame: pd.DataFrame, settings: dict[str, Any]) -> str:
    """Hash of the modelled columns of the weekly frame and the settings."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(",".join(map(str, frame.columns)).encode())
    return h.hexdigest()[:32]


def _read_cache(session: AnalysisSession, key: str) -> MediaMixResult | None:
    store = session.workspace.store
    versions = store.derived_versions(CACHE_TABLE).to_pylist()
    for row in reversed(versions):
        try:
            params = json.loads(row["params"] or "{}")
        except ValueError:
            continue
        if params.get("key") == key:
            data = store.read_derived(CACHE_TABLE, int(row["version"]))
            if data is None or data.num_rows == 0:
                return None
            return result_from_json(str(data.column("result")[0].as_py()))
    return None


def write_cache(session: AnalysisSession, key: str, fit: MediaMixResult, settings: dict[str, Any]) -> None:
    import pyarrow as pa

    session.workspace.store.write_derived(
        CACHE_TABLE, pa.table({"result": [result_to_json(fit)]}), params={"key": key, **settings}
    )


# -- controls and lift tests from the workspace -------------------------------------------------
def price_index(session: AnalysisSession, weeks: pd.DatetimeIndex) -> pd.Series | None:
    """Price paid relative to list price per local week, when the workspace records it; else None.

    Per conversion event with a ``product_id`` whose product has a list ``price`` in ``products``:
    ``value / price`` (1.0 at list price, 0.8 at 20% off); the week's index is their mean. Weeks with
    no such order take the median of the others. It is a control only when at least half the weeks
    have such orders and it varies (standard deviation ≥ :data:`MIN_PRICE_SD`): price changes and
    promotions move sales whatever the media spend.
    """
    ev = session.events()
    products = session.table("products")
    orders = ev.filter(
        ev.action.isin(list(session.conversion_actions)) & ev.product_id.notnull() & (ev.value > 0)
    )
    listed = products.filter(products.price > 0).select(pid=products.product_id, list_price=products.price)
    j = orders.join(listed, orders.product_id == listed.pid)
    per_week = session.to_pandas(
        j.mutate(week=session.zone.period_start(j.ts, "week"), ratio=j.value / j.list_price)
        .group_by("week")
        .aggregate(price_index=ibis._.ratio.mean())
    )
    if per_week.empty:
        return None
    per_week["week"] = pd.to_datetime(per_week["week"])
    idx = per_week.set_index("week")["price_index"].reindex(weeks)
    if idx.notna().sum() < max(len(weeks) // 2, 1):
        return None
    idx = idx.fillna(float(idx.median()))
    if float(idx.std(ddof=0)) < MIN_PRICE_SD:
        return None
    return idx.rename("price_index")


def lift_tests(
    session: AnalysisSession, frame: pd.DataFrame, channels: list[str], target: str
) -> tuple[pd.DataFrame | None, list[str]]:
    """The ``experiments`` table's lift tests on the modelled channels, in the target's units.

    ``incremental_conversions`` (and its ``se``) are conversions: used as they are for the ``orders``
    target; for ``revenue`` each is multiplied by the mean order value of the test's weeks (revenue ÷
    orders in the weekly frame), with the same relative standard error. Tests on other channels, with
    ``se`` ≤ 0, outside the frame's weeks, or for ``new_followers`` / ``leads`` are left out, and the
    notes say so.
    """
    from canyu.analytics.mmm._fit import EXPERIMENT_COLUMNS

    tab = session.to_pandas(session.table("experiments"))
    if tab.empty:
        return None, []
    notes: list[str] = []
    if target not in ("orders", "revenue"):
        return None, [f"{len(tab)} lift test(s) measure conversions, not {target}: not used"]
    weeks = pd.DatetimeIndex(pd.to_datetime(frame["week"]))
    rows = []
    for r in tab.itertuples(index=False):
        ch, eid = str(r.channel), str(r.experiment_id)
        s, e = pd.Timestamp(r.starts), pd.Timestamp(r.ends)
        inside = (weeks + pd.Timedelta(days=6) >= s) & (weeks <= e)
        if ch not in channels:
            notes.append(f"lift test {eid}: {ch} is not modelled, left out")
            continue
        if not (float(r.se) > 0 and np.isfinite(float(r.incremental_conversions))):
            notes.append(f"lift test {eid}: se must be > 0, left out")
            continue
        if not inside.any():
            notes.append(f"lift test {eid}: {s.date()}..{e.date()} is outside the fitted weeks, left out")
            continue
        scale = 1.0
        if target == "revenue":
            orders = float(frame.loc[inside, "orders"].sum())
            if orders <= 0:
                notes.append(f"lift test {eid}: no orders in its weeks to value it in revenue, left out")
                continue
            scale = float(frame.loc[inside, "revenue"].sum()) / orders
        rows.append(
            {
                "channel": ch,
                "starts": s,
                "ends": e,
                "incremental_conversions": float(r.incremental_conversions) * scale,
                "se": float(r.se) * scale,
            }
        )
    if not rows:
        return None, notes
    used = pd.DataFrame(rows, columns=list(EXPERIMENT_COLUMNS))
    what = "conversions" if target == "orders" else "conversions x the mean order value of their weeks"
    notes.append(f"calibrated by {len(used)} of {len(tab)} lift test(s) from the experiments table ({what})")
    return used, notes


@dataclass(frozen=True)
class FitInputs:
    """What a workspace fit reads besides the weekly frame, and the cache key of it all."""

    data: pd.DataFrame  # week, target, the channels' spend, price_index when recorded
    controls: list[str]
    festivals: pd.DataFrame
    price: pd.Series | None
    experiments: pd.DataFrame | None
    lift_notes: list[str]
    settings: dict[str, Any]
    key: str


def fit_inputs(
    session: AnalysisSession, frame: pd.DataFrame, channels: list[str], settings: dict[str, Any]
) -> FitInputs:
    """The weekly data, festivals (retail calendar), price index and lift tests of a workspace fit,
    and its cache key (:func:`cache_key` of the data and the settings with festivals and tests)."""
    target = str(settings["target"])
    dates = pd.DatetimeIndex(pd.to_datetime(frame["week"]))
    festivals = calendar_holidays(dates)
    price = price_index(session, dates)
    experiments, lift_notes = lift_tests(session, frame, channels, target)
    data = frame[["week", target, *channels]].copy()
    controls = []
    if price is not None:
        data["price_index"] = price.to_numpy()
        controls.append("price_index")
    full = dict(settings)
    full["festivals"] = list(festivals.columns)
    full["experiments"] = None if experiments is None else experiments.astype(str).to_dict(orient="list")
    return FitInputs(data, controls, festivals, price, experiments, lift_notes, full, cache_key(data, full))


# -- the analysis ------------------------------------------------------------------------------
def _eligible(frame: pd.DataFrame, channels: list[str]) -> tuple[list[str], dict[str, str]]:
    keep, excluded = [], {}
    for ch in channels:
        x = frame[ch].to_numpy(dtype=float)
        active = int((x > 0).sum())
        cv = float(x.std() / x.mean()) if x.mean() > 0 else 0.0
        if active < MIN_SPEND_WEEKS:
            excluded[ch] = f"spent in {active} of {len(x)} weeks, need ≥ {MIN_SPEND_WEEKS}"
        elif cv < MIN_SPEND_CV:
            excluded[ch] = f"weekly spend barely varies (coefficient of variation {cv:.2f} < {MIN_SPEND_CV})"
        else:
            keep.append(ch)
    return keep, excluded


@register_analysis(
    "mmm",
    title=("Media mix: what spend causes", "媒体组合模型：花费带来的效果"),
    choices={"target": OUTCOMES, "saturation": SATURATION_FORMS, "adstock": ADSTOCK_FORMS},
)
def media_mix(
    session: AnalysisSession,
    *,
    target: str = "revenue",
    holdout_weeks: int = 8,
    chains: int = 4,
    warmup: int = 300,
    draws: int = 300,
    seed: int = 0,
    saturation: str = "logistic",
    adstock: str = "geometric",
    cache: bool = True,
) -> WorkspaceMediaMix:
    """Fit the media-mix model to the workspace's weekly spend and outcome, when there is enough data.

    The minimum: at least ``max(26, 12 + 8 × channels) + holdout`` weeks (a year more for yearly
    seasonality), and per channel spend in ≥ 8 weeks with a coefficient of variation ≥ 0.10. Below
    that the result says why, and the ROAS of the ``spend`` analysis is the measured view.
    """
    from canyu.errors import InvalidArgumentError

    if target not in OUTCOMES:
        from canyu.errors import UnknownNameError

        raise UnknownNameError("media-mix target", target, OUTCOMES)
    if holdout_weeks < 0:
        raise InvalidArgumentError("holdout_weeks", holdout_weeks, ">= 0")
    for what, value, forms in (
        ("saturation form", saturation, SATURATION_FORMS),
        ("adstock form", adstock, ADSTOCK_FORMS),
    ):
        if value not in forms:
            from canyu.errors import UnknownNameError

            raise UnknownNameError(what, value, forms)
    frame = weekly_frame(session)
    channels = [c for c in frame.columns if c not in ("week", *OUTCOMES)]
    weeks = len(frame)

    def none(
        reason: str, reason_zh: str, need: int, keep: list[str], excluded: dict[str, str]
    ) -> WorkspaceMediaMix:
        return WorkspaceMediaMix(
            fitted=False,
            target=target,
            weeks=weeks,
            need=need,
            channels=tuple(keep),
            excluded=excluded,
            frame=frame,
            reason=reason,
            reason_zh=reason_zh,
        )

    if not channels:
        return none(
            "no spend recorded in the spend table for this period",
            "本周期的花费表中没有花费记录",
            min_weeks(1, holdout_weeks, yearly=False),
            [],
            {},
        )
    keep, excluded = _eligible(frame, channels)
    if not keep:
        return none(
            "no channel's spend varies enough to estimate its effect: "
            + "; ".join(f"{k}: {v}" for k, v in excluded.items()),
            "没有渠道的花费有足够变化来估计其效果：" + "；".join(f"{k}：{v}" for k, v in excluded.items()),
            min_weeks(len(channels), holdout_weeks, yearly=False),
            [],
            excluded,
        )
    need_short = min_weeks(len(keep), holdout_weeks, yearly=False)
    need_year = min_weeks(len(keep), holdout_weeks)
    if weeks < need_short:
        return none(
            f"too little data: {weeks} weeks of spend, need ≥ {need_short} for {len(keep)} channel(s) "
            f"({holdout_weeks} of them held out to check the fit)",
            f"数据太少：花费只有 {weeks} 周，{len(keep)} 个渠道至少需要 {need_short} 周（其中 {holdout_weeks} 周留出检验）",
            need_short,
            keep,
            excluded,
        )
    if float(frame[target].sum()) <= 0:
        return none(
            f"no {outcome_text(target)[0]} in these weeks",
            f"这些周内没有{outcome_text(target)[1]}",
            need_short,
            keep,
            excluded,
        )
    yearly = weeks >= need_year
    order = 2 if yearly else 0
    settings = fit_settings(
        target,
        keep,
        holdout_weeks=holdout_weeks,
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        seasonality_order=order,
        saturation=saturation,
        adstock=adstock,
    )
    inputs = fit_inputs(session, frame, keep, settings)
    data, controls, festivals, experiments = (
        inputs.data,
        inputs.controls,
        inputs.festivals,
        inputs.experiments,
    )
    price, lift_notes, key = inputs.price, inputs.lift_notes, inputs.key
    fit = _read_cache(session, key) if cache else None
    cached = fit is not None
    if fit is None and not session.fit_models:
        return none(
            "no fit of these weeks is cached yet, and a page does not sample the model: start a fit on "
            "the console's Jobs page, or run canyu mmm DIR",
            "尚无这些周的已缓存拟合，页面不会当场拟合模型：请在控制台的“任务”页启动拟合，或运行 canyu mmm DIR",
            need_short,
            keep,
            excluded,
        )
    if fit is None:
        try:
            fit = fit_mmm(
                data,
                date="week",
                target=target,
                channels=keep,
                controls=controls,
                holiday_weeks=festivals,
                experiments=experiments,
                holdout_weeks=holdout_weeks,
                chains=chains,
                warmup=warmup,
                draws=draws,
                seed=seed,
                seasonality_order=order,
                saturation=saturation,
                adstock=adstock,
            )
        except MediaMixError as exc:
            return none(str(exc), exc.message_zh or str(exc), need_short, keep, excluded)
        if not yearly:
            fit = _with_note(
                fit,
                f"{weeks} weeks is less than the {need_year} a yearly seasonality needs: fitted without it",
            )
        fit = _with_note(
            fit,
            "festival weeks from the retail calendar: "
            + (", ".join(festivals.columns) if len(festivals.columns) else "none in these weeks")
            + (
                "; control: price index (price paid / list price)"
                if price is not None
                else "; no price changes recorded (no control)"
            ),
        )
        for note in lift_notes:
            fit = _with_note(fit, note)
        if cache:
            write_cache(session, key, fit, inputs.settings)
    return WorkspaceMediaMix(
        fitted=True,
        target=target,
        weeks=weeks,
        need=need_short,
        channels=tuple(keep),
        excluded=excluded,
        frame=frame,
        fit=fit,
        cached=cached,
    )


def _with_note(fit: MediaMixResult, note: str) -> MediaMixResult:
    import dataclasses

    return dataclasses.replace(fit, notes=(*fit.notes, note))
