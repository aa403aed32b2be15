"""Media transforms shared by the sampler (JAX) and the posterior summaries (numpy).

Adstock and saturation follow Jin et al. (2017), "Bayesian Methods for Media Mix Modeling with
Carryover and Shape Effects": geometric carry-over ``w_l ∝ α^l`` or delayed ``w_l ∝ α^((l-θ)^2)``
over ``L`` lags, normalised to sum to one; Hill saturation ``x^s / (x^s + k^s)`` (their eq. 3) or the
logistic form ``(1 - e^{-λx}) / (1 + e^{-λx})`` PyMC-Marketing uses, with ``λ = ln 3 / k`` so that
``k`` is the half-saturation point in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = [
    "ADSTOCK_FORMS",
    "CURVE_FORMS",
    "HOLIDAYS",
    "LAGS",
    "SATURATION_FORMS",
    "adstock_np",
    "calendar_holidays",
    "fourier_terms",
    "holiday_indicators",
    "lag_stack",
    "saturation_np",
    "weights_np",
]

LAGS: Final = 13
ADSTOCK_FORMS: Final = ("geometric", "delayed")
#: ``average`` fits both curve forms and pools their draws with equal weight (Bayesian model averaging
#: over the form, which the data cannot choose: see docs/mmm.md).
SATURATION_FORMS: Final = ("average", "hill", "logistic")
#: The forms the sampler fits; ``average`` pools one fit of each.
CURVE_FORMS: Final = ("hill", "logistic")
# Fixed-date retail festivals (month, day); 年货节 moves with the lunar calendar, 20 January approximates it.
HOLIDAYS: Final = {"618": (6, 18), "double11": (11, 11), "nianhuo": (1, 20)}


def lag_stack(x: np.ndarray, lags: int = LAGS) -> np.ndarray:
    """``out[l, t, c] = x[t - l, c]`` (zero before the first row), shape ``(lags, T, C)``."""
    t, c = x.shape
    padded = np.vstack([np.zeros((lags - 1, c)), x])
    return np.stack([padded[lags - 1 - lag : lags - 1 - lag + t] for lag in range(lags)])


def weights_np(alpha: np.ndarray, theta: np.ndarray | None = None, lags: int = LAGS) -> np.ndarray:
    """Normalised adstock weights, shape ``alpha.shape + (lags,)``."""
    a = np.asarray(alpha, dtype=float)[..., None]
    lag = np.arange(lags, dtype=float)
    w = a**lag if theta is None else a ** ((lag - np.asarray(theta, dtype=float)[..., None]) ** 2)
    return w / w.sum(axis=-1, keepdims=True)


def adstock_np(stack: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Adstocked series per draw: ``stack`` ``(L, T, C)``, ``weights`` ``(D, C, L)`` → ``(D, T, C)``."""
    return np.einsum("ltc,dcl->dtc", stack, weights, optimize=True)


def saturation_np(
    x: np.ndarray, kind: str, half: np.ndarray, shape: np.ndarray, hill: np.ndarray | None = None
) -> np.ndarray:
    """Hill or logistic saturation of ``x >= 0``, broadcasting ``half`` and ``shape``.

    ``kind="average"`` holds draws of both forms: ``hill`` (broadcasting like ``half``) is True where a
    draw is a Hill curve and False where it is logistic.
    """
    if kind == "average":
        if hill is None:
            raise ValueError("saturation 'average' needs the per-draw form mask 'hill'")
        return np.where(
            hill, saturation_np(x, "hill", half, shape), saturation_np(x, "logistic", half, shape)
        )
    x = np.maximum(x, 0.0)
    if kind == "hill":
        # x^s / (x^s + k^s) = 1 / (1 + (k/x)^s), written to stay finite at x = 0.
        with np.errstate(divide="ignore", over="ignore"):
            r = np.where(x > 0, (half / np.where(x > 0, x, 1.0)) ** shape, np.inf)
        return 1.0 / (1.0 + r)
    lam = np.log(3.0) / half
    e = np.exp(-lam * x)
    return (1.0 - e) / (1.0 + e)


