"""The model registry, the options every model reads, and the result they share.

Models register by name in :data:`MODELS` (``first_touch``, ``last_touch``,
``linear``, ``time_decay``, ``position_based``, ``markov``, ``shapley``); a model
is a function ``(PathTable, AttributionOptions) -> ChannelCredits``.
:func:`attribute` runs one, several or all of them and returns one tidy table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from canyu.analytics.attribution import _heuristics as heuristics
from canyu.analytics.attribution._markov import History, Weighting, markov_attribution
from canyu.analytics.attribution._paths import PathTable, read_path_csv
from canyu.analytics.attribution._shapley import ValueFunction, shapley
from canyu.errors import UnknownNameError

__all__ = [
    "MODELS",
    "RESULT_COLUMNS",
    "AttributionOptions",
    "AttributionResult",
    "ChannelCredits",
    "attribute",
    "attribute_path_file",
    "get_model",
    "register_model",
]

FloatArray = npt.NDArray[np.float64]
RESULT_COLUMNS = (
    "model",
    "channel",
    "conversions",
    "value",
    "removal_effect",
    "removal_effect_value",
    "conversions_se",
)
"""Columns of :attr:`AttributionResult.table`."""


@dataclass(frozen=True)
class AttributionOptions:
    """Options of the registered models; each model reads the ones it documents.

    Attributes
    ----------
    order, collapse_repeats, history, weighting
        Markov chain (see :func:`~canyu.analytics.attribution.markov_chain`).
    half_life
        ``time_decay`` on a path table: half-life in touches before the conversion.
    first_share, last_share
        ``position_based``: shares of the first and last touch (40 % / 40 %).
    shapley_value, max_exact, n_permutations, seed
        Shapley (see :func:`~canyu.analytics.attribution.shapley`).
    """

    order: int = 1
    collapse_repeats: bool = False
    history: History = "windows"
    weighting: Weighting = "journeys"
    half_life: float = 1.0
    first_share: float = 0.4
    last_share: float = 0.4
    shapley_value: ValueFunction = "conversions"
    max_exact: int = 15
    n_permutations: int = 2000
    seed: int = 0


@dataclass(frozen=True, eq=False)
class ChannelCredits:
    """What one model returns: credits per channel, plus model-specific figures."""

    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    removal_effect: FloatArray | None = None
    removal_effect_value: FloatArray | None = None
    conversions_se: FloatArray | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


Model = Callable[[PathTable, AttributionOptions], ChannelCredits]
MODELS: dict[str, Model] = {}
"""Registered attribution models by name."""


def register_model(name: str) -> Callable[[Model], Model]:
    """Decorator: register ``model`` under ``name`` (replacing any model of that name)."""

    def add(model: Model) -> Model:
        MODELS[name] = model
        return model

    return add


def get_model(name: str) -> Model:
    """The model registered as ``name``; :class:`~canyu.errors.UnknownNameError` lists the valid ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise UnknownNameError("attribution model", name, list(MODELS)) from None


