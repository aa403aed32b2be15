"""The Bayesian media-mix model (numpyro), its priors, and the NUTS run.

Weekly target, scaled by its training mean ``ȳ``::

    y_t / ȳ = b0 + b1·t + Σ_k F_tk·γ_k + Σ_h H_th·η_h + Σ_j Z_tj·ζ_j
              + Σ_c β_c · sat_c(adstock_c(x_c)_t) + ε_t,         ε_t ~ Normal(0, σ)

with spend ``x_c`` divided by its mean, normalised geometric or delayed adstock and Hill or logistic
saturation (Jin et al. 2017, eqs. 1-4). ``β_c`` is parametrised through ``m_c``, the channel's weekly
contribution at its mean spend, ``β_c = m_c / sat_c(1)``: ``m_c`` is what the data identify best
(the level of the effect), so the sampler does not walk the ridge between ``β`` and the half point.

Calibration (Jin et al. 2017 §5; Zhang et al. 2023 "Media Mix Model Calibration With Bayesian
Priors"): each lift test adds a likelihood term ``Normal(Σ_{t∈period} contrib_ct, se)`` for its
measured incremental outcome, and each attribution ROAS adds ``Normal(ROAS_c, sd)``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from canyu.analytics.mmm._transforms import LAGS, jax_saturation, jax_weights

__all__ = ["PRIORS", "ModelData", "run_nuts"]

#: LogNormal(mu, sigma) of the half-saturation point, in units of the channel's mean weekly spend.
HALF_PRIOR: tuple[float, float] = (0.0, 0.7)
#: HalfNormal scale of the media effects together, in mean-target units; each channel gets its share of
#: spend of it (``m_c ~ HalfNormal(M_SCALE * spend_c / Σ spend)``).
M_SCALE: float = 0.5

# Prior of each parameter and why; docs/mmm.md renders the same table.
PRIORS: dict[str, tuple[str, str]] = {
    "intercept": (
        "Normal(0.5, 0.5)",
        "baseline as a share of mean target; media rarely drive more than half",
    ),
    "trend": ("Normal(0, 0.5)", "change over the whole period, in mean-target units: ±50% is generous"),
    "seasonality": ("Normal(0, 0.25)", "Fourier coefficients (yearly, order 2): swings of ±25% at most"),
    "holiday": ("Normal(0, 0.5)", "618 / 双11 / 年货节 weeks can lift sales by half a normal week"),
    "control": ("Normal(0, 0.25)", "per standard deviation of a standardised control"),
    "m (contribution at mean spend)": (
        "HalfNormal(0.5 x spend share)",
        "a channel's weekly effect at its usual spend, in mean-target units; positive (spend does not "
        "destroy sales). The scale is set on all media together (up to about half the target) and "
        "split by share of spend, so the prior total does not grow with the number of channels",
    ),
    "alpha (carry-over)": ("Beta(2, 2)", "carry-over anywhere in (0, 1), kept off the edges 0 and 1"),
    "theta (delay, delayed adstock)": ("Uniform(0, 4)", "peak effect within a month of the spend"),
    "k (logistic half saturation)": (
        "LogNormal(0, 0.7)",
        "in units of the channel's mean weekly spend: half-saturated between 0.3x and 3x usual spend",
    ),
    "u (Hill: saturation at mean spend)": (
        "Beta(2, 2)",
        "how far along its curve the usual spend sits; the half point follows, k = ((1-u)/u)^(1/s)",
    ),
    "s (Hill slope)": (
        "1 + HalfNormal(1)",
        "at least 1 (below 1 the first yuan would return without bound); S-shaped up to about 3",
    ),
    "sigma": ("HalfNormal(0.2)", "weekly noise, in mean-target units"),
    "saturation form (saturation='average')": (
        "Hill or logistic, 1/2 each",
        "the two curves fit the spend observed equally well and differ at the foot, where ROAS is decided; "
        "a weight chosen from the data (the holdout check) picked the worse form in 4 of 7 tuning cases",
    ),
}


@dataclass(frozen=True)
class ModelData:
    """Arrays the model reads; built by :func:`canyu.analytics.mmm.fit_mmm`."""

    stack: np.ndarray  # (L, T, C) lagged spend / mean spend
    y: np.ndarray  # (T,) target / training mean
    trend: np.ndarray  # (T,) 0..1 over the rows
    fourier: np.ndarray  # (T, F)
    holidays: np.ndarray  # (T, H)
    controls: np.ndarray  # (T, J), standardised
    lift_mask: np.ndarray  # (E, T, C) 1 where a lift test covers (week, channel)
    lift_obs: np.ndarray  # (E,) scaled incremental outcome
    lift_se: np.ndarray  # (E,)
    roas_index: np.ndarray  # (R,) channel index of each ROAS prior
    roas_obs: np.ndarray  # (R,) ROAS in scaled units (mean target per mean spend)
    roas_sd: np.ndarray  # (R,)
    spend_total: np.ndarray  # (C,) total scaled spend over the rows
    m_scale: np.ndarray  # (C,) HalfNormal scale of m: M_SCALE x the channel's share of spend
    saturation: str
    adstock: str


def _model(data: dict[str, Any], mask: Any, *, saturation: str, adstock: str) -> None:
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist

    _, _, n_ch = data["stack"].shape
    intercept = numpyro.sample("intercept", dist.Normal(0.5, 0.5))
    slope = numpyro.sample("trend", dist.Normal(0.0, 0.5))
    mu = intercept + slope * data["trend"]
    if data["fourier"].shape[1]:
        gamma = numpyro.sample(
            "seasonality", dist.Normal(0.0, 0.25).expand([data["fourier"].shape[1]]).to_event(1)
        )
        mu = mu + data["fourier"] @ gamma
    if data["holidays"].shape[1]:
        eta = numpyro.sample("holiday", dist.Normal(0.0, 0.5).expand([data["holidays"].shape[1]]).to_event(1))
        mu = mu + data["holidays"] @ eta
    if data["controls"].shape[1]:
        zeta = numpyro.sample(
            "control", dist.Normal(0.0, 0.25).expand([data["controls"].shape[1]]).to_event(1)
        )
        mu = mu + data["controls"] @ zeta

    with numpyro.plate("channel", n_ch):
        # Scale of each channel's effect in proportion to its share of spend: the prior is set on the
        # total media effect (M_SCALE of the target, split by spend), not per channel, so it does not
        # grow with the number of channels.
        m = numpyro.sample("m", dist.HalfNormal(data["m_scale"]))
        alpha = numpyro.sample("alpha", dist.Beta(2.0, 2.0))
        if saturation == "hill":
            # Hill in the coordinates the data see: u = sat(mean spend) and slope s >= 1 (s < 1 would
            # make the first yuan's return infinite); the half point follows, k = ((1 - u) / u)^(1/s).
            u = numpyro.sample("u", dist.Beta(2.0, 2.0))
            shape = numpyro.deterministic("shape", 1.0 + numpyro.sample("shape_excess", dist.HalfNormal(1.0)))
            half = numpyro.deterministic("half", ((1.0 - u) / u) ** (1.0 / shape))
        else:
            half = numpyro.sample("half", dist.LogNormal(*HALF_PRIOR))
            shape = jnp.ones(n_ch)
        theta = numpyro.sample("theta", dist.Uniform(0.0, 4.0)) if adstock == "delayed" else None
    w = jax_weights(alpha, theta, LAGS)  # (L, C)
    ad = jnp.einsum("ltc,lc->tc", data["stack"], w)
    beta = m / jax_saturation(jnp.ones(n_ch), saturation, half, shape)
    contrib = beta * jax_saturation(ad, saturation, half, shape)  # (T, C)
    mu = mu + contrib.sum(axis=1)
    sigma = numpyro.sample("sigma", dist.HalfNormal(0.2))
    numpyro.sample("y", dist.Normal(mu, sigma).mask(mask), obs=data["y"])
    if data["lift_obs"].shape[0]:
        implied = jnp.einsum("etc,tc->e", data["lift_mask"], contrib)
        numpyro.sample("lift", dist.Normal(implied, data["lift_se"]), obs=data["lift_obs"])
    if data["roas_obs"].shape[0]:
        roas = contrib.sum(axis=0) / data["spend_total"]
        numpyro.sample(
            "roas_prior",
            dist.Normal(roas[data["roas_index"]], data["roas_sd"]),
            obs=data["roas_obs"],
        )


def _compile_cache() -> None:
    """Keep XLA's compiled sampler on disk: compiling NUTS costs more CPU than sampling this model, and
    fits of the same shape (same weeks, channels, controls) then skip it. ``CANYU_JAX_CACHE=off``
    disables it; the default folder is ``$XDG_CACHE_HOME/canyu/jax``."""
    import jax

    path = os.environ.get("CANYU_JAX_CACHE")
    if path is None:
        path = str(Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "canyu" / "jax")
    if path.lower() in ("", "0", "off", "none"):
        return
    try:
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    except (AttributeError, ValueError):  # an older jax without the option: compile every time
        pass


def run_nuts(
    data: ModelData,
    masks: Sequence[np.ndarray],
    *,
    chains: int,
    warmup: int,
    draws: int,
    seed: int,
    target_accept: float = 0.9,
) -> list[dict[str, Any]]:
    """Run NUTS once per likelihood mask, reusing one compiled sampler; chains are vectorised.

    Returns, per mask, ``{"samples": {name: (chains, draws, ...)}, "diverging": (chains, draws)}``.
    """
    import jax
    import numpyro
    from numpyro.infer import MCMC, NUTS, init_to_median

    numpyro.enable_x64(False)
    _compile_cache()
    arrays = {k: v for k, v in data.__dict__.items() if isinstance(v, np.ndarray)}
    model = functools.partial(_model, saturation=data.saturation, adstock=data.adstock)
    kernel = NUTS(
        model, target_accept_prob=target_accept, dense_mass=True, init_strategy=init_to_median(num_samples=15)
    )
    mcmc = MCMC(
        kernel,
        num_warmup=warmup,
        num_samples=draws,
        num_chains=chains,
        chain_method="vectorized",
        progress_bar=False,
        jit_model_args=True,
    )
    out = []
    key = jax.random.PRNGKey(seed)
    for mask in masks:
        key, sub = jax.random.split(key)
        mcmc.run(sub, arrays, np.asarray(mask, dtype=bool), extra_fields=("diverging", "num_steps"))
        samples = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
        diverging = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])
        steps = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["num_steps"])
        out.append({"samples": samples, "diverging": diverging, "num_steps": steps})
    return out