def fourier_terms(t_weeks: np.ndarray, *, period: float, order: int) -> np.ndarray:
    """``sin(2πkt/P), cos(2πkt/P)`` for ``k = 1..order``, shape ``(T, 2*order)``."""
    cols = []
    for k in range(1, order + 1):
        arg = 2.0 * np.pi * k * t_weeks / period
        cols += [np.sin(arg), np.cos(arg)]
    return np.column_stack(cols) if cols else np.zeros((len(t_weeks), 0))


def holiday_indicators(dates: pd.DatetimeIndex, names: Sequence[str], *, days: int = 7) -> np.ndarray:
    """0/1 per row and holiday: 1 where the row's period (``days`` long from its date) contains the day."""
    from canyu.errors import UnknownNameError

    out = np.zeros((len(dates), len(names)))
    for j, name in enumerate(names):
        if name not in HOLIDAYS:
            raise UnknownNameError("holiday", name, list(HOLIDAYS))
        month, day = HOLIDAYS[name]
        for i, start in enumerate(dates):
            for year in (start.year, start.year + 1):
                d = pd.Timestamp(year=year, month=month, day=day)
                if start <= d < start + pd.Timedelta(days=days):
                    out[i, j] = 1.0
    return out


#: Festivals of the plan's retail calendar (:func:`canyu.plan.strategy.retail_dates`) the workspace fit
#: models, by the key prefix there. The one-day sales (618, 双11, 双12) mark the week that contains the
#: day; 年货节 is a month-long run (about 30 to 8 days before the Spring Festival), so each week gets the
#: share of its 7 days inside the run.
CALENDAR_FESTIVALS: Final = {"618": "day", "double11": "day", "double12": "day", "new_year_goods": "run"}


def calendar_holidays(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Festival indicators per Monday-start week from the plan's retail calendar, in ``[0, 1]``.

    Columns are the festivals of :data:`CALENDAR_FESTIVALS` that touch at least one of the weeks;
    years the calendar has no date for (年货节 follows the lunar calendar, tabulated from 2025) add
    nothing.
    """
    import datetime as dt

    from canyu.plan.strategy import retail_dates

    idx = pd.DatetimeIndex(dates)
    out: dict[str, np.ndarray] = {}
    if len(idx) == 0:
        return pd.DataFrame(index=idx)
    first, last = idx.min().date(), (idx.max() + pd.Timedelta(days=6)).date()
    # Widen the window: retail_dates clips a run to it, and the day itself must stay unclipped.
    found = retail_dates(first - dt.timedelta(days=60), last + dt.timedelta(days=60))
    starts = idx.to_numpy(dtype="datetime64[D]")
    for name, kind in CALENDAR_FESTIVALS.items():
        col = np.zeros(len(idx))
        for r in found:
            if r.key.rsplit("-", 1)[0] != name:
                continue
            if kind == "day":
                day = np.datetime64(r.day, "D")
                col[(starts <= day) & (day < starts + 7)] = 1.0
            else:
                lo, hi = np.datetime64(r.start, "D"), np.datetime64(r.day, "D") + 1
                overlap = np.minimum(starts + 7, hi) - np.maximum(starts, lo)
                col = np.maximum(col, np.clip(overlap.astype(float), 0.0, 7.0) / 7.0)
        if col.any():
            out[name] = col
    return pd.DataFrame(out, index=idx)


def jax_weights(alpha: Any, theta: Any | None, lags: int = LAGS) -> Any:
    """JAX twin of :func:`weights_np` for one draw: ``(C,)`` → ``(L, C)``."""
    import jax.numpy as jnp

    lag = jnp.arange(lags, dtype=alpha.dtype)[:, None]
    w = alpha[None, :] ** lag if theta is None else alpha[None, :] ** ((lag - theta[None, :]) ** 2)
    return w / w.sum(axis=0, keepdims=True)


def jax_saturation(x: Any, kind: str, half: Any, shape: Any) -> Any:
    """JAX twin of :func:`saturation_np`."""
    import jax.numpy as jnp

    x = jnp.maximum(x, 0.0)
    if kind == "hill":
        safe = jnp.where(x > 0, x, 1.0)
        return jnp.where(x > 0, 1.0 / (1.0 + (half / safe) ** shape), 0.0)
    lam = jnp.log(3.0) / half
    e = jnp.exp(-lam * x)
    return (1.0 - e) / (1.0 + e)
