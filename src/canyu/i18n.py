"""Messages in English and Chinese (zh-CN) for the CLI and reports.

One table of message keys; ``t(key, locale, **fields)`` renders one. The
locale comes from the workspace (canyu.toml), else ``CANYU_LOCALE``, else the
system's ``LANG``.
"""

from __future__ import annotations

import os

__all__ = ["MESSAGES", "default_locale", "localize", "render", "t"]

MESSAGES: dict[str, tuple[str, str]] = {
    "created": (
        "Created workspace {path} (brand {brand}, engine {engine}).",
        "已创建工作区 {path}（品牌 {brand}，引擎 {engine}）。",
    ),
    "key_file": (
        "Hashing key for personal data: {path} (owner-only; keep it out of version control).",
        "个人信息哈希密钥：{path}（仅所有者可读；不要放入版本库）。",
    ),
    "key_env": ("Hashing key for personal data: from ${env}.", "个人信息哈希密钥：来自环境变量 ${env}。"),
    "table": ("Table", "表"),
    "rows": ("Rows", "行数"),
    "channel": ("Channel", "渠道"),
    "first": ("First", "最早"),
    "last": ("Last", "最晚"),
    "people": ("People", "人数"),
    "stat_days": ("Stat rows", "统计行"),
    "imports": ("Last imports", "最近导入"),
    "batch": ("Batch", "批次"),
    "source": ("Source", "来源"),
    "rows_in": ("Read", "读取"),
    "loaded": ("Loaded", "载入"),
    "duplicate": ("Duplicate", "重复"),
    "quarantined": ("Quarantined", "隔离"),
    "status_title": ("Workspace {path} — {brand} ({engine})", "工作区 {path} — {brand}（{engine}）"),
    "imported": (
        "{source}: read {rows_in}, loaded {loaded}, duplicate {duplicate}, quarantined {quarantined} (batch {batch}).",
        "{source}：读取 {rows_in} 行，载入 {loaded}，重复 {duplicate}，隔离 {quarantined}（批次 {batch}）。",
    ),
    "quarantine_hint": (
        "See rejected rows with: canyu quarantine {path}",
        "查看被隔离的行：canyu quarantine {path}",
    ),
    "quarantine_empty": ("No rejected rows.", "没有被隔离的行。"),
    "exported": ("Wrote {path}", "已写出 {path}"),
    "forgot": (
        "Forgot person {person}: {rows} rows deleted ({detail}); recorded as deletion {id}.",
        "已删除 {person} 的数据：共 {rows} 行（{detail}）；删除记录 {id}。",
    ),
    "row": ("Row", "行"),
    "field": ("Field", "字段"),
    "value": ("Value", "值"),
    "reason": ("Reason", "原因"),
    "file": ("File", "文件"),
    "demo_data": ("Demo: importing sample files into {path}", "演示：把样例文件导入 {path}"),
    "simulated": (
        "Simulated {events} events (scenario {scenario}); files and truth.json in {files}.",
        "已模拟 {events} 条事件（场景 {scenario}）；文件与 truth.json 在 {files}。",
    ),
    "demo_attribution": (
        "Who earns the orders (exact Markov, by channel; {attributed} of {orders} orders had a social touch):",
        "谁带来了订单（精确马尔可夫归因，按渠道；{orders} 笔订单中 {attributed} 笔有社交触点）：",
    ),
    "demo_simulating": (
        "Demo: simulating {people} people over {days} days into {path}",
        "演示：模拟 {people} 人、{days} 天的数据到 {path}",
    ),
    "demo_findings": ("Top findings:", "主要发现："),
    "aborted": ("Interrupted: nothing was changed.", "已中断：数据未改变。"),
}


def default_locale() -> str:
    env = os.environ.get("CANYU_LOCALE") or os.environ.get("LANG", "")
    return "zh-CN" if env.lower().startswith("zh") else "en"


def localize(text: str | tuple[str, str], locale: str) -> str:
    """A plain string as is; an ``(en, zh)`` pair picked by ``locale`` (zh-* → Chinese)."""
    if isinstance(text, str):
        return text
    en, zh = text
    return zh if locale.lower().startswith("zh") else en


def render(messages: dict[str, tuple[str, str]], key: str, locale: str, /, **fields: object) -> str:
    """``messages[key]`` in ``locale`` with ``fields`` filled in (the one rule the CLI and report share)."""
    return localize(messages[key], locale).format(**fields)


def t(key: str, locale: str, /, **fields: object) -> str:
    """The CLI message ``key`` in ``locale`` with ``fields`` filled in."""
    return render(MESSAGES, key, locale, **fields)
