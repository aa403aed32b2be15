"""The tables of a workspace: columns, types, keys and enums.

This is the data contract of ``shared/DESIGN.md`` in code, plus the tables
canyu keeps for itself (``quarantine``, ``deletions``, ``paths``). Types are
DuckDB SQL type names; the Parquet files of the Spark engine use the same
types through Arrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from canyu import vocab

__all__ = ["IMPORTABLE", "TABLES", "Column", "TableSchema"]


@dataclass(frozen=True)
class Column:
    """One column: its SQL type, whether a row may leave it empty, its valid codes."""

    name: str
    type: str  # VARCHAR, TIMESTAMP (UTC, naive), DATE, DOUBLE, BIGINT, JSON (stored as VARCHAR)
    required: bool = False
    enum: tuple[str, ...] = ()
    doc: str = ""
    # Stored without compression: for columns of near-unique random-looking strings (hashed or
    # opaque ids), where DuckDB's dictionary/FSST analysis costs most of the write and saves little.
    # At 10M events, event_id, user_id and person_id uncompressed cut the INSERT from 16.6 s to 9.1 s
    # for a file of 574 instead of 356 MB (docs/data-contract.md, session 12).
    uncompressed: bool = False


@dataclass(frozen=True)
class TableSchema:
    """A table: columns in order, and the key that defines a duplicate row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str = ""
    importable: bool = True
    # Columns canyu fills itself (not expected from an input file).
    derived: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def ddl(self, table_name: str | None = None) -> str:
        cols = ", ".join(
            f'"{c.name}" {_storage_type(c.type)}'
            + (" USING COMPRESSION uncompressed" if c.uncompressed else "")
            for c in self.columns
        )
        return f'CREATE TABLE IF NOT EXISTS "{table_name or self.name}" ({cols})'


def _storage_type(sql_type: str) -> str:
    return "VARCHAR" if sql_type == "JSON" else sql_type


_CH = tuple(vocab.CHANNELS)
_ACT = tuple(vocab.ACTIONS)


def _c(
    name: str,
    type_: str = "VARCHAR",
    *,
    required: bool = False,
    enum: tuple[str, ...] = (),
    doc: str = "",
    uncompressed: bool = False,
) -> Column:
    return Column(name, type_, required, enum, doc, uncompressed)


