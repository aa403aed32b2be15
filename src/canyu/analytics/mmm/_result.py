"""What a media-mix fit returns: per-channel summaries with intervals, diagnostics, the holdout check.

Every number is a posterior summary over the draws (mean and the 5%-95% interval, i.e. a 90% credible
interval). :class:`PosteriorResponse` carries the draws of each channel's steady-state response curve,
which :mod:`canyu.plan.budget` optimises over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from canyu.analytics.mmm._transforms import saturation_np

__all__ = ["INTERVAL", "Diagnostics", "HoldoutCheck", "MediaMixResult", "PosteriorResponse"]

INTERVAL = (0.05, 0.95)


def _f(x: Any) -> float | None:
    v = float(x)
    return None if math.isnan(v) else v


@dataclass(frozen=True)
class PosteriorResponse:
    """Draws of each channel's steady-state weekly response: ``beta * sat(weekly spend; half, shape)``.

    A constant weekly spend ``s`` gives, once carry-over has built up, an adstocked level ``s``
    (normalised adstock), so the weekly outcome is ``beta * sat(s)``. Arrays are ``(draws, channels)``;
    ``half`` is in yuan of weekly spend, ``beta`` in target units per week.
    """

    channels: tuple[str, ...]
    saturation: str
    beta: np.ndarray
    half: np.ndarray
    shape: np.ndarray
    current_weekly: np.ndarray
    #: ``saturation="average"``: True per draw where the draw is a Hill curve, False where logistic.
    hill: np.ndarray | None = None

    @classmethod
    def from_parameters(
        cls,
        channels: Sequence[str],
        *,
        saturation: str,
        beta: Sequence[float] | np.ndarray,
        half: Sequence[float] | np.ndarray,
        shape: Sequence[float] | np.ndarray | None = None,
        current_weekly: Sequence[float] | np.ndarray,
    ) -> PosteriorResponse:
        """One known curve per channel (one draw), e.g. the simulator's truth."""
        b = np.atleast_2d(np.asarray(beta, dtype=float))
        return cls(
            channels=tuple(channels),
            saturation=saturation,
            beta=b,
            half=np.atleast_2d(np.asarray(half, dtype=float)),
            shape=np.ones_like(b) if shape is None else np.atleast_2d(np.asarray(shape, dtype=float)),
            current_weekly=np.asarray(current_weekly, dtype=float),
        )

    @classmethod
    def from_truth(cls, truth: Any) -> PosteriorResponse:
        """The true curves of a simulation (:class:`canyu.simulate.MediaMixTruth`: ``channels``,
        ``saturation``, ``beta``, ``half``, ``shape``, ``mean_spend``), to score a plan against."""
        return cls.from_parameters(
            truth.channels,
            saturation=truth.saturation,
            beta=truth.beta,
            half=truth.half,
            shape=truth.shape,
            current_weekly=truth.mean_spend,
        )

    @property
    def draws(self) -> int:
        return int(self.beta.shape[0])

    def weekly(self, weekly_spend: np.ndarray) -> np.ndarray:
        """Outcome per week per channel: ``weekly_spend`` ``(..., C)`` → ``(draws, ..., C)``."""
        s = np.asarray(weekly_spend, dtype=float)
        extra = (1,) * (s.ndim - 1)
        shp = (self.draws, *extra, len(self.channels))
        b, h, k = (a.reshape(shp) for a in (self.beta, self.half, self.shape))
        hill = None if self.hill is None else self.hill.reshape((self.draws, *extra, 1))
        return b * saturation_np(s[None, ...], self.saturation, h, k, hill)

    def channel_curve(self, channel: str, weekly_spend: np.ndarray) -> np.ndarray:
        """Outcome per week of one channel at each weekly spend: ``(draws, len(weekly_spend))``."""
        i = self.channels.index(channel)
        s = np.asarray(weekly_spend, dtype=float)[None, :]
        hill = None if self.hill is None else self.hill[:, None]
        return self.beta[:, i : i + 1] * saturation_np(
            s, self.saturation, self.half[:, i : i + 1], self.shape[:, i : i + 1], hill
        )


@dataclass(frozen=True)
class Diagnostics:
    """Sampler health. ``ok`` is False, with ``reasons``, when a threshold is missed.

    Thresholds: split R-hat ≤ 1.05, bulk effective sample size ≥ 100 per parameter, no divergent
    transitions (Vehtari et al. 2021, "Rank-normalization, folding, and localization: an improved R-hat";
    1.05 rather than 1.01 because the default runs are short).
    """

    ok: bool
    reasons: tuple[str, ...]
    max_rhat: float
    min_ess: float
    divergences: int
    chains: int
    draws: int
    seconds: float
    parameters: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reasons": list(self.reasons),
            "max_rhat": _f(self.max_rhat),
            "min_ess": _f(self.min_ess),
            "divergences": self.divergences,
            "chains": self.chains,
            "draws": self.draws,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class HoldoutCheck:
    """Out-of-sample check on the last ``weeks`` rows, which the model did not see.

    ``mape`` is the mean absolute percentage error of the posterior mean prediction, ``coverage`` the
    share of held-out weeks inside the 90% posterior predictive interval, ``r2`` the holdout R².
    ``train_mape`` and ``train_r2`` are the in-sample figures, for comparison.
    """

    weeks: int
    mape: float
    coverage: float
    r2: float
    train_mape: float
    train_r2: float
    table: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "weeks": self.weeks,
            "mape": _f(self.mape),
            "coverage_90": _f(self.coverage),
            "r2": _f(self.r2),
            "train_mape": _f(self.train_mape),
            "train_r2": _f(self.train_r2),
            "table": [
                {k: (str(v) if k == "date" else _f(v)) for k, v in row.items()}
                for row in self.table.to_dict(orient="records")
            ],
        }


