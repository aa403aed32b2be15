"""canyu.toml: a workspace's settings (brand, product profile, timezone, engine, locale).

The hashing key for personal data is never kept here: canyu.toml only says
where to find it (an environment variable or an owner-only key file).
"""

from __future__ import annotations

import re
import tomllib
import uuid
import zoneinfo
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from canyu import vocab
from canyu.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_ROLES",
    "LOCALES",
    "TextSettings",
    "WorkspaceConfig",
    "load_config",
    "parse_text_settings",
    "save_config",
]

CONFIG_FILE = "canyu.toml"
# A memory size as DuckDB reads it (also keeps the value safe to put in a SET statement).
_MEMORY = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)
LOCALES = ("zh-CN", "en")

# The playbook's default: one-to-many channels spread events, WeChat serves,
# the forum retains core users, the shops convert (each channel's
# ``vocab.Channel.role``). A brand edits this to what its product needs.
DEFAULT_ROLES: dict[str, str] = {
    code: channel.role for code, channel in vocab.CHANNEL_INFO.items() if channel.role is not None
}


#: The values the plan's profile fields take (docs/plan.md).
PROFILE_CHOICES: dict[str, tuple[str, ...]] = {
    "price_band": ("low", "mid", "high"),
    "involvement": ("low", "high"),
    "core_users": ("enthusiasts", "mass", "professionals", "young"),
    "stage": ("launch", "growth", "mature"),
}


@dataclass(frozen=True)
class ProductProfile:
    """What the brand sells and which role each channel should play for it."""

    name: str = ""
    category: str = ""
    price: float = 0.0
    hit_products: tuple[str, ...] = ()
    roles: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    # The profile fields the plan's channel layout reads (docs/plan.md; empty: not stated):
    # price band low/mid/high, purchase involvement low/high, core users
    # enthusiasts/mass/professionals/young, lifecycle stage launch/growth/mature, and product
    # launches as ISO date -> name.
    price_band: str = ""
    involvement: str = ""
    core_users: str = ""
    stage: str = ""
    launches: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineSettings:
    name: str = "duckdb"
    spark_master: str = "local[*]"
    spark_path: str = ""  # empty: <workspace>/spark
    # Queries: empty is the engine's own default (DuckDB: 80% of RAM); hash tables of
    # analyses over tens of millions of events spill to disk under a small limit.
    memory_limit: str = ""
    # Imports stream files, so they keep a small bounded budget.
    import_memory_limit: str = "1GB"


@dataclass(frozen=True)
class PrivacySettings:
    key_env: str = "CANYU_HMAC_KEY"
    key_file: str = ""  # empty: $CANYU_HOME/keys/<workspace id>.key


