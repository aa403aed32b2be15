"""Diagnosis → strategy → action plan.

A :class:`Finding` is one piece of diagnosis with its evidence: what was
measured, what was expected, how bad the gap is, and what to do about it.
Analyses emit findings; the report lists them first.
"""

from __future__ import annotations

from canyu.plan._findings import SEVERITIES, Finding, rank_findings

__all__ = ["SEVERITIES", "Finding", "rank_findings"]
