"""The docs name what the code has."""

from __future__ import annotations

from pathlib import Path

from canyu.ingest import shipped_mappings
from canyu.store import TABLES

DOCS = Path(__file__).parents[1] / "docs"


def test_data_contract_names_every_table_and_column() -> None:
    text = (DOCS / "data-contract.md").read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"## `{table.name}`" in text
        for col in table.columns:
            assert f"| `{col.name}` | {col.type} |" in text, (table.name, col.name)
    for name in shipped_mappings():
        assert f"`{name}`" in text