_TABLE_LIST = (
    TableSchema(
        "events",
        (
            _c(
                "event_id",
                required=True,
                doc="id from the source, or 'h:' + content hash when none is given",
                uncompressed=True,
            ),
            _c("ts", "TIMESTAMP", required=True, doc="UTC"),
            _c("channel", required=True, enum=_CH),
            _c("action", required=True, enum=_ACT),
            _c("user_id", required=True, doc="channel-scoped user id", uncompressed=True),
            _c("person_id", doc="resolved person (identity resolution)", uncompressed=True),
            _c("account_id"),
            _c("content_id"),
            _c("campaign_id"),
            _c("parent_user_id", doc="for shares and share-driven views: who it came from"),
            _c("parent_event_id"),
            _c("product_id"),
            _c("value", "DOUBLE", doc="order amount for purchase/refund, in yuan"),
            _c("props", "JSON", doc="source columns not in the contract, as a JSON object"),
            _c("batch_id", doc="the import that loaded the row"),
        ),
        key=("event_id",),
        derived=("person_id", "batch_id"),
    ),
    TableSchema(
        "contents",
        (
            _c("content_id", required=True),
            _c("channel", required=True, enum=_CH),
            _c("account_id"),
            _c("published_at", "TIMESTAMP"),
            _c("kind", enum=tuple(vocab.CONTENT_KINDS)),
            _c("title"),
            _c("text"),
            _c("campaign_id"),
            _c("cost", "DOUBLE"),
            _c("batch_id"),
        ),
        key=("content_id",),
        derived=("batch_id",),
    ),
    TableSchema(
        "campaigns",
        (
            _c("campaign_id", required=True),
            _c("name"),
            _c("kind", required=True, enum=tuple(vocab.CAMPAIGN_KINDS)),
            _c("starts", "TIMESTAMP"),
            _c("ends", "TIMESTAMP"),
            _c("budget", "DOUBLE"),
            _c("batch_id"),
        ),
        key=("campaign_id",),
        derived=("batch_id",),
    ),
    TableSchema(
        "content_stats",
        (
            _c("date", "DATE", required=True),
            _c("channel", required=True, enum=_CH),
            _c("account_id"),
            _c("content_id"),
            _c("exposes", "BIGINT"),
            _c("views", "BIGINT"),
            _c("likes", "BIGINT"),
            _c("comments", "BIGINT"),
            _c("shares", "BIGINT"),
            _c("collects", "BIGINT"),
            _c("follows_gained", "BIGINT"),
            _c("batch_id"),
        ),
        key=("date", "channel", "account_id", "content_id"),
        derived=("batch_id",),
    ),
    TableSchema(
        "spend",
        (
            _c("date", "DATE", required=True),
            _c("channel", required=True, enum=_CH),
            _c("campaign_id"),
            _c("amount", "DOUBLE", required=True),
            _c("impressions", "BIGINT"),
            _c("batch_id"),
        ),
        key=("date", "channel", "campaign_id"),
        derived=("batch_id",),
    ),
    TableSchema(
        "follows",
        (
            _c("channel", required=True, enum=_CH),
            _c("follower_id", required=True),
            _c("followee_id", required=True),
            _c("ts", "TIMESTAMP"),
            _c("batch_id"),
        ),
        key=("channel", "follower_id", "followee_id", "ts"),
        derived=("batch_id",),
    ),
    TableSchema(
        "identity_links",
        (
            _c("channel_a", required=True, enum=_CH),
            _c("user_a", required=True),
            _c("channel_b", required=True, enum=_CH),
            _c("user_b", required=True),
            _c("kind", required=True, enum=tuple(vocab.LINK_KINDS)),
            _c("batch_id"),
        ),
        key=("channel_a", "user_a", "channel_b", "user_b", "kind"),
        derived=("batch_id",),
    ),
    TableSchema(
        "identities",
        (
            _c("channel", required=True, enum=_CH),
            _c("user_id", required=True),
            _c("person_id", required=True),
        ),
        key=("channel", "user_id"),
        importable=False,
        doc="derived by identity resolution; one row per linked channel-scoped id",
    ),
    TableSchema(
        "products",
        (_c("product_id", required=True), _c("name"), _c("category"), _c("price", "DOUBLE"), _c("batch_id")),
        key=("product_id",),
        derived=("batch_id",),
    ),
    TableSchema(
        "mentions",
        (
            _c(
                "mention_id", required=True, doc="id from the source (post, comment or repost id), or its URL"
            ),
            _c("ts", "TIMESTAMP", required=True, doc="UTC"),
            _c("channel", required=True, enum=_CH),
            _c("author_id", doc="channel-scoped id (or name) of the author"),
            _c("text", doc="the text as written: any length, emoji, #话题#, @user, //@user: repost chains"),
            _c("parent_id", doc="the post, comment or mention it answers or reposts"),
            _c("url"),
            _c("likes", "BIGINT"),
            _c("reposts", "BIGINT"),
            _c("source", doc="where it came from: comments, community, listening ..."),
            _c("batch_id"),
        ),
        key=("mention_id",),
        derived=("batch_id",),
        doc="public discussion about the brand or its category: posts, comments and reposts",
    ),
    TableSchema(
        "experiments",
        (
            _c("experiment_id", required=True),
            _c("channel", required=True, enum=_CH),
            _c("campaign_id"),
            _c("starts", "DATE", required=True, doc="first day of the test (local date)"),
            _c("ends", "DATE", required=True, doc="last day of the test (local date)"),
            _c(
                "incremental_conversions",
                "DOUBLE",
                required=True,
                doc="conversions the channel's spend caused over the test, as the experiment measured",
            ),
            _c("se", "DOUBLE", required=True, doc="standard error of incremental_conversions"),
            _c("batch_id"),
        ),
        key=("experiment_id",),
        derived=("batch_id",),
        doc="lift tests (geo or holdout experiments); the media-mix fit is calibrated by them",
    ),
    TableSchema(
        "paths",
        (
            _c("path", required=True, doc="touch sequence, channels joined by ' > '"),
            _c("total_conversions", "DOUBLE", required=True),
            _c("total_conversion_value", "DOUBLE"),
            _c("total_null", "DOUBLE"),
            _c("batch_id"),
        ),
        key=("path",),
        derived=("batch_id",),
        doc="aggregated journeys in the ChannelAttribution format (not in DESIGN.md)",
    ),
    TableSchema(
        "imports",
        (
            _c("batch_id", required=True),
            _c("source", required=True),
            _c("table_name", required=True),
            _c("mapping"),
            _c("started", "TIMESTAMP", required=True),
            _c("finished", "TIMESTAMP"),
            _c("rows_in", "BIGINT", required=True),
            _c("rows_loaded", "BIGINT", required=True),
            _c("rows_duplicate", "BIGINT", required=True),
            _c("rows_quarantined", "BIGINT", required=True),
            _c("file_bytes", "BIGINT", doc="size of the source file"),
            _c("rows_suppressed", "BIGINT", doc="rows of forgotten people, skipped (see suppressions)"),
        ),
        key=("batch_id",),
        importable=False,
    ),
    TableSchema(
        "quarantine",
        (
            _c("batch_id", required=True),
            _c("source", required=True),
            _c("table_name", required=True),
            _c("row_number", "BIGINT", doc="1-based; the header is row 1"),
            _c("field"),
            _c("value"),
            _c("reason", required=True),
            _c("raw", "JSON", doc="the source row, personal data already hashed"),
            _c("user_key", doc="channel:user_id when the row named one (for forget)"),
            _c("reason_code", "JSON", doc="the reason's key and parameters, to show it in zh-CN or en"),
        ),
        key=("batch_id", "row_number"),
        importable=False,
    ),
    TableSchema(
        "deletions",
        (
            _c("deletion_id", required=True),
            _c("person_id", required=True),
            _c("requested", "TIMESTAMP", required=True),
            _c("table_name", required=True),
            _c("rows_deleted", "BIGINT", required=True),
            _c("reason"),
        ),
        key=("deletion_id", "table_name"),
        importable=False,
        doc="the record of forget requests (PIPL): what, when, how many rows",
    ),
    TableSchema(
        "suppressions",
        (
            _c("hash", required=True, doc="HMAC-SHA256(key, 'channel:user_id') of a forgotten id"),
            _c("deletion_id", required=True),
            _c("requested", "TIMESTAMP", required=True),
        ),
        key=("hash",),
        importable=False,
        doc="forgotten people's ids, keyed-hashed: a re-import skips their rows (counted as suppressed)",
    ),
    TableSchema(
        "store_meta",
        (_c("name", required=True), _c("value")),
        key=("name",),
        importable=False,
        doc="facts about the store itself: the hashing key's fingerprint (key_fingerprint)",
    ),
    TableSchema(
        "derived",
        (
            _c("name", required=True, doc="what was derived: topics, model fits, plans..."),
            _c("version", "BIGINT", required=True, doc="1, 2, ... per name"),
            _c("created", "TIMESTAMP", required=True, doc="UTC"),
            _c("params", "JSON", doc="the parameters that produced it"),
            _c("rows", "BIGINT", required=True),
        ),
        key=("name", "version"),
        importable=False,
        doc="the catalogue of derived tables written back through the store (Store.write_derived)",
    ),
)

TABLES: Final = MappingProxyType({t.name: t for t in _TABLE_LIST})
IMPORTABLE: Final = tuple(t.name for t in _TABLE_LIST if t.importable)
