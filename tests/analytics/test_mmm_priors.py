"""The model's priors and its Hill parametrisation, checked by running the model once (no sampling).

The Hill curve is sampled in the coordinates the data see — ``u``, the saturation at the channel's
mean spend, and the slope ``s >= 1`` — with the half point derived, ``k = ((1 - u) / u)^(1/s)``. These
tests pin that the derived ``k`` puts the curve at ``u`` at mean spend with elasticity ``s (1 - u)``
(closed forms), that ``s < 1`` never occurs, and that the prior on the media effects is set on their
total and split by share of spend.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from canyu.analytics.mmm._model import M_SCALE, PRIORS, _model
from canyu.analytics.mmm._transforms import saturation_np


def _data(
    n_ch: int = 3, weeks: int = 30, spend: tuple[float, ...] = (1.0, 2.0, 5.0)
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    share = np.asarray(spend[:n_ch]) / sum(spend[:n_ch])
    return {
        "stack": rng.uniform(0.2, 2.0, (13, weeks, n_ch)).astype(np.float32),
        "y": rng.uniform(0.8, 1.2, weeks).astype(np.float32),
        "trend": np.linspace(0, 1, weeks, dtype=np.float32),
        "fourier": np.zeros((weeks, 0), np.float32),
        "holidays": np.zeros((weeks, 0), np.float32),
        "controls": np.zeros((weeks, 0), np.float32),
        "lift_mask": np.zeros((0, weeks, n_ch), np.float32),
        "lift_obs": np.zeros(0, np.float32),
        "lift_se": np.zeros(0, np.float32),
        "roas_index": np.zeros(0, np.int32),
        "roas_obs": np.zeros(0, np.float32),
        "roas_sd": np.zeros(0, np.float32),
        "spend_total": np.full(n_ch, weeks, np.float32),
        "m_scale": (M_SCALE * share).astype(np.float32),
    }


def _trace(saturation: str, seed: int) -> dict[str, np.ndarray]:
    import jax
    from numpyro import handlers

    model = functools.partial(_model, saturation=saturation, adstock="geometric")
    data = _data()
    tr = handlers.trace(handlers.seed(model, jax.random.PRNGKey(seed))).get_trace(
        data, np.ones(data["y"].shape[0], dtype=bool)
    )
    return {k: np.asarray(v["value"], dtype=float) for k, v in tr.items()} | {
        f"{k}:scale": np.asarray(getattr(v["fn"], "scale", np.nan), dtype=float)
        for k, v in tr.items()
        if v["type"] == "sample" and hasattr(v["fn"], "scale")
    }


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_hill_half_point_puts_the_curve_at_u_with_elasticity_s_one_minus_u(seed: int) -> None:
    t = _trace("hill", seed)
    u, s, k = t["u"], t["shape"], t["half"]
    assert np.all(s >= 1.0)
    np.testing.assert_allclose(s, 1.0 + t["shape_excess"], rtol=1e-6)
    # sat(1) = 1 / (1 + k^s) = u, in canyu's numpy saturation (an independent code path from the JAX model).
    np.testing.assert_allclose(saturation_np(np.ones(3), "hill", k, s), u, rtol=1e-4)
    # Elasticity at mean spend, by a central difference on log spend, against s (1 - u).
    h = 1e-4
    up = np.log(saturation_np(np.full(3, np.exp(h)), "hill", k, s))
    dn = np.log(saturation_np(np.full(3, np.exp(-h)), "hill", k, s))
    np.testing.assert_allclose((up - dn) / (2 * h), s * (1 - u), rtol=1e-3)


def test_media_prior_is_set_on_the_total_and_split_by_spend_share() -> None:
    t = _trace("logistic", 0)
    scale = t["m:scale"]
    np.testing.assert_allclose(scale.sum(), M_SCALE, rtol=1e-6)
    np.testing.assert_allclose(scale / scale.sum(), np.array([1.0, 2.0, 5.0]) / 8.0, rtol=1e-6)
    assert "half" in t and "u" not in t  # the logistic form keeps its half-point prior
    assert any("spend share" in v[0] for v in PRIORS.values())
