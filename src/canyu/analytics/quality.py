"""Data quality: what each import read, loaded, found duplicate and quarantined, and why rows were rejected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis

from canyu.analytics.registry import register_analysis

if TYPE_CHECKING:
    import pandas as pd

    from canyu.session import AnalysisSession

__all__ = ["DataQuality", "data_quality"]


@dataclass(frozen=True)
class DataQuality:
    """The last imports (newest first) and the most common quarantine reasons."""

    imports: pd.DataFrame
    reasons: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"imports": self.imports, "reasons": self.reasons}


@register_analysis("data_quality", title=("Data quality", "数据质量"))
def data_quality(session: AnalysisSession, *, last: int = 200, top_reasons: int = 10) -> DataQuality:
    """Imports with rows read, loaded, duplicate and quarantined; the top quarantine reasons by table and field."""
    imp = session.table("imports")
    imports = session.to_pandas(
        imp.select(
            "batch_id",
            "source",
            "table_name",
            "started",
            "rows_in",
            "rows_loaded",
            "rows_duplicate",
            "rows_quarantined",
        )
        .order_by([ibis.desc("started"), "batch_id"])
        .limit(last)
    )
    q = session.table("quarantine")
    reasons = session.to_pandas(
        q.group_by(["table_name", "field"])
        .aggregate(rows=q.count(), example=q.reason.min())
        .order_by([ibis.desc("rows"), "table_name", "field"])
        .limit(top_reasons)
    )
    return DataQuality(imports=imports, reasons=reasons)
