"""Rule-based (heuristic) attribution: each touch of a converting path gets a fixed share.

A rule is a function of a touch's position and its path's length that returns
weights summing to 1 on each path; a channel's credit is the sum, over touches,
of weight × the path's conversions (and × its value). The rules are the usual
ones (first, last, linear; time decay and position based, also called
"U-shaped"), as described e.g. in Google Analytics' attribution model
documentation and in ChannelAttribution's ``heuristic_models`` (first, last,
linear, where linear shares per touch, so a channel touched twice gets twice).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from canyu.analytics.attribution._paths import PathTable
from canyu.errors import InvalidArgumentError, UnknownNameError

__all__ = [
    "HeuristicResult",
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "position_weights",
    "time_decay",
    "touch_weights",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class HeuristicResult:
    """Conversions and value credited to each channel by one rule."""

    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray


def position_weights(
    position: IntArray,
    length: IntArray,
    *,
    rule: str,
    half_life: float = 1.0,
    first: float = 0.4,
    last: float = 0.4,
) -> FloatArray:
    """Weight of each touch from its 0-based ``position`` in a path of ``length`` touches.

    Parameters
    ----------
    rule
        ``first_touch``, ``last_touch``, ``linear``, ``time_decay`` or ``position_based``.
    half_life
        For ``time_decay`` on paths without timestamps: a touch ``d`` steps before the
        last touch weighs ``2 ** (-d / half_life)`` before normalisation, so with the
        default 1 each touch weighs twice the one before it.
    first, last
        For ``position_based``: shares of the first and last touch when a path has
        three or more; the middle touches split ``1 - first - last`` equally. A single
        touch takes everything; two touches take half each.
    """
    position = np.asarray(position, dtype=np.int64)
    length = np.asarray(length, dtype=np.int64)
    if rule == "first_touch":
        return (position == 0).astype(np.float64)
    if rule == "last_touch":
        return (position == length - 1).astype(np.float64)
    if rule == "linear":
        return 1.0 / length
    if rule == "time_decay":
        if half_life <= 0:
            raise InvalidArgumentError("half_life", half_life, "> 0")
        raw = np.exp2(-(length - 1 - position) / half_life)
        # Σ_{d=0}^{L-1} 2^{-d/h} is a geometric sum: normalise without a group-by.
        ratio = np.exp2(-1.0 / half_life)
        return raw * (1.0 - ratio) / (1.0 - ratio**length)
    if rule == "position_based":
        if first < 0 or last < 0 or first + last > 1:
            raise InvalidArgumentError("first, last", (first, last), "shares >= 0 that sum to <= 1")
        middle = (1.0 - first - last) / np.maximum(length - 2, 1)
        w = np.where(position == 0, first, np.where(position == length - 1, last, middle))
        w = np.where(length == 2, 0.5, w)
        return np.where(length == 1, 1.0, w).astype(np.float64)
    raise UnknownNameError(
        "attribution rule", rule, ("first_touch", "last_touch", "linear", "time_decay", "position_based")
    )


def touch_weights(
    paths: PathTable, *, rule: str, half_life: float = 1.0, first: float = 0.4, last: float = 0.4
) -> FloatArray:
    """Weight of every touch of ``paths`` (aligned with ``paths.touches``); weights sum to 1 per path."""
    return position_weights(
        paths.touch_position,
        paths.lengths[paths.touch_path],
        rule=rule,
        half_life=half_life,
        first=first,
        last=last,
    )


def _credit(paths: PathTable, weights: FloatArray) -> HeuristicResult:
    row = paths.touch_path
    c = paths.n_channels
    return HeuristicResult(
        channels=paths.channels,
        conversions=np.asarray(
            np.bincount(paths.touches, weights=weights * paths.conversions[row], minlength=c),
            dtype=np.float64,
        ),
        value=np.asarray(
            np.bincount(paths.touches, weights=weights * paths.value[row], minlength=c), dtype=np.float64
        ),
    )


def first_touch(paths: PathTable) -> HeuristicResult:
    """All credit to the first touch of each converting path."""
    return _credit(paths, touch_weights(paths, rule="first_touch"))


def last_touch(paths: PathTable) -> HeuristicResult:
    """All credit to the last touch of each converting path."""
    return _credit(paths, touch_weights(paths, rule="last_touch"))


def linear(paths: PathTable) -> HeuristicResult:
    """Equal credit to every touch of a converting path (per touch, as ChannelAttribution)."""
    return _credit(paths, touch_weights(paths, rule="linear"))


def time_decay(paths: PathTable, *, half_life: float = 1.0) -> HeuristicResult:
    """Credit halving every ``half_life`` touches back from the conversion.

    A path table has no timestamps, so decay runs by position (see
    :func:`position_weights`); on journeys with timestamps use
    :func:`canyu.analytics.attribution.touch_credits`, whose half-life is in days.
    """
    return _credit(paths, touch_weights(paths, rule="time_decay", half_life=half_life))


def position_based(paths: PathTable, *, first: float = 0.4, last: float = 0.4) -> HeuristicResult:
    """40 % to the first touch, 40 % to the last, 20 % shared by the middle (defaults).

    One-touch paths give that touch 100 %, two-touch paths 50 % each.
    """
    return _credit(paths, touch_weights(paths, rule="position_based", first=first, last=last))