CHANNEL_METRICS = (
    "spend",
    "roas",
    "marginal_roas",
    "contribution",
    "contribution_share",
    "alpha",
    "theta",
    "half_saturation",
    "shape",
)


@dataclass(frozen=True)
class MediaMixResult:
    """A fitted media-mix model.

    Attributes
    ----------
    channels
        Channel (spend column) names in model order.
    summary
        Tidy table: ``channel, metric, mean, median, lo, hi`` (90% interval) for metrics ``spend``
        (observed, no interval), ``roas`` (contribution / spend over the fitted weeks), ``marginal_roas``
        (extra outcome per extra yuan at the current spend, spread like the current spend),
        ``contribution``, ``contribution_share`` (of the target), ``alpha`` (carry-over), ``theta``
        (delay, delayed adstock only), ``half_saturation`` (yuan of weekly spend), ``shape`` (Hill only).
    diagnostics, holdout
        Sampler health (``diagnostics.ok``) and the out-of-sample check (``None`` without holdout).
    response
        Posterior response curves, the input of :func:`canyu.plan.budget.optimize_budget`.
    """

    channels: tuple[str, ...]
    target: str
    date: str
    weeks: int
    start: str
    end: str
    saturation: str
    adstock: str
    summary: pd.DataFrame
    diagnostics: Diagnostics
    holdout: HoldoutCheck | None
    response: PosteriorResponse
    draws: dict[str, np.ndarray] = field(repr=False)
    notes: tuple[str, ...] = ()
    #: Non-media effects, ``name, kind, mean, median, lo, hi`` in target units: ``holiday`` (the lift in
    #: a festival's week) and ``control`` (per unit of the control).
    effects: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["name", "kind", "mean", "median", "lo", "hi"]),
        repr=False,
    )

    def metric(self, name: str) -> pd.DataFrame:
        """One metric per channel, indexed by channel: ``mean, median, lo, hi``."""
        if name not in CHANNEL_METRICS:
            from canyu.errors import UnknownNameError

            raise UnknownNameError("media-mix metric", name, CHANNEL_METRICS)
        t = self.summary[self.summary["metric"] == name]
        return t.set_index("channel")[["mean", "median", "lo", "hi"]].reindex(list(self.channels))

    def response_curves(self, *, points: int = 41, max_multiple: float = 3.0) -> pd.DataFrame:
        """Steady-state weekly response per channel with 90% intervals.

        Tidy table ``channel, weekly_spend, mean, lo, hi, marginal_mean`` on a grid from 0 to
        ``max_multiple`` times the channel's current mean weekly spend.
        """
        rows = []
        for i, ch in enumerate(self.channels):
            grid = np.linspace(0.0, max_multiple * float(self.response.current_weekly[i]), points)
            curve = self.response.channel_curve(ch, grid)
            step = max(float(grid[-1]) * 1e-4, 1e-6)
            marginal = (self.response.channel_curve(ch, grid + step) - curve) / step
            lo, hi = np.quantile(curve, INTERVAL, axis=0)
            for j, s in enumerate(grid):
                rows.append(
                    (
                        ch,
                        float(s),
                        float(curve[:, j].mean()),
                        float(lo[j]),
                        float(hi[j]),
                        float(marginal[:, j].mean()),
                    )
                )
        return pd.DataFrame(rows, columns=["channel", "weekly_spend", "mean", "lo", "hi", "marginal_mean"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: per channel, each metric with ``mean``, ``median`` and the 90% interval."""
        per: dict[str, dict[str, Any]] = {ch: {} for ch in self.channels}
        for row in self.summary.itertuples(index=False):
            per[str(row.channel)][str(row.metric)] = {
                "mean": _f(row.mean),
                "median": _f(row.median),
                "lo": _f(row.lo),
                "hi": _f(row.hi),
            }
        return {
            "target": self.target,
            "date": self.date,
            "weeks": self.weeks,
            "start": self.start,
            "end": self.end,
            "saturation": self.saturation,
            "adstock": self.adstock,
            "interval": list(INTERVAL),
            "trusted": self.diagnostics.ok,
            "channels": per,
            "diagnostics": self.diagnostics.to_dict(),
            "holdout": None if self.holdout is None else self.holdout.to_dict(),
            "effects": [
                {"name": str(r.name), "kind": str(r.kind)}
                | {k: _f(getattr(r, k)) for k in ("mean", "median", "lo", "hi")}
                for r in self.effects.itertuples(index=False)
            ],
            "notes": list(self.notes),
        }
