"""Which shipped mapping fits a file: each mapping's reader opens the file, its headers are matched."""

from __future__ import annotations

import tempfile
from pathlib import Path

from canyu.errors import CanyuError, IngestError
from canyu.ingest._mapping import MappingMatch, load_mapping, match_mapping, shipped_mappings
from canyu.ingest._readers import file_headers

__all__ = ["suggest_mappings"]


def suggest_mappings(path: str | Path, *, tmp_dir: Path | None = None) -> list[MappingMatch]:
    """Rank the shipped mappings against ``path``'s headers, best first (``canyu mappings suggest FILE``).

    Each mapping is tried with its own reader settings (header row, sheet, JSON records path), so
    an export with a title row is matched on its real headers. A mapping whose reader cannot open
    the file scores 0.

    Examples
    --------
    >>> best = suggest_mappings("tests/data/exports/douyin_daily.csv")[0]  # doctest: +SKIP
    >>> best.name, sorted(best.matched)  # doctest: +SKIP
    ('douyin_daily', ['comments', 'content_id', ...])
    """
    path = Path(path)
    if not path.exists():
        raise IngestError("no such file", message_zh="文件不存在", file=str(path))
    seen: dict[tuple[object, ...], list[str]] = {}
    found: list[MappingMatch] = []
    with tempfile.TemporaryDirectory(prefix="canyu-suggest-", dir=tmp_dir) as tmp:
        for name in sorted(shipped_mappings()):
            m = load_mapping(name)
            reader_key = (m.format, m.header_row, m.sheet, m.records, m.encoding, m.delimiter)
            if reader_key not in seen:
                try:
                    seen[reader_key] = file_headers(path, m, Path(tmp))
                except CanyuError:
                    seen[reader_key] = []
            found.append(match_mapping(m, seen[reader_key]))
    return sorted(found, key=lambda r: (-r.score, -len(r.matched), r.name))
