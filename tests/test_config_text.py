"""canyu.toml [text] and [topics]: read, written back, and bad values named with bilingual errors."""

from __future__ import annotations

import pytest

import canyu
from canyu.analytics.text._workspace import workspace_tokenizer
from canyu.config import TextSettings, load_config
from canyu.errors import ConfigError


def test_round_trip_and_the_tokenizer(workspace: canyu.Workspace) -> None:
    assert load_config(workspace.path).topics == {} and load_config(workspace.path).text == TextSettings()
    workspace.update_config(
        text=TextSettings(brand_words=("参与咖啡", "Canyu Pro"), stop_words=("家人们",)),
        topics={"售后服务": ("客服", "退货"), "新品": ("新品", "首发")},
    )
    cfg = load_config(workspace.path)
    assert cfg.text.brand_words == ("参与咖啡", "Canyu Pro") and cfg.text.stop_words == ("家人们",)
    assert cfg.topics == {"售后服务": ("客服", "退货"), "新品": ("新品", "首发")}
    tk = workspace_tokenizer(workspace.session())
    toks = tk.tokenize_kinds("家人们，参与咖啡的canyu pro首发了 #新品# @客服")
    assert ("参与咖啡", "brand") in toks and ("Canyu Pro", "brand") in toks
    assert "家人们" not in [t for t, _ in toks] and ("首发", "word") in toks and ("#新品#", "hashtag") in toks


@pytest.mark.parametrize(
    ("section", "key", "zh"),
    [
        ('[topics]\n"售后服务" = []\n', "topics.售后服务", "种子词"),
        ('[topics]\n"售后服务" = [""]\n', "topics.售后服务", "种子词"),
        ('[topics]\n"售后服务" = 3\n', "topics.售后服务", "种子词"),
        ("topics = 3\n", "topics", "话题"),
        ("[text]\nbrand_words = [1, 2]\n", "text.brand_words", "词语"),
        ('[text]\nstop_words = "的"\nbrand = ["x"]\n', "text.brand", "未知设置"),
    ],
)
def test_bad_values_name_the_key(workspace: canyu.Workspace, section: str, key: str, zh: str) -> None:
    path = workspace.path / "canyu.toml"
    text = path.read_text(encoding="utf-8")
    # top-level keys must come before the first table
    path.write_text(
        section + text if section.startswith("topics =") else text + "\n" + section, encoding="utf-8"
    )
    with pytest.raises(ConfigError) as err:
        load_config(workspace.path)
    assert err.value.key == key
    assert key.split(".")[0] in str(err.value) and zh in (err.value.message_zh or "")
