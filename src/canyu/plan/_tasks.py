"""The plan's records: tasks with their KPI and expected effect, the plan, and its JSON file.

:class:`Plan` round-trips through :meth:`Plan.to_dict` / :meth:`Plan.from_dict` (schema
``canyu.plan/1``, documented in docs/plan.md); :func:`save_plan` keeps the latest in the workspace's
``plans/`` folder, where ``canyu plan track`` and the report find it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canyu.errors import CanyuError, InvalidArgumentError
from canyu.plan.levers import Levers
from canyu.plan.strategy import BudgetSplit
from canyu.session import Period

__all__ = [
    "INTERVAL",
    "KPI",
    "OWNERS",
    "PLANS_FOLDER",
    "PLAN_SCHEMA",
    "Effect",
    "Plan",
    "Task",
    "load_plan",
    "save_plan",
]

PLAN_SCHEMA = "canyu.plan/1"
INTERVAL = 0.90
#: Owner roles of a task (code → zh, en).
OWNERS: dict[str, tuple[str, str]] = {
    "ops": ("运营", "Operations"),
    "content": ("内容", "Content"),
    "service": ("客服", "Customer service"),
    "ads": ("投放", "Paid media"),
    "community": ("社群", "Community"),
}
PLANS_FOLDER = "plans"

Text = tuple[str, str]


@dataclass(frozen=True)
class Effect:
    """An expected change with its 90% interval."""

    mean: float
    lo: float
    hi: float

    def to_dict(self) -> dict[str, float]:
        return {"mean": round(self.mean, 4), "lo": round(self.lo, 4), "hi": round(self.hi, 4)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Effect:
        return cls(float(raw["mean"]), float(raw["lo"]), float(raw["hi"]))

    def scaled(self, k: float) -> Effect:
        return Effect(self.mean * k, self.lo * k, self.hi * k)


ZERO = Effect(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class KPI:
    """What a task moves: a metric (see :func:`measure`) on a channel, its baseline, target and effect.

    ``kind`` is ``count`` (over the period; tracked pro rata) or ``level`` (a rate or a state);
    ``better`` is ``higher`` or ``lower``. ``of`` says what the baseline counts out of.
    """

    metric: str
    channel: str | None
    baseline: float
    target: float
    effect: Effect
    label: Text
    of: Text = ("", "")
    kind: str = "count"
    better: str = "higher"
    subject: str = ""

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        zh = locale.lower().startswith("zh")
        return {
            "metric": self.metric,
            "channel": self.channel,
            "subject": self.subject,
            "label": self.label[1] if zh else self.label[0],
            "label_en": self.label[0],
            "label_zh": self.label[1],
            "of_en": self.of[0],
            "of_zh": self.of[1],
            "baseline": round(self.baseline, 4),
            "target": round(self.target, 4),
            "effect": self.effect.to_dict(),
            "kind": self.kind,
            "better": self.better,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> KPI:
        return cls(
            metric=str(raw["metric"]),
            channel=raw.get("channel"),
            baseline=float(raw["baseline"]),
            target=float(raw["target"]),
            effect=Effect.from_dict(raw["effect"]),
            label=(str(raw.get("label_en", "")), str(raw.get("label_zh", ""))),
            of=(str(raw.get("of_en", "")), str(raw.get("of_zh", ""))),
            kind=str(raw.get("kind", "count")),
            better=str(raw.get("better", "higher")),
            subject=str(raw.get("subject", "")),
        )


@dataclass(frozen=True)
class Task:
    """One dated task of the plan."""

    key: str
    kind: str  # content, paid, seeding, node, interaction, service, community, fans, hit, repair
    title: Text
    channel: str | None
    owner: str
    start: dt.date
    due: dt.date
    budget: float
    kpi: KPI
    conversions: Effect
    evidence: dict[str, str]
    priority: str = "medium"
    rank: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    #: yuan a task without a budget is priced at for its priority (the plan's money per task: it takes
    #: staff time, which is not free; pricing it at one yuan put every unfunded task first)
    priced_at: float = 0.0

    @property
    def cost(self) -> float:
        """Yuan the task's priority divides by: its budget, else what it is priced at (at least 1 yuan)."""
        return self.budget if self.budget > 0 else max(self.priced_at, 1.0)

    @property
    def conversions_per_yuan(self) -> float:
        """Expected conversions per yuan of :attr:`cost`."""
        return self.conversions.mean / self.cost

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        zh = locale.lower().startswith("zh")
        return {
            "key": self.key,
            "kind": self.kind,
            "title": self.title[1] if zh else self.title[0],
            "title_en": self.title[0],
            "title_zh": self.title[1],
            "channel": self.channel,
            "owner": self.owner,
            "owner_label": OWNERS[self.owner][0 if zh else 1],
            "start": self.start.isoformat(),
            "due": self.due.isoformat(),
            "budget": round(self.budget, 2),
            "kpi": self.kpi.to_dict(locale),
            "conversions": self.conversions.to_dict(),
            "conversions_per_yuan": self.conversions_per_yuan,
            "priced_at": round(self.cost, 2),
            "priority": self.priority,
            "rank": self.rank,
            "evidence": dict(self.evidence),
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Task:
        return cls(
            key=str(raw["key"]),
            kind=str(raw["kind"]),
            title=(
                str(raw.get("title_en", raw.get("title", ""))),
                str(raw.get("title_zh", raw.get("title", ""))),
            ),
            channel=raw.get("channel"),
            owner=str(raw["owner"]),
            start=dt.date.fromisoformat(raw["start"]),
            due=dt.date.fromisoformat(raw["due"]),
            budget=float(raw["budget"]),
            kpi=KPI.from_dict(raw["kpi"]),
            conversions=Effect.from_dict(raw["conversions"]),
            evidence={str(k): str(v) for k, v in dict(raw.get("evidence", {})).items()},
            priority=str(raw.get("priority", "medium")),
            rank=int(raw.get("rank", 0)),
            detail=dict(raw.get("detail", {})),
            priced_at=float(raw.get("priced_at", raw.get("budget", 0.0)) or 0.0),
        )


@dataclass(frozen=True)
class Plan:
    """A dated action plan and the levers it sets."""

    brand: str
    period: Period
    baseline: Period
    budget: float
    objective: str
    currency: str
    timezone: str
    tasks: tuple[Task, ...]
    levers: Levers
    split: BudgetSplit
    strategy: dict[str, Any]
    created: str
    notes: tuple[Text, ...] = ()

    @property
    def days(self) -> int:
        return int(self.period.days or 0)

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        zh = locale.lower().startswith("zh")
        return {
            "schema": PLAN_SCHEMA,
            "brand": self.brand,
            "locale": locale,
            "created": self.created,
            "period": self.period.to_dict(),
            "baseline": self.baseline.to_dict(),
            "budget": round(self.budget, 2),
            "objective": self.objective,
            "currency": self.currency,
            "timezone": self.timezone,
            "budget_split": self.split.to_dict(locale)
            | {"reason_en": self.split.reason[0], "reason_zh": self.split.reason[1]},
            "strategy": self.strategy,
            "tasks": [t.to_dict(locale) for t in self.tasks],
            "notes": [n[1] if zh else n[0] for n in self.notes],
            "levers": self.levers.to_dict(),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Plan:
        if raw.get("schema") != PLAN_SCHEMA:
            raise InvalidArgumentError("plan.schema", raw.get("schema"), (PLAN_SCHEMA,))
        split = raw.get("budget_split", {})
        return cls(
            brand=str(raw.get("brand", "")),
            period=Period(
                dt.date.fromisoformat(raw["period"]["start"]), dt.date.fromisoformat(raw["period"]["end"])
            ),
            baseline=Period(
                dt.date.fromisoformat(raw["baseline"]["start"]), dt.date.fromisoformat(raw["baseline"]["end"])
            ),
            budget=float(raw["budget"]),
            objective=str(raw["objective"]),
            currency=str(raw.get("currency", "CNY")),
            timezone=str(raw.get("timezone", "Asia/Shanghai")),
            tasks=tuple(Task.from_dict(t) for t in raw.get("tasks", [])),
            levers=Levers.from_dict(raw.get("levers", {})),
            split=BudgetSplit(
                {str(k): float(v) for k, v in dict(split.get("allocation", {})).items()},
                str(split.get("source", "")),
                (str(split.get("reason_en", "")), str(split.get("reason_zh", ""))),
                {str(k): float(v) for k, v in dict(split.get("returns", {})).items()},
            ),
            strategy=dict(raw.get("strategy", {})),
            created=str(raw.get("created", "")),
        )


# -- saving and tracking -------------------------------------------------------------------
def save_plan(plan: Plan, workspace: Path, *, locale: str = "en") -> Path:
    """Write ``plan`` to ``<workspace>/plans/plan-<start>.json`` and ``plans/latest.json``."""
    folder = Path(workspace) / PLANS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(plan.to_dict(locale), ensure_ascii=False, indent=2)
    path = folder / f"plan-{plan.period.start}.json"
    path.write_text(text, encoding="utf-8")
    (folder / "latest.json").write_text(text, encoding="utf-8")
    return path


def load_plan(path: Path) -> Plan:
    """Read a plan JSON file (``canyu.plan/1``)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidArgumentError(
            "--plan",
            str(path),
            "an existing plan.json",
            reason=f"no plan at {path}; run canyu plan first",
            reason_zh=f"{path} 处没有计划；请先运行 canyu plan",
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(
            "--plan", str(path), "a plan JSON file", reason=f"{path} is not JSON: {exc}"
        ) from None
    if not isinstance(raw, dict):
        raise InvalidArgumentError("--plan", str(path), "a plan JSON object")
    try:
        return Plan.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, CanyuError):
            raise
        raise InvalidArgumentError(
            "--plan", str(path), "a canyu.plan/1 file", reason=f"{path}: missing or bad field {exc}"
        ) from None
