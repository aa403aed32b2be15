"""Ingest: read files, map them to the data contract, validate, deduplicate, quarantine.

Every row read ends as loaded, duplicate or quarantined (with file, row,
field, value and reason), and the counts are recorded in ``imports``.
"""

from __future__ import annotations

from canyu.ingest._importer import ImportResult, import_batches, import_files
from canyu.ingest._mapping import (
    Mapping,
    MappingMatch,
    describe_mapping,
    load_mapping,
    match_mapping,
    rank_mappings,
    shipped_mappings,
)
from canyu.ingest._readers import clean_stale_temp, detect_encoding
from canyu.ingest._suggest import suggest_mappings
from canyu.ingest._validate import REASONS, neutralize_cell, quarantine_reason, render_reason

__all__ = [
    "REASONS",
    "ImportResult",
    "Mapping",
    "MappingMatch",
    "clean_stale_temp",
    "describe_mapping",
    "detect_encoding",
    "import_batches",
    "import_files",
    "load_mapping",
    "match_mapping",
    "neutralize_cell",
    "quarantine_reason",
    "rank_mappings",
    "render_reason",
    "shipped_mappings",
    "suggest_mappings",
]
