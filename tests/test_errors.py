"""canyu's errors: one JSON shape with each subclass's details, messages in both languages."""

from __future__ import annotations

import json

import pytest

from canyu.errors import (
    CanyuError,
    ConfigError,
    IngestError,
    InvalidArgumentError,
    MappingError,
    PluginError,
    UnknownNameError,
    WorkspaceError,
)


def test_invalid_argument_names_param_value_and_what_is_valid() -> None:
    e = InvalidArgumentError("k", 0, ">= 1")
    assert isinstance(e, ValueError) and isinstance(e, CanyuError)
    assert (e.param, e.value, e.valid) == ("k", 0, ">= 1")
    assert str(e) == "invalid k: 0; it must be >= 1"
    assert e.localized("zh-CN") == "参数 k 的值 0 无效，应为 >= 1"
    choices = InvalidArgumentError("by", "chanel", ("content", "channel"))
    assert choices.valid == ("content", "channel")
    assert "one of channel, content" in str(choices) and "以下之一：channel, content" in choices.message_zh
    reason = InvalidArgumentError("budget", 1.0, ">= 500", reason="too small", reason_zh="太少")
    assert (str(reason), reason.localized("zh"), reason.localized("en")) == ("too small", "太少", "too small")


def test_to_dict_is_one_shape_with_each_subclass_details() -> None:
    cases = [
        (
            InvalidArgumentError("k", 0, ">= 1"),
            "invalid_argument",
            {"param": "k", "value": 0, "valid": ">= 1"},
        ),
        (
            InvalidArgumentError("model", "x", ("ic", "lt")),
            "invalid_argument",
            {"param": "model", "value": "x", "valid": ["ic", "lt"]},
        ),
        (
            IngestError("not a date", file="a.csv", row=3, field="ts", value="yesterday"),
            "ingest",
            {"file": "a.csv", "row": 3, "field": "ts", "value": "yesterday"},
        ),
        (
            ConfigError("bad zone", path="canyu.toml", key="timezone"),
            "config",
            {"key": "timezone", "path": "canyu.toml"},
        ),
        (
            UnknownNameError("engine", "duckd", ("duckdb", "spark")),
            "unknown_name",
            {"kind": "engine", "name": "duckd", "valid": ["duckdb", "spark"], "closest": "duckdb"},
        ),
        (WorkspaceError("missing", path="/x"), "workspace", {"path": "/x"}),
        (
            MappingError("no [columns]", path="m.toml", key="columns"),
            "mapping",
            {"path": "m.toml", "key": "columns"},
        ),
        (PluginError("bad return", name="s"), "plugin", {"name": "s"}),
        (CanyuError("plain", message_zh="简单"), "canyu", {}),
    ]
    for err, kind, details in cases:
        d = err.to_dict()
        assert list(d) == ["error"] and list(d["error"]) == ["type", "message", "message_zh", "details"]
        assert d["error"]["type"] == kind and d["error"]["details"] == details
        assert d["error"]["message"] == err.message and d["error"]["message_zh"] == err.message_zh
        assert json.loads(json.dumps(d, ensure_ascii=False)) == d  # JSON as it is


def test_details_are_json_ready_whatever_the_value() -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    d = InvalidArgumentError("x", Odd(), (1, 2)).to_dict()["error"]["details"]
    assert d == {"param": "x", "value": "odd", "valid": [1, 2]}


def test_unknown_name_caps_a_long_list_of_choices() -> None:
    e = UnknownNameError("cascade", "nope", [f"c{i:04d}" for i in range(1000)])
    assert "c0000" in str(e) and "970 more" in str(e) and len(str(e)) < 400
    assert len(e.valid) == 1000
    with pytest.raises(LookupError):
        raise e
