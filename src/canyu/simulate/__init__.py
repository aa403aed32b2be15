"""A brand's social ecosystem with known ground truth.

``simulate`` draws people, their platforms and social graphs, the brand's
channels, products, content calendar and campaigns, runs the behaviour chain
day by day (vectorized numpy), writes the files a brand would have (platform
exports with Chinese headers, shop orders in GB18030, the collector's event
file) and the ground truth beside them (``truth.json``,
``truth_people.parquet``, ``truth_edges.parquet``). The files are loaded
through the real importer with the shipped mappings, never inserted behind its
back.

>>> import canyu                                                     # doctest: +SKIP
>>> sim = canyu.simulate("sim-files", people=5000, days=30, seed=7)  # doctest: +SKIP
>>> sim.truth["channel_effects"]["effects"]["wecom"]                 # doctest: +SKIP
0.004
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from canyu.simulate._engine import run
from canyu.simulate._export import BRAND_ACCOUNT, FILES, TEXT_FILES, write_files
from canyu.simulate._media_mix import (
    DEFAULT_MEDIA_CHANNELS,
    MEDIA_MIX_SCENARIOS,
    MediaMixData,
    MediaMixTruth,
    simulate_media_mix,
)
from canyu.simulate._scenarios import SCENARIOS, Scenario, ScenarioError, check_scenario, get_scenario
from canyu.simulate._text import TOPIC_WORDS, TOPICS
from canyu.simulate._world import build_world

__all__ = [
    "DEFAULT_MEDIA_CHANNELS",
    "FILES",
    "MEDIA_MIX_SCENARIOS",
    "SCENARIOS",
    "MediaMixData",
    "MediaMixTruth",
    "Scenario",
    "ScenarioError",
    "SimulationResult",
    "get_scenario",
    "import_simulation",
    "simulate",
    "simulate_media_mix",
]


@dataclass(frozen=True)
class SimulationResult:
    """Where the files are, and the truth."""

    path: Path
    files: dict[str, Path]
    truth: dict[str, Any]
    events: int


def simulate(
    path: str | Path,
    *,
    people: int = 50_000,
    days: int = 90,
    seed: int = 7,
    scenario: str | Scenario = "default",
    start: dt.date = dt.date(2026, 8, 1),
    dirty: bool = False,
    **overrides: Any,
) -> SimulationResult:
    """Simulate a brand and write its files into ``path``.

    Parameters
    ----------
    people, days
        Size of the population and length of the period.
    seed
        The same seed gives byte-identical files.
    scenario
        One of :data:`SCENARIOS` (``default``, ``wrong-roles``, ``viral-launch``, ``weak-agenda``,
        ``audience-leads``, ``no-agenda``), or a :class:`Scenario` (e.g. ``dataclasses.replace`` of one).
    dirty
        Append known broken rows (listed in ``truth.json['dirty_rows']``) that the importer must quarantine.
    **overrides
        Scenario knobs to replace, e.g. ``agenda_strength=0.2, agenda_lag_days=5``.
    """
    if isinstance(scenario, Scenario):
        check_scenario(scenario)
        sc = replace(scenario, **overrides) if overrides else scenario
        check_scenario(sc)
    else:
        sc = get_scenario(scenario, **overrides)
    from canyu.errors import InvalidArgumentError

    if people < 100:
        raise InvalidArgumentError("people", people, ">= 100")
    if days < 7:
        raise InvalidArgumentError("days", days, ">= 7")
    rng = np.random.default_rng(seed)
    world = build_world(rng, sc, people)
    sim = run(rng, world, sc, days)
    out = Path(path)
    truth = write_files(sim, out, seed=seed, start=start, dirty=dirty)
    return SimulationResult(out, {name: out / name for name in {**FILES, **TEXT_FILES}}, truth, sim.log.n)


def import_simulation(ws: Any, files: Path, *, progress: Any = None) -> list[Any]:
    """Import the simulated files into a workspace with their shipped mappings (in dependency order).

    The simulated brand's own accounts are declared in the workspace's canyu.toml
    ``[accounts]`` (as a brand declares its real ones), so analyses tell them from people.
    """
    results = []
    for name, (table, mapping) in FILES.items():
        results += ws.import_files([files / name], table=table, mapping=mapping, progress=progress)
    for name, (table, mapping) in TEXT_FILES.items():  # public discussion, when the files have it
        if (files / name).exists():
            results += ws.import_files([files / name], table=table, mapping=mapping, progress=progress)
    accounts = dict(ws.config.accounts)
    for channel, account in BRAND_ACCOUNT.items():
        accounts.setdefault(channel, (account,))
    # the simulated brand's topic taxonomy (topic -> seed words), as a brand declares its own
    topics = dict(ws.config.topics) or {name: (name, *TOPIC_WORDS[name]) for name in TOPICS}
    ws.update_config(accounts=accounts, topics=topics)
    return results