@register_model("first_touch")
def _first_touch(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = heuristics.first_touch(paths)
    return ChannelCredits(r.channels, r.conversions, r.value)


@register_model("last_touch")
def _last_touch(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = heuristics.last_touch(paths)
    return ChannelCredits(r.channels, r.conversions, r.value)


@register_model("linear")
def _linear(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = heuristics.linear(paths)
    return ChannelCredits(r.channels, r.conversions, r.value)


@register_model("time_decay")
def _time_decay(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = heuristics.time_decay(paths, half_life=options.half_life)
    return ChannelCredits(
        r.channels, r.conversions, r.value, details={"half_life_touches": options.half_life}
    )


@register_model("position_based")
def _position_based(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = heuristics.position_based(paths, first=options.first_share, last=options.last_share)
    return ChannelCredits(
        r.channels, r.conversions, r.value, details={"first": options.first_share, "last": options.last_share}
    )


@register_model("markov")
def _markov(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = markov_attribution(
        paths,
        order=options.order,
        collapse_repeats=options.collapse_repeats,
        history=options.history,
        weighting=options.weighting,
    )
    return ChannelCredits(
        r.channels,
        r.conversions,
        r.value,
        removal_effect=r.removal_effects,
        removal_effect_value=r.removal_effects_value,
        details={
            "order": options.order,
            "collapse_repeats": options.collapse_repeats,
            "history": options.history,
            "weighting": options.weighting,
            "conversion_probability": r.conversion_probability,
            "states": len(r.chain.states),
        },
    )


@register_model("shapley")
def _shapley(paths: PathTable, options: AttributionOptions) -> ChannelCredits:
    r = shapley(
        paths,
        value_function=options.shapley_value,
        max_exact=options.max_exact,
        n_permutations=options.n_permutations,
        seed=options.seed,
    )
    return ChannelCredits(
        r.channels,
        r.conversions,
        r.value,
        conversions_se=r.conversions_se,
        details={"value_function": r.value_function, "method": r.method},
    )


@dataclass(frozen=True, eq=False)
class AttributionResult:
    """Credits of one or more models, as one tidy table.

    Attributes
    ----------
    table
        pandas DataFrame with :data:`RESULT_COLUMNS`, one row per model and channel.
        ``removal_effect`` (and ``removal_effect_value``) are set for ``markov`` only,
        ``conversions_se`` for sampled Shapley values only; NaN elsewhere.
    total_conversions, total_value, journeys
        Totals of the path table; each model's credits sum to the first two.
    options
        The options the models ran with.
    details
        Per model, its own figures (e.g. Markov's ``conversion_probability``).
    """

    table: pd.DataFrame
    total_conversions: float
    total_value: float
    journeys: float
    options: AttributionOptions
    details: Mapping[str, Mapping[str, Any]]

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.details)

    def credits(self, model: str) -> pd.DataFrame:
        """The rows of one model, indexed by channel."""
        if model not in self.models:
            raise UnknownNameError("attribution model", model, self.models)
        return self.table[self.table["model"] == model].set_index("channel")

    def wide(self, column: str = "conversions") -> pd.DataFrame:
        """``column`` as a channel × model table."""
        return self.table.pivot(index="channel", columns="model", values=column).reindex(
            columns=list(self.models)
        )

    def to_arrow(self) -> Any:
        import pyarrow as pa

        return pa.Table.from_pandas(self.table, preserve_index=False)

    def to_dict(self) -> dict[str, Any]:
        """Totals, options and, per model, each channel's conversions and value (and removal effects)."""
        models: dict[str, Any] = {}
        for name in self.models:
            rows = self.credits(name)
            channels: dict[str, Any] = {}
            for channel, row in rows.iterrows():
                entry = {"conversions": float(row["conversions"]), "value": float(row["value"])}
                for optional in ("removal_effect", "removal_effect_value", "conversions_se"):
                    if not math.isnan(row[optional]):
                        entry[optional] = float(row[optional])
                channels[str(channel)] = entry
            models[name] = {**_plain(self.details.get(name, {})), "channels": channels}
        return {
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
            "journeys": self.journeys,
            "options": _plain(asdict(self.options)),
            "models": models,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON (non-ASCII channel names kept as they are)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def attribute(
    paths: PathTable | pd.DataFrame,
    *,
    model: str | Sequence[str] = "all",
    order: int = 1,
    collapse_repeats: bool = False,
    history: History = "windows",
    weighting: Weighting = "journeys",
    half_life: float = 1.0,
    first_share: float = 0.4,
    last_share: float = 0.4,
    shapley_value: ValueFunction = "conversions",
    max_exact: int = 15,
    n_permutations: int = 2000,
    seed: int = 0,
) -> AttributionResult:
    """Attribute the conversions of ``paths`` to channels with one, several or all models.

    Parameters
    ----------
    paths
        A :class:`PathTable`, or a DataFrame in ChannelAttribution's path format.
    model
        ``"all"``, a registered name (see :data:`MODELS`) or a list of names.
    order, collapse_repeats, history, weighting, half_life, first_share, last_share,
    shapley_value, max_exact, n_permutations, seed
        See :class:`AttributionOptions`.

    Examples
    --------
    >>> import pandas as pd
    >>> from canyu.analytics.attribution import attribute
    >>> df = pd.DataFrame({"path": ["weibo > wechat_oa", "weibo"], "total_conversions": [2, 1],
    ...                    "total_conversion_value": [200.0, 50.0], "total_null": [3, 4]})
    >>> attribute(df, model="last_touch").wide()["last_touch"].to_dict()
    {'wechat_oa': 2.0, 'weibo': 1.0}
    """
    table = paths if isinstance(paths, PathTable) else PathTable.from_frame(paths)
    names = list(MODELS) if model == "all" else [model] if isinstance(model, str) else list(model)
    runners = {name: get_model(name) for name in names}
    options = AttributionOptions(
        order=order,
        collapse_repeats=collapse_repeats,
        history=history,
        weighting=weighting,
        half_life=half_life,
        first_share=first_share,
        last_share=last_share,
        shapley_value=shapley_value,
        max_exact=max_exact,
        n_permutations=n_permutations,
        seed=seed,
    )
    frames = []
    details: dict[str, Mapping[str, Any]] = {}
    for name, run in runners.items():
        credits = run(table, options)
        frames.append(_frame(name, credits))
        details[name] = dict(credits.details)
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(RESULT_COLUMNS))
    return AttributionResult(
        table=result,
        total_conversions=table.total_conversions,
        total_value=table.total_value,
        journeys=float((table.conversions + table.nulls).sum()),
        options=options,
        details=details,
    )


def attribute_path_file(
    path: str | Path,
    *,
    model: str | Sequence[str] = "all",
    order: int = 1,
    path_sep: str = ">",
    **options: Any,
) -> AttributionResult:
    """Read a ChannelAttribution path CSV (see :func:`read_path_csv`) and :func:`attribute` it.

    ``options`` are the keyword options of :func:`attribute`. Raises
    :class:`~canyu.errors.IngestError` for a bad file and
    :class:`~canyu.errors.UnknownNameError` for an unknown model, before any model runs.
    """
    names = list(MODELS) if model == "all" else [model] if isinstance(model, str) else list(model)
    for name in names:
        get_model(name)
    return attribute(read_path_csv(path, path_sep=path_sep), model=model, order=order, **options)


def _frame(name: str, credits: ChannelCredits) -> pd.DataFrame:
    n = len(credits.channels)
    nan = np.full(n, np.nan)

    def column(values: FloatArray | None) -> FloatArray:
        return nan if values is None else np.asarray(values, dtype=np.float64)

    return pd.DataFrame(
        {
            "model": name,
            "channel": list(credits.channels),
            "conversions": column(credits.conversions),
            "value": column(credits.value),
            "removal_effect": column(credits.removal_effect),
            "removal_effect_value": column(credits.removal_effect_value),
            "conversions_se": column(credits.conversions_se),
        },
        columns=list(RESULT_COLUMNS),
    )


def _plain(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (numpy scalars to Python)."""
    return {k: (v.item() if isinstance(v, np.generic) else v) for k, v in mapping.items()}
