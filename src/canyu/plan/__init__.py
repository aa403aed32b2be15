"""Diagnosis → strategy → action plan.

A :class:`Finding` is one piece of diagnosis with its evidence: what was
measured, what was expected, how bad the gap is, and what to do about it.
Rules registered by name (:func:`register_rule`) read analysis results through
the analysis session, state the test that makes them fire, and emit findings;
:func:`diagnose` runs them. Analyses return scores only.
"""

from __future__ import annotations

from canyu.plan._findings import SEVERITIES, Finding, rank_findings
from canyu.plan._rules import RULES, Rule, diagnose, get_rule, register_rule, rule_names

__all__ = [
    "RULES",
    "SEVERITIES",
    "Finding",
    "Rule",
    "diagnose",
    "get_rule",
    "rank_findings",
    "register_rule",
    "rule_names",
]
