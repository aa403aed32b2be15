"""Media-mix modelling: what each yuan in each channel causes, with carry-over, saturation and intervals.

A Bayesian regression of the weekly target on adstocked, saturated spend per channel plus trend,
yearly seasonality, festival weeks (618, 双11, 年货节) and controls, after Jin et al. (2017),
"Bayesian Methods for Media Mix Modeling with Carryover and Shape Effects". Sampled with NUTS
(numpyro on JAX, chains vectorised); lift tests and attribution ROAS calibrate it. Every fit comes
with sampler diagnostics (:class:`Diagnostics`, ``ok`` False with reasons when R-hat, effective sample
size or divergences fail) and an out-of-sample check on the last weeks (:class:`HoldoutCheck`).

>>> from canyu.simulate import simulate_media_mix                      # doctest: +SKIP
>>> data = simulate_media_mix(weeks=150, seed=1)                        # doctest: +SKIP
>>> fit = fit_mmm(data.frame, date="week", target="revenue",            # doctest: +SKIP
...               channels=data.truth.channels, controls=data.controls)
>>> fit.metric("roas")                                                  # doctest: +SKIP
"""

from __future__ import annotations

from canyu.analytics.mmm._fit import MediaMixError, fit_mmm, min_weeks, mmm_from_file, read_mmm_file
from canyu.analytics.mmm._model import PRIORS
from canyu.analytics.mmm._result import (
    CHANNEL_METRICS,
    INTERVAL,
    Diagnostics,
    HoldoutCheck,
    MediaMixResult,
    PosteriorResponse,
)
from canyu.analytics.mmm._transforms import ADSTOCK_FORMS, HOLIDAYS, SATURATION_FORMS
from canyu.analytics.mmm._workspace import OUTCOMES, WorkspaceMediaMix, media_mix, weekly_frame

__all__ = [
    "ADSTOCK_FORMS",
    "CHANNEL_METRICS",
    "HOLIDAYS",
    "INTERVAL",
    "OUTCOMES",
    "PRIORS",
    "SATURATION_FORMS",
    "Diagnostics",
    "HoldoutCheck",
    "MediaMixError",
    "MediaMixResult",
    "PosteriorResponse",
    "WorkspaceMediaMix",
    "fit_mmm",
    "media_mix",
    "min_weeks",
    "mmm_from_file",
    "read_mmm_file",
    "weekly_frame",
]
