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
import sys
import types
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
    "continue_simulation",
    "get_scenario",
    "import_simulation",
    "load_world",
    "read_plan_levers",
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


CONTINUATIONS = "continuations.json"  # the continuations of a simulated world, in order (replayed to go on)


def _read_json(path: Path, what: str, what_zh: str) -> Any:
    import json

    from canyu.errors import CanyuError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CanyuError(f"no {what} at {path}", message_zh=f"{path} 处没有{what_zh}") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise CanyuError(
            f"{path} is not a readable JSON {what}: {str(e).splitlines()[0]}",
            message_zh=f"{path} 不是可读的 JSON {what_zh}：{str(e).splitlines()[0]}",
        ) from None


def read_plan_levers(path: str | Path) -> Any:
    """The levers of a plan file: ``plan.json`` with a ``"levers"`` object (``canyu.levers/1``), or the object alone."""
    from canyu.errors import CanyuError
    from canyu.plan.levers import Levers

    raw = _read_json(Path(path), "plan file", "计划文件")
    if isinstance(raw, dict) and isinstance(raw.get("levers"), dict):
        raw = raw["levers"]
    elif not (isinstance(raw, dict) and raw.get("schema", "").startswith("canyu.levers/")):
        raise CanyuError(
            f'{path} has no "levers" object (schema canyu.levers/1); write one with canyu plan',
            message_zh=f"{path} 中没有 levers 对象（canyu.levers/1 格式）；可用 canyu plan 生成",
        )
    return Levers.from_dict(raw)


def load_world(files: str | Path) -> tuple[Any, Any, dict[str, Any]]:
    """Rebuild the simulated world of a folder of simulated files, as it stands after its continuations.

    The files' ``truth.json`` names the seed, scenario, population and period; the same seed gives the
    same people, graphs and events, so the world's state on its last day is rebuilt exactly, then each
    earlier continuation (``continuations.json``) is replayed under its levers. Returns the simulation
    (with its engine state), the people's account ids and the first period's truth.
    """
    from canyu.errors import CanyuError
    from canyu.plan.levers import Levers
    from canyu.simulate._continue import continue_run
    from canyu.simulate._ids import ChannelIds

    folder = Path(files)
    first = _read_json(folder / "truth.json", "simulation truth.json", "模拟的 truth.json")
    name = first.get("scenario") if isinstance(first, dict) else None
    if name not in SCENARIOS or "seed" not in first:
        raise CanyuError(
            f"{folder / 'truth.json'} is not the truth of a simulation with a named scenario",
            message_zh=f"{folder / 'truth.json'} 不是命名场景模拟的 truth.json",
        )
    sc = get_scenario(str(name))
    seed, people, days = int(first["seed"]), int(first["people"]), int(first["days"])
    start = dt.date.fromisoformat(first["start"])
    rng = np.random.default_rng(seed)
    world = build_world(rng, sc, people)
    sim = run(rng, world, sc, days)
    ids = ChannelIds.draw(np.random.default_rng([seed, 1]), people)
    log = folder / CONTINUATIONS
    for step in _read_json(log, "continuation log", "续跑记录") if log.exists() else []:
        sim = continue_run(
            sim, Levers.from_dict(step["levers"]), days=int(step["days"]), start=start, ids=ids
        )
    return sim, ids, first


def continue_simulation(
    files: str | Path, levers: Any, *, days: int = 30, ws: Any = None, progress: Any = None
) -> SimulationResult:
    """Continue the simulated world of ``files`` for ``days`` days under a plan's ``levers``.

    Same people and graphs, state carried over, common random numbers day by day (the same plan twice
    gives identical files; two plans differ only by their levers). The new days' files go into
    ``files/continue-NN/`` (events, orders, content figures, spend, contents, campaigns, mentions, with
    event ids that continue the world's), with a ``truth.json`` of the period (its levers, outcome, spend
    truth); with a workspace ``ws`` they are imported into it.
    """
    import json

    from canyu.simulate._continue import continue_run, outcome
    from canyu.simulate._export import CONTINUATION_FILES

    folder = Path(files)
    sim, ids, first = load_world(folder)
    start = dt.date.fromisoformat(first["start"])
    from canyu.errors import InvalidArgumentError

    if days < 1:
        raise InvalidArgumentError("days", days, ">= 1")
    log_path = folder / CONTINUATIONS
    steps = json.loads(log_path.read_text(encoding="utf-8")) if log_path.exists() else []
    new = continue_run(sim, levers, days=days, start=start, ids=ids)
    out = folder / f"continue-{len(steps) + 1:02d}"
    truth = write_files(new, out, seed=int(first["seed"]), start=start, dirty=False)
    truth["continuation"] = {
        "first_day": new.start_day,
        "first_date": (start + dt.timedelta(days=new.start_day)).isoformat(),
        "days": days,
        "levers": levers.to_dict(),
        "ignored_levers": list(getattr(new.state, "ignored", [])),
        "outcome": outcome(new).to_dict(),
        "outcome_definition": "conversions: purchases in the period; revenue: their paid value (refunds not "
        "deducted); active_people: people with any action but an exposure or a brand reply in the period",
    }
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )
    steps.append({"folder": out.name, "days": days, "levers": levers.to_dict()})
    log_path.write_text(json.dumps(steps, ensure_ascii=False, indent=1), encoding="utf-8")
    if ws is not None:
        from canyu.simulate._export import TEXT_FILES
        from canyu.store._schema import TABLES

        for name in CONTINUATION_FILES:
            table, mapping = FILES[name]
            ws.import_files([out / name], table=table, mapping=mapping, progress=progress)
        for name, (table, mapping) in TEXT_FILES.items():  # the texts, where the store has their table
            if table in TABLES:
                ws.import_files([out / name], table=table, mapping=mapping, progress=progress)
    return SimulationResult(
        out, {name: out / name for name in CONTINUATION_FILES}, truth, new.log.n - new.first_row
    )


class _CallablePackage(types.ModuleType):
    """This package, callable as :func:`simulate`: importing it rebinds ``canyu.simulate`` (a function
    until then, see ``canyu/__init__.py``) to the package, and ``canyu.simulate(...)`` must still run."""

    def __call__(self, path: str | Path, **options: Any) -> SimulationResult:
        return simulate(path, **options)


sys.modules[__name__].__class__ = _CallablePackage
