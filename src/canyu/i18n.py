"""Every message canyu shows, in English and Chinese (zh-CN), and the one rule that picks a language.

One catalogue, :data:`MESSAGES` (``key -> (en, zh)``), for the CLI and the report; ``t(key,
locale, **fields)`` renders one message. It is assembled from groups: the words both front ends
put in table headers, the CLI's lines, the CLI's per-command table headers (``cli.<command>.<name>``)
and the report's strings. A key is defined in exactly one group (assembling them fails otherwise),
so one word is written once.

The locale comes from the workspace (canyu.toml), else ``CANYU_LOCALE``, else the system's ``LANG``;
``zh``, ``zh_CN``, ``zh-cn`` all mean Chinese (:func:`normalize_locale`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from canyu import vocab
from canyu.config import LOCALES
from canyu.errors import UnknownNameError

__all__ = [
    "MESSAGES",
    "Text",
    "channel_label",
    "default_locale",
    "is_zh",
    "localize",
    "normalize_locale",
    "render",
    "t",
]

# A string written once for both languages: a plain ``str`` (shown as is, e.g. a file name)
# or ``(en, zh)``.
Text = str | tuple[str, str]

# -- words both the CLI and the report use -------------------------------------------------------
_COMMON: dict[str, tuple[str, str]] = {
    "table": ("Table", "表"),
    "rows": ("Rows", "行数"),
    "channel": ("Channel", "渠道"),
    "first": ("First", "最早"),
    "last": ("Last", "最晚"),
    "first_in": ("First ({tz})", "最早（{tz}）"),
    "last_in": ("Last ({tz})", "最晚（{tz}）"),
    "people": ("People", "人数"),
    "batch": ("Batch", "批次"),
    "source": ("Source", "来源"),
    "rows_in": ("Read", "读取"),
    "loaded": ("Loaded", "载入"),
    "duplicate": ("Duplicate", "重复"),
    "quarantined": ("Quarantined", "隔离"),
    "field": ("Field", "字段"),
}

# -- the command line ----------------------------------------------------------------------------
_CLI: dict[str, tuple[str, str]] = {
    "created": (
        "Created workspace {path} (brand {brand}, engine {engine}).",
        "已创建工作区 {path}（品牌 {brand}，引擎 {engine}）。",
    ),
    "key_file": (
        "Hashing key for personal data: {path} (owner-only; keep it out of version control).",
        "个人信息哈希密钥：{path}（仅所有者可读；不要放入版本库）。",
    ),
    "key_env": ("Hashing key for personal data: from ${env}.", "个人信息哈希密钥：来自环境变量 ${env}。"),
    "stat_days": ("Stat rows", "统计行"),
    "imports": ("Last imports", "最近导入"),
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

# -- the command line's table headers and result lines, per command ------------------------------
# The English is what the commands print today, so wiring a key in changes no English output.
_CLI_TABLES: dict[str, tuple[str, str]] = {
    # canyu quarantine
    "cli.quarantine.more": (
        "… {n} more (--limit, --json, --export)",
        "…… 另有 {n} 行（--limit、--json、--export）",
    ),
    # canyu mappings
    "cli.mappings.name": ("name", "名称"),
    "cli.mappings.table": ("table", "表"),
    "cli.mappings.path": ("path", "路径"),
    # canyu mappings show NAME: a title line, the reader's settings, then one row per target column
    "cli.mappings.show_title": ("{name} → table {table}", "{name} → {table} 表"),
    "cli.mappings.format": ("format {format}", "格式 {format}"),
    "cli.mappings.timezone": ("time zone {timezone}", "时区 {timezone}"),
    "cli.mappings.by_extension": ("by extension", "按扩展名"),
    "cli.mappings.workspace_zone": ("the workspace's", "工作区的时区"),
    "cli.mappings.cumulative": ("cumulative {columns}", "累计值列 {columns}"),
    "cli.mappings.column": ("column", "列"),
    "cli.mappings.type": ("type", "类型"),
    "cli.mappings.required": ("required", "必填"),
    "cli.mappings.yes": ("yes", "是"),
    "cli.mappings.sources": ("source columns", "来源列"),
    "cli.mappings.fallback": ("else {columns}", "否则 {columns}"),
    "cli.mappings.constant": ("constant {value}", "常量 {value}"),
    "cli.mappings.time": ("time formats", "时间格式"),
    "cli.mappings.unit": ("unit", "单位"),
    "cli.mappings.labels": ("{column} labels: {labels}", "{column} 取值对照：{labels}"),
    # canyu mappings suggest FILE
    "cli.mappings.suggest_title": ("Mappings that read {file}", "可读取 {file} 的映射"),
    "cli.mappings.rank": ("rank", "排名"),
    "cli.mappings.score": ("score", "匹配度"),
    "cli.mappings.matched": ("matched columns", "匹配的列"),
    "cli.mappings.missing": ("missing required", "缺少的必填列"),
    "cli.mappings.suggest_best": (
        "Best fit: {name} (canyu import DIR {file} --mapping {name})",
        "最合适：{name}（canyu import DIR {file} --mapping {name}）",
    ),
    "cli.mappings.suggest_none": (
        "No shipped mapping reads {file}: write a mapping TOML (see docs/data-contract.md).",
        "没有内置映射能读取 {file}：请编写映射 TOML 文件（见 docs/data-contract.md）。",
    ),
    # canyu import
    "cli.import.dropped": (
        "{source}: dropped the columns {columns} (receiver names and addresses are never stored)",
        "{source}：已丢弃列 {columns}（收件人姓名与地址一律不保存）",
    ),
    # how a run ends on Ctrl-C or a bug (canyu.cli._errors)
    "cli.interrupted": ("canyu: interrupted", "canyu：已中断"),
    "cli.unexpected_error": (
        "canyu: unexpected error ({what}); full trace written to {where}",
        "canyu：意外错误（{what}）；完整跟踪信息已写入 {where}",
    ),
    # canyu attribute
    "cli.attribute.channel": ("channel", "渠道"),
    "cli.attribute.title": ("{title}: {conversions} conversions", "{title}：{conversions} 次转化"),
    "cli.attribute.removal_effects": ("removal effects: {effects}", "移除效应：{effects}"),
    "cli.attribute.workspace": (
        "{path}: {attributed} of {orders} conversions had a touch",
        "{path}：{orders} 笔转化中 {attributed} 笔有触点",
    ),
    # canyu spread
    "cli.spread.model": ("model", "模型"),
    "cli.spread.seeds": ("seeds", "种子"),
    "cli.spread.runs": ("runs", "模拟次数"),
    "cli.spread.expected_spread": ("expected spread", "期望传播人数"),
    "cli.spread.std_error": ("std. error", "标准误"),
    "cli.spread.interval": ("95% interval", "95% 区间"),
    "cli.spread.graph": (
        "{nodes} nodes, {edges} edges, {seconds}s",
        "{nodes} 个节点，{edges} 条边，用时 {seconds} 秒",
    ),
    # canyu seeds
    "cli.analyze.more_rows": ("{n} more rows (--json, --csv)", "另有 {n} 行（--json、--csv）"),
    "cli.seeds.rank": ("rank", "排名"),
    "cli.seeds.seed": ("seed", "种子"),
    "cli.seeds.marginal_spread": ("marginal spread", "边际传播人数"),
    "cli.seeds.cumulative_spread": ("cumulative spread", "累计传播人数"),
    "cli.seeds.cost": ("cost", "成本"),
    "cli.seeds.title": ("{title}: {model}, k={k}", "{title}：{model} 模型，k={k}"),
    "cli.seeds.summary": (
        "expected spread {spread} of {nodes} nodes{cost}; {rr_sets} RR sets, {seconds}s",
        "期望传播 {spread} 人（共 {nodes} 个节点）{cost}；{rr_sets} 个反向可达集，用时 {seconds} 秒",
    ),
    "cli.seeds.summary_cost": (", cost {cost} of {budget}", "，成本 {cost}（预算 {budget}）"),
    # canyu cascades: the summary line, then the cascades, KOL/KOC and K-factor tables
    "cli.cascades.summary": (
        "{cascades} cascades; {inferred} of parent links inferred from follows and timing",
        "{cascades} 个转发级联；{inferred} 的上游关系由关注关系和时间推断",
    ),
    "cli.cascades.cascade": ("cascade", "级联"),
    "cli.cascades.channel": ("channel", "渠道"),
    "cli.cascades.campaign": ("campaign", "活动"),
    "cli.cascades.size": ("size", "规模"),
    "cli.cascades.depth": ("depth", "深度"),
    "cli.cascades.breadth": ("breadth", "宽度"),
    "cli.cascades.virality": ("virality", "结构病毒性"),
    "cli.cascades.reach": ("reach", "触达"),
    "cli.cascades.orders": ("orders", "订单"),
    "cli.cascades.value": ("value", "金额"),
    "cli.cascades.people_title": ("KOL / KOC", "KOL / KOC 排名"),
    "cli.cascades.rank": ("rank", "排名"),
    "cli.cascades.person": ("person", "用户"),
    "cli.cascades.role": ("role", "角色"),
    "cli.cascades.shares": ("shares", "转发"),
    "cli.cascades.sharers": ("sharers", "转发人数"),
    "cli.cascades.invitees": ("invitees", "受邀人数"),
    "cli.cascades.invites_per_sharer": ("invites/sharer", "人均邀请"),
    "cli.cascades.invitee_conversion": ("invitee conversion", "受邀者转化率"),
    "cli.cascades.k_factor": ("K-factor", "K 因子"),  # also the title of the K-factor table
}

# -- the report ----------------------------------------------------------------------------------
_REPORT: dict[str, tuple[str, str]] = {
    # page
    "report_title": ("{brand} — marketing operations report", "{brand} — 新媒体运营报告"),
    "generated": ("Generated {when} by canyu {version}", "由 canyu {version} 生成于 {when}"),
    "period": ("Period: {period}", "周期：{period}"),
    "period_all": ("all data", "全部数据"),
    "period_from": ("from {start}", "自 {start} 起"),
    "period_until": ("until {end}", "截至 {end}"),
    "timezone": ("Times in {tz}.", "时间均为 {tz} 时间。"),
    "product_line": (
        "Product: {name}{detail}; hit products: {hits}.",
        "产品：{name}{detail}；爆品：{hits}。",
    ),
    "contents_nav": ("Contents", "目录"),
    "offline_note": (
        "This file is self-contained: it opens without a network connection.",
        "本文件自带全部资源，断网也能打开。",
    ),
    # the command line's summary of a report
    "cli_wrote": (
        "Wrote {path} ({sections} sections; {findings}).",
        "已写出 {path}（{sections} 个章节；{findings}）。",
    ),
    "cli_findings": ("{n} findings: {detail}", "{n} 条发现：{detail}"),
    "cli_no_findings": ("no findings", "没有发现"),
    # findings
    "findings": ("Findings", "发现"),
    "findings_intro": (
        "Most severe first. Each finding links to the section that shows its evidence.",
        "按严重程度排序；每条发现都链接到给出证据的章节。",
    ),
    "no_findings": (
        "No findings: nothing in this period needs attention.",
        "没有发现：本周期内没有需要处理的问题。",
    ),
    "severity": ("Severity", "严重程度"),
    "metric": ("Metric", "指标"),
    "finding_value": ("Value", "数值"),
    "expectation": ("Expected", "预期"),
    "evidence": ("Evidence", "证据"),
    "action": ("What to do", "建议行动"),
    "see_section": ("see {section}", "见“{section}”"),
    "sev_critical": ("critical", "严重"),
    "sev_high": ("high", "高"),
    "sev_medium": ("medium", "中"),
    "sev_low": ("low", "低"),
    "sev_info": ("info", "提示"),
    # common table headers
    "events": ("Events", "事件数"),
    "date": ("Date", "日期"),
    "no_data": ("No data in this period.", "本周期内没有数据。"),
    # overview
    "overview": ("Overview", "概览"),
    "overview_intro": (
        "What the workspace holds: rows per table, and per channel the events, people and dates covered.",
        "工作区里有什么：每张表的行数，以及每个渠道的事件数、人数和时间范围。",
    ),
    "rows_per_table": ("Rows per table (whole workspace)", "各表行数（整个工作区）"),
    "per_channel": ("Events per channel", "各渠道事件"),
    "stat_rows": ("Stat rows", "统计行"),
    "stat_first": ("Stats from", "统计起"),
    "stat_last": ("Stats to", "统计止"),
    "daily_events": ("Daily events per channel", "各渠道每日事件数"),
    "no_events": (
        "No events in this period. Import person-level events with: canyu import DIR FILE --mapping generic_events",
        "本周期内没有事件。导入用户级事件：canyu import DIR FILE --mapping generic_events",
    ),
    # data quality
    "data_quality": ("Data quality", "数据质量"),
    "data_quality_intro": (
        "Every input row ends loaded, duplicate or quarantined; rows read = loaded + duplicate + quarantined.",
        "每一行输入数据都有归宿：载入、重复或隔离；读取行数 = 载入 + 重复 + 隔离。",
    ),
    "import_log": ("Imports", "导入记录"),
    "no_imports": ("Nothing has been imported yet.", "尚未导入任何数据。"),
    "started": ("Started", "开始时间"),
    "quarantined_share": ("Quarantined %", "隔离比例"),
    "top_reasons": ("Top quarantine reasons", "主要隔离原因"),
    "example_reason": ("Example reason", "原因示例"),
    "broken_line": ("(broken line)", "（损坏的行）"),
    "no_quarantine": ("No rejected rows.", "没有被隔离的行。"),
    "quarantine_fix_hint": (
        "See and fix rejected rows with: canyu quarantine DIR --export FOLDER, then import the fixed files again.",
        "查看并修正被隔离的行：canyu quarantine DIR --export 文件夹，修正后重新导入。",
    ),
    "f_quarantine_metric": ("Quarantined rows in import of {source}", "{source} 导入中被隔离的行"),
    "f_quarantine_expect": ("At most {limit} of an import's rows", "每次导入不超过 {limit} 的行"),
    "f_quarantine_action": (
        "Export the rejected rows (canyu quarantine DIR --batch {batch} --export FOLDER), fix the fields named in the reasons, and import the fixed file; fix the export or the mapping if the same field fails again.",
        "导出被隔离的行（canyu quarantine DIR --batch {batch} --export 文件夹），按原因修正对应字段后重新导入；如果同一字段反复出错，请修正导出设置或映射文件。",
    ),
    # content
    "content": ("Content", "内容"),
    "content_intro": (
        "Top contents by views, from the platforms' daily statistics (content_stats).",
        "按阅读/播放量排名的内容，数据来自平台导出的每日统计（content_stats）。",
    ),
    "top_contents": ("Top contents by views", "阅读/播放量最高的内容"),
    "content_id": ("Content", "内容"),
    "title": ("Title", "标题"),
    "exposes": ("Exposures", "曝光"),
    "views": ("Views", "阅读/播放"),
    "likes": ("Likes", "点赞"),
    "comments": ("Comments", "评论"),
    "shares": ("Shares", "转发"),
    "collects": ("Collects", "收藏"),
    "follows_gained": ("Follows gained", "涨粉"),
    "engagement": ("Engagement / view", "互动率"),
    "engagement_note": (
        "Engagement / view = (likes + comments + shares + collects) / views.",
        "互动率 =（点赞 + 评论 + 转发 + 收藏）/ 阅读或播放。",
    ),
    "no_content_stats": (
        "No content statistics in this period. Import a platform export, e.g. canyu import DIR 笔记列表明细表.xlsx --mapping xiaohongshu_notes",
        "本周期内没有内容统计。请导入平台导出文件，例如：canyu import DIR 笔记列表明细表.xlsx --mapping xiaohongshu_notes",
    ),
}


# -- the closed loop: continuing a simulated world under a plan (canyu simulate --continue) --------
_LOOP = {
    "simulate_continued": (
        "Continued the world for {days} days from {first} under the plan: {events} new events, {orders} orders "
        "worth {revenue} yuan, {active} of {people} people active; files and truth.json in {files}.",
        "已按计划把模拟世界从 {first} 起续跑 {days} 天：新增 {events} 条事件，{orders} 笔订单共 {revenue} 元，"
        "{people} 人中 {active} 人活跃；文件与 truth.json 在 {files}。",
    ),
    "simulate_ignored": (
        "Levers the simulator has no channel or person for (ignored): {levers}",
        "模拟器中没有对应渠道或人的杠杆（已忽略）：{levers}",
    ),
}


def _assemble(*groups: dict[str, tuple[str, str]]) -> Mapping[str, tuple[str, str]]:
    """The groups as one read-only catalogue; a key in two groups is an error, not a silent override."""
    out: dict[str, tuple[str, str]] = {}
    for group in groups:
        for key, pair in group.items():
            if key in out:
                raise ValueError(f"message {key!r} is defined twice")
            out[key] = pair
    return MappingProxyType(out)


MESSAGES: Final[Mapping[str, tuple[str, str]]] = _assemble(_COMMON, _CLI, _CLI_TABLES, _REPORT, _LOOP)


def is_zh(locale: str) -> bool:
    """Whether ``locale`` is Chinese (``zh``, ``zh-CN``, ``zh_TW``...)."""
    return locale.lower().startswith("zh")


def default_locale() -> str:
    """``zh-CN`` if ``CANYU_LOCALE`` (else ``LANG``) starts with ``zh``, else ``en``."""
    env = os.environ.get("CANYU_LOCALE") or os.environ.get("LANG", "")
    return "zh-CN" if is_zh(env) else "en"


def normalize_locale(locale: str) -> str:
    """``zh``, ``zh_CN``, ``zh-cn`` → ``zh-CN``; ``en``, ``en-US`` → ``en``; else an error listing both."""
    low = locale.strip().lower().replace("_", "-")
    if low.startswith("zh"):
        return "zh-CN"
    if low.startswith("en"):
        return "en"
    raise UnknownNameError("locale", locale, LOCALES)


def localize(text: Text, locale: str) -> str:
    """A plain string as is; an ``(en, zh)`` pair picked by ``locale`` (zh-* → Chinese)."""
    if isinstance(text, str):
        return text
    en, zh = text
    return zh if is_zh(locale) else en


def render(messages: Mapping[str, tuple[str, str]], key: str, locale: str, /, **fields: object) -> str:
    """``messages[key]`` in ``locale`` with ``fields`` filled in (the one rule every message follows)."""
    return localize(messages[key], locale).format(**fields)


def t(key: str, locale: str, /, **fields: object) -> str:
    """The message ``key`` of :data:`MESSAGES` in ``locale`` with ``fields`` filled in.

    Examples
    --------
    >>> t("exported", "zh-CN", path="a.csv")
    '已写出 a.csv'
    >>> t("cli.seeds.rank", "en")
    'rank'
    """
    if key not in MESSAGES:
        raise UnknownNameError("message", key, tuple(MESSAGES))
    return render(MESSAGES, key, locale, **fields)


def channel_label(code: str | None, locale: str) -> str:
    """A channel's name for readers: ``微博`` / ``Weibo`` for ``weibo``.

    Codes outside :data:`canyu.vocab.CHANNEL_INFO` (an analysis's ``(none)`` row, say) are shown as
    they are, and ``None`` as an empty string, so a table column can be mapped whole.
    """
    if code is None:
        return ""
    channel = vocab.CHANNEL_INFO.get(code)
    return code if channel is None else localize(channel.names, locale)
