"""The report's fixed strings in English and Chinese (zh-CN), and label helpers.

Kept apart from the CLI's messages in :mod:`canyu.i18n` so that the report
can grow its vocabulary without touching the CLI; the rendering rule is the
one of :func:`canyu.i18n.render`.
"""

from __future__ import annotations

from canyu import vocab
from canyu.config import LOCALES
from canyu.errors import UnknownNameError
from canyu.i18n import localize, render

__all__ = ["MESSAGES", "Text", "channel_label", "is_zh", "localize", "normalize_locale", "t"]

# A string a section writes once for both languages: a plain ``str`` (shown
# as is, e.g. a file name) or ``(en, zh)``.
Text = str | tuple[str, str]

MESSAGES: dict[str, tuple[str, str]] = {
    # page
    "report_title": ("{brand} — marketing operations report", "{brand} — 新媒体运营报告"),
    "generated": ("Generated {when} by canyu {version}", "由 canyu {version} 生成于 {when}"),
    "period": ("Period: {period}", "周期：{period}"),
    "period_all": ("all data", "全部数据"),
    "period_from": ("from {start}", "自 {start} 起"),
    "period_until": ("until {end}", "截至 {end}"),
    "timezone": ("Times in {tz}.", "时间均为 {tz} 时间。"),
    "contents_nav": ("Contents", "目录"),
    "offline_note": (
        "This file is self-contained: it opens without a network connection.",
        "本文件自带全部资源，断网也能打开。",
    ),
    # the command line
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
    "value": ("Value", "数值"),
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
    "table": ("Table", "表"),
    "rows": ("Rows", "行数"),
    "channel": ("Channel", "渠道"),
    "first": ("First", "最早"),
    "last": ("Last", "最晚"),
    "people": ("People", "人数"),
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
    "imports": ("Imports", "导入记录"),
    "no_imports": ("Nothing has been imported yet.", "尚未导入任何数据。"),
    "batch": ("Batch", "批次"),
    "source": ("Source", "来源"),
    "started": ("Started", "开始时间"),
    "rows_in": ("Read", "读取"),
    "loaded": ("Loaded", "载入"),
    "duplicate": ("Duplicate", "重复"),
    "quarantined": ("Quarantined", "隔离"),
    "quarantined_share": ("Quarantined %", "隔离比例"),
    "top_reasons": ("Top quarantine reasons", "主要隔离原因"),
    "field": ("Field", "字段"),
    "example_reason": ("Example reason", "原因示例"),
    "broken_line": ("(broken line)", "（损坏的行）"),
    "no_quarantine": ("No rejected rows.", "没有被隔离的行。"),
    "quarantine_hint": (
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

# English names of the channel codes (the Chinese ones are vocab.CHANNELS).
_CHANNEL_EN: dict[str, str] = {
    "wechat_oa": "WeChat OA",
    "wecom": "WeCom",
    "wechat_channels": "WeChat Channels",
    "mini_program": "Mini Program",
    "weibo": "Weibo",
    "qzone": "Qzone",
    "douyin": "Douyin",
    "xiaohongshu": "Xiaohongshu",
    "bilibili": "Bilibili",
    "forum": "Forum",
    "web": "Web / H5",
    "ecommerce": "E-commerce",
    "offline": "Offline",
    "other": "Other",
}


def is_zh(locale: str) -> bool:
    return locale.lower().startswith("zh")


def normalize_locale(locale: str) -> str:
    """``zh``, ``zh_CN``, ``zh-cn`` → ``zh-CN``; ``en``, ``en-US`` → ``en``; else an error listing both."""
    low = locale.strip().lower().replace("_", "-")
    if low.startswith("zh"):
        return "zh-CN"
    if low.startswith("en"):
        return "en"
    raise UnknownNameError("locale", locale, LOCALES)


def t(key: str, locale: str, /, **fields: object) -> str:
    """The report message ``key`` in ``locale`` with ``fields`` filled in."""
    return render(MESSAGES, key, locale, **fields)


def channel_label(code: str | None, locale: str) -> str:
    """``微博`` / ``Weibo`` for ``weibo``; an unknown code as is."""
    if code is None:
        return ""
    if is_zh(locale):
        return vocab.CHANNELS.get(code, code)
    return _CHANNEL_EN.get(code, code)
