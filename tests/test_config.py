"""canyu.toml: defaults, round trip, and clear errors on bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

import canyu
from canyu.config import DEFAULT_ROLES, load_config
from canyu.errors import ConfigError, WorkspaceError


def test_defaults_and_round_trip(workspace: canyu.Workspace) -> None:
    cfg = load_config(workspace.path)
    assert cfg.timezone == "Asia/Shanghai" and cfg.conversion_actions == ("purchase",)
    assert cfg.product.roles == DEFAULT_ROLES and cfg.engine.name == "duckdb" and cfg.locale == "en"
    assert cfg.workspace_id == workspace.config.workspace_id
    assert "key" not in (workspace.path / "canyu.toml").read_text().split("[privacy]")[0].lower().replace(
        "hashing key", ""
    )


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "workspace.timezone"),
        ('locale = "en"', 'locale = "fr"', "workspace.locale"),
        (
            'conversion_actions = [\n    "purchase",\n]',
            'conversion_actions = ["buy"]',
            "workspace.conversion_actions",
        ),
        ('weibo = "broadcast"', 'weibo = "megaphone"', "product.roles"),
        ('name = "duckdb"', 'name = "oracle"', "engine.name"),
        ('import_memory_limit = "1GB"', 'import_memory_limit = "1GB\'; DROP"', "engine.import_memory_limit"),
    ],
)
def test_bad_values_name_the_key(workspace: canyu.Workspace, old: str, new: str, key: str) -> None:
    path = workspace.path / "canyu.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, text
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(workspace.path)
    assert info.value.key == key and str(path) in str(info.value)


def test_init_twice_and_open_missing(tmp_path: Path) -> None:
    canyu.create(tmp_path / "a").close()
    with pytest.raises(WorkspaceError, match="already a workspace"):
        canyu.create(tmp_path / "a")
    with pytest.raises(WorkspaceError, match="canyu init"):
        canyu.open(str(tmp_path / "b"))