@dataclass(frozen=True)
class TextSettings:
    """``[text]``: the brand's own dictionary (kept whole by the tokenizer) and extra stop words."""

    brand_words: tuple[str, ...] = ()
    stop_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkspaceConfig:
    brand: str
    workspace_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    timezone: str = "Asia/Shanghai"
    locale: str = "zh-CN"
    conversion_actions: tuple[str, ...] = ("purchase",)
    currency: str = "CNY"
    # The brand's own accounts per channel (channel code -> account ids): the accounts
    # whose posts are the brand's agenda and which seeding never picks.
    accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    product: ProductProfile = field(default_factory=ProductProfile)
    channel_costs: dict[str, float] = field(default_factory=dict)
    engine: EngineSettings = field(default_factory=EngineSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    # [text] and [topics]: the tokenizer's brand words and stop words; the topic taxonomy
    # (topic -> seed words) that assigns posts, comments and mentions to topics.
    text: TextSettings = field(default_factory=TextSettings)
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def with_engine(self, name: str) -> WorkspaceConfig:
        return replace(self, engine=replace(self.engine, name=name))


def _check(cfg: WorkspaceConfig, path: Path) -> WorkspaceConfig:
    p = str(path)
    try:
        zoneinfo.ZoneInfo(cfg.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{p}: workspace.timezone {cfg.timezone!r} is not an IANA time zone (e.g. Asia/Shanghai)",
            message_zh=f"{p}：workspace.timezone {cfg.timezone!r} 不是有效的时区（例如 Asia/Shanghai）",
            path=p,
            key="workspace.timezone",
        ) from exc
    if cfg.locale not in LOCALES:
        raise ConfigError(
            f"{p}: workspace.locale {cfg.locale!r} must be one of {', '.join(LOCALES)}",
            message_zh=f"{p}：workspace.locale {cfg.locale!r} 必须是 {', '.join(LOCALES)} 之一",
            path=p,
            key="workspace.locale",
        )
    for action in cfg.conversion_actions:
        if action not in vocab.ACTIONS:
            raise ConfigError(
                f"{p}: workspace.conversion_actions has unknown action {action!r}",
                message_zh=f"{p}：workspace.conversion_actions 含未知行为 {action!r}",
                path=p,
                key="workspace.conversion_actions",
            )
    for channel, role in cfg.product.roles.items():
        if channel not in vocab.CHANNELS or role not in vocab.CHANNEL_ROLES:
            raise ConfigError(
                f"{p}: product.roles has {channel!r} = {role!r}; channels are {', '.join(vocab.CHANNELS)}"
                f" and roles are {', '.join(vocab.CHANNEL_ROLES)}",
                message_zh=f"{p}：product.roles 中 {channel!r} = {role!r} 无效",
                path=p,
                key="product.roles",
            )
    for key, valid in PROFILE_CHOICES.items():
        value = getattr(cfg.product, key)
        if value and value not in valid:
            raise ConfigError(
                f"{p}: product.{key} {value!r} must be one of {', '.join(valid)} (or left out)",
                message_zh=f"{p}：product.{key} {value!r} 必须是 {', '.join(valid)} 之一（或不填）",
                path=p,
                key=f"product.{key}",
            )
    for day in cfg.product.launches:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ConfigError(
                f"{p}: product.launches key {day!r} must be an ISO date YYYY-MM-DD",
                message_zh=f"{p}：product.launches 的键 {day!r} 必须是 YYYY-MM-DD 日期",
                path=p,
                key="product.launches",
            )
    if not re.fullmatch(r"[A-Z]{3}", cfg.currency):
        raise ConfigError(
            f"{p}: workspace.currency {cfg.currency!r} must be an ISO 4217 code such as CNY",
            message_zh=f"{p}：workspace.currency {cfg.currency!r} 必须是 ISO 4217 货币代码，例如 CNY",
            path=p,
            key="workspace.currency",
        )
    for channel, ids in cfg.accounts.items():
        if channel not in vocab.CHANNELS or not all(isinstance(a, str) and a for a in ids):
            raise ConfigError(
                f"{p}: accounts.{channel} must be a channel code ({', '.join(vocab.CHANNELS)}) with a list of account ids",
                message_zh=f"{p}：accounts.{channel} 必须是渠道代码并对应账号 ID 列表",
                path=p,
                key=f"accounts.{channel}",
            )
    for key in ("memory_limit", "import_memory_limit"):
        value = getattr(cfg.engine, key)
        if value and not _MEMORY.fullmatch(value):
            raise ConfigError(
                f"{p}: engine.{key} {value!r} must be a size such as '4GB' or '512MiB' (empty: the engine's default)",
                message_zh=f"{p}：engine.{key} {value!r} 必须是 '4GB'、'512MiB' 这样的大小（留空：引擎默认）",
                path=p,
                key=f"engine.{key}",
            )
    _check_text(cfg, p)
    if cfg.engine.name not in ("duckdb", "spark"):
        raise ConfigError(
            f"{p}: engine.name {cfg.engine.name!r} must be duckdb or spark",
            message_zh=f"{p}：engine.name {cfg.engine.name!r} 必须是 duckdb 或 spark",
            path=p,
            key="engine.name",
        )
    return cfg


def _words(value: object) -> tuple[str, ...] | None:
    """A list of non-empty strings as a tuple (a single string is a list of one); None when not."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        return None
    return tuple(dict.fromkeys(w.strip() for w in value))


def _check_text(cfg: WorkspaceConfig, p: str) -> None:
    for key in ("brand_words", "stop_words"):
        if _words(list(getattr(cfg.text, key))) is None:
            raise ConfigError(
                f"{p}: text.{key} must be a list of non-empty words",
                message_zh=f"{p}：text.{key} 必须是非空词语的列表",
                path=p,
                key=f"text.{key}",
            )
    for topic, seeds in cfg.topics.items():
        if not (isinstance(topic, str) and topic.strip()) or not seeds or _words(list(seeds)) is None:
            raise ConfigError(
                f'{p}: topics.{topic} must be a list of seed words (e.g. 售后服务 = ["客服", "退货"])',
                message_zh=f'{p}：topics.{topic} 必须是种子词列表（例如 售后服务 = ["客服", "退货"]）',
                path=p,
                key=f"topics.{topic}",
            )


def _text_settings(data: dict[str, Any], path: Path) -> tuple[TextSettings, dict[str, tuple[str, ...]]]:
    text = data.get("text", {})
    topics = data.get("topics", {})
    p = str(path)
    if not isinstance(text, dict):
        raise ConfigError(
            f"{p}: [text] must be a table", message_zh=f"{p}：[text] 必须是表", path=p, key="text"
        )
    if not isinstance(topics, dict):
        raise ConfigError(
            f"{p}: [topics] must be a table of topic = [seed words]",
            message_zh=f"{p}：[topics] 必须是「话题 = [种子词]」的表",
            path=p,
            key="topics",
        )
    words: dict[str, tuple[str, ...]] = {}
    for key in ("brand_words", "stop_words"):
        got = _words(text.get(key, []))
        if got is None:
            raise ConfigError(
                f"{p}: text.{key} must be a list of non-empty words",
                message_zh=f"{p}：text.{key} 必须是非空词语的列表",
                path=p,
                key=f"text.{key}",
            )
        words[key] = got
    unknown = sorted(set(text) - {"brand_words", "stop_words"})
    if unknown:
        raise ConfigError(
            f"{p}: [text] has unknown setting(s) {', '.join(unknown)}; valid: brand_words, stop_words",
            message_zh=f"{p}：[text] 含未知设置 {', '.join(unknown)}；可用：brand_words、stop_words",
            path=p,
            key=f"text.{unknown[0]}",
        )
    taxonomy: dict[str, tuple[str, ...]] = {}
    for topic, seeds in topics.items():
        got = _words(seeds)
        if not got:
            raise ConfigError(
                f'{p}: topics.{topic} must be a list of seed words (e.g. 售后服务 = ["客服", "退货"])',
                message_zh=f'{p}：topics.{topic} 必须是种子词列表（例如 售后服务 = ["客服", "退货"]）',
                path=p,
                key=f"topics.{topic}",
            )
        taxonomy[str(topic)] = got
    return TextSettings(words["brand_words"], words["stop_words"]), taxonomy


def parse_text_settings(
    data: dict[str, Any], path: str | Path = CONFIG_FILE
) -> tuple[TextSettings, dict[str, tuple[str, ...]]]:
    """The ``[text]`` and ``[topics]`` tables of a parsed canyu.toml ``data``, checked as
    :func:`load_config` checks them (a :class:`~canyu.errors.ConfigError` naming the key)."""
    return _text_settings(data, Path(path))


def load_config(workspace: Path) -> WorkspaceConfig:
    """Read ``<workspace>/canyu.toml``."""
    path = Path(workspace) / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}",
            message_zh=f"{path}：TOML 格式错误：{exc}",
            path=str(path),
            key="",
        ) from exc
    ws: dict[str, Any] = data.get("workspace", {})
    prod: dict[str, Any] = data.get("product", {})
    eng: dict[str, Any] = data.get("engine", {})
    priv: dict[str, Any] = data.get("privacy", {})
    text, taxonomy = _text_settings(data, path)
    try:
        cfg = WorkspaceConfig(
            brand=str(data.get("brand", {}).get("name", "")),
            workspace_id=str(ws.get("id") or uuid.uuid4().hex),
            timezone=str(ws.get("timezone", "Asia/Shanghai")),
            locale=str(ws.get("locale", "zh-CN")),
            conversion_actions=tuple(ws.get("conversion_actions", ["purchase"])),
            currency=str(ws.get("currency", "CNY")),
            accounts={
                str(ch): tuple(str(a) for a in (ids if isinstance(ids, list) else [ids]))
                for ch, ids in data.get("accounts", {}).items()
            },
            product=ProductProfile(
                name=str(prod.get("name", "")),
                category=str(prod.get("category", "")),
                price=float(prod.get("price", 0.0)),
                hit_products=tuple(prod.get("hit_products", [])),
                roles=dict(prod.get("roles", DEFAULT_ROLES)),
                price_band=str(prod.get("price_band", "")),
                involvement=str(prod.get("involvement", "")),
                core_users=str(prod.get("core_users", "")),
                stage=str(prod.get("stage", "")),
                launches={str(k): str(v) for k, v in prod.get("launches", {}).items()},
            ),
            channel_costs={str(k): float(v) for k, v in data.get("channel_costs", {}).items()},
            engine=EngineSettings(
                **{k: str(v) for k, v in eng.items() if k in EngineSettings.__dataclass_fields__}
            ),
            privacy=PrivacySettings(
                **{k: str(v) for k, v in priv.items() if k in PrivacySettings.__dataclass_fields__}
            ),
            text=text,
            topics=taxonomy,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}", path=str(path), key="") from exc
    return _check(cfg, path)


def save_config(workspace: Path, cfg: WorkspaceConfig) -> Path:
    """Write ``cfg`` to ``<workspace>/canyu.toml`` (validated first)."""
    path = Path(workspace) / CONFIG_FILE
    _check(cfg, path)
    prod = asdict(cfg.product)
    prod["hit_products"] = list(cfg.product.hit_products)
    prod["launches"] = dict(cfg.product.launches)
    doc: dict[str, Any] = {
        "brand": {"name": cfg.brand},
        "workspace": {
            "id": cfg.workspace_id,
            "timezone": cfg.timezone,
            "locale": cfg.locale,
            "conversion_actions": list(cfg.conversion_actions),
            "currency": cfg.currency,
        },
        "accounts": {ch: list(ids) for ch, ids in cfg.accounts.items()},
        "product": prod,
        "channel_costs": dict(cfg.channel_costs),
        "engine": asdict(cfg.engine),
        "privacy": asdict(cfg.privacy),
    }
    if cfg.text.brand_words or cfg.text.stop_words:
        doc["text"] = {"brand_words": list(cfg.text.brand_words), "stop_words": list(cfg.text.stop_words)}
    if cfg.topics:
        doc["topics"] = {topic: list(seeds) for topic, seeds in cfg.topics.items()}
    header = (
        "# canyu workspace settings. The personal-data hashing key is NOT stored here:\n"
        "# see [privacy] for where canyu looks for it.\n"
    )
    path.write_text(header + tomli_w.dumps(doc), encoding="utf-8")
    return path
