"""Findings: the unit of diagnosis shared by analytics, plan and report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "Finding", "rank_findings"]

# Most severe first.
SEVERITIES = ("critical", "high", "medium", "low", "info")


@dataclass(frozen=True)
class Finding:
    """One diagnosed fact, in both languages.

    Parameters
    ----------
    key
        A stable identifier, e.g. ``"channel_role_mismatch:weibo"``.
    metric
        What was measured (en, zh).
    value
        The measured value.
    expectation
        What the product profile, a benchmark or the playbook expects (en, zh).
    severity
        One of :data:`SEVERITIES`.
    evidence
        Figures that support the finding (small, JSON-able).
    action
        What to do (en, zh).
    section
        The report section that shows the evidence.
    """

    key: str
    metric: tuple[str, str]
    value: float | str
    expectation: tuple[str, str]
    severity: str
    action: tuple[str, str]
    evidence: dict[str, Any] = field(default_factory=dict)
    section: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            from canyu.errors import UnknownNameError

            raise UnknownNameError("severity", self.severity, SEVERITIES)

    def text(self, field_name: str, locale: str) -> str:
        """``metric``, ``expectation`` or ``action`` in ``locale``."""
        en, zh = getattr(self, field_name)
        return zh if locale.lower().startswith("zh") else en

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {
            "key": self.key,
            "metric": self.text("metric", locale),
            "value": self.value,
            "expectation": self.text("expectation", locale),
            "severity": self.severity,
            "evidence": self.evidence,
            "action": self.text("action", locale),
            "section": self.section,
        }


def rank_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; ties keep their order."""
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
