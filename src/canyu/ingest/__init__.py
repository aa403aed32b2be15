"""Ingest: read files, map them to the data contract, validate, deduplicate, quarantine.

Every row read ends as loaded, duplicate or quarantined (with file, row,
field, value and reason), and the counts are recorded in ``imports``.
"""

from __future__ import annotations

from canyu.ingest._importer import ImportResult, import_batches, import_files
from canyu.ingest._mapping import Mapping, load_mapping, shipped_mappings
from canyu.ingest._readers import detect_encoding

__all__ = [
    "ImportResult",
    "Mapping",
    "detect_encoding",
    "import_batches",
    "import_files",
    "load_mapping",
    "shipped_mappings",
]
