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


# -- media mix and budget (canyu mmm, canyu budget, the spend / media-mix / budget report sections)
_MMM: dict[str, tuple[str, str]] = {
    "mmm.title_file": ("Media-mix model — {file}", "媒体组合模型 — {file}"),
    "mmm.title_ws": (
        "Media-mix model — {path} (target: {target})",
        "媒体组合模型 — {path}（目标：{target}）",
    ),
    "mmm.col.channel": ("Channel", "渠道"),
    "mmm.col.spend": ("Spend (yuan, all weeks)", "花费（元，全部周）"),
    "mmm.col.roas": ("ROAS [90%]", "投入产出比 ROAS [90%]"),
    "mmm.col.mroas": ("Marginal ROAS [90%]", "边际 ROAS [90%]"),
    "mmm.col.contribution": ("Contribution to {target} [90%]", "对 {target} 的贡献 [90%]"),
    "mmm.col.alpha": ("Carry-over α [90%]", "延续效应 α [90%]"),
    "mmm.col.half": ("Half saturation (yuan/week) [90%]", "半饱和点（元/周）[90%]"),
    "mmm.col.shape": ("Hill slope [90%]", "Hill 斜率 [90%]"),
    "mmm.col.theta": ("Delay θ (weeks) [90%]", "延迟 θ（周）[90%]"),
    "mmm.caption": (
        "{weeks} weeks {start} — {end}; ROAS = {target} caused per yuan of spend; marginal ROAS = {target} of one more yuan at the current spend; [90% credible interval]",
        "{weeks} 周 {start} — {end}；ROAS = 每元花费带来的 {target}；边际 ROAS = 在当前花费上多花一元带来的 {target}；[90% 可信区间]",
    ),
    "mmm.diag_ok": (
        "Diagnostics passed: max R-hat {rhat} (≤ 1.05), min effective sample size {ess} (≥ 100), no divergences, over {chains} chains × {draws} draws ({seconds} s sampling).",
        "诊断通过：最大 R-hat {rhat}（≤ 1.05），最小有效样本量 {ess}（≥ 100），无发散，{chains} 条链 × {draws} 次抽样（采样 {seconds} 秒）。",
    ),
    "mmm.diag_failed": (
        "DIAGNOSTICS FAILED — these figures are unreliable, not findings: {reasons}",
        "诊断未通过 — 以上数字不可靠，不能作为结论：{reasons}",
    ),
    "mmm.diag_values": (
        "max R-hat {rhat}, min effective sample size {ess}, {div} divergent of {n} draws",
        "最大 R-hat {rhat}，最小有效样本量 {ess}，{n} 次抽样中 {div} 次发散",
    ),
    "mmm.holdout": (
        "Holdout check: the last {weeks} weeks, not seen by the fit, predicted with {mape} mean absolute error; {covered} of {weeks} weeks inside the 90% interval; R² {r2} (in-sample error {train_mape}).",
        "留出检验：模型未见过的最后 {weeks} 周，预测平均绝对误差 {mape}；{weeks} 周中有 {covered} 周落在 90% 区间内；R² {r2}（样本内误差 {train_mape}）。",
    ),
    "mmm.no_holdout": ("No holdout check (--holdout-weeks 0).", "无留出检验（--holdout-weeks 0）。"),
    "mmm.excluded": ("Left out: {channel} — {why}", "未纳入：{channel} — {why}"),
    "budget.title": (
        "Budget: {total} yuan over {days} days, objective {objective}",
        "预算：{days} 天共 {total} 元，目标 {objective}",
    ),
    "budget.source.mmm": ("From the media-mix curves: {reason}.", "依据媒体组合模型的响应曲线：{reason}。"),
    "budget.source.measured_roas": (
        "From measured ROAS, not a media-mix model: {reason}.",
        "依据实测 ROAS，而非媒体组合模型：{reason}。",
    ),
    "budget.no_channels": (
        "No channel to split the budget over: none has spend, orders or a measured return for this period. Import spend (the spend table) and orders first.",
        "没有可分配预算的渠道：本周期没有任何渠道的投放、订单或实测回报。请先导入投放（spend 表）和订单。",
    ),
    "budget.col.current": ("Current split (yuan, share)", "当前分配（元，占比）"),
    "budget.col.allocation": ("Plan (yuan, share)", "建议分配（元，占比）"),
    "budget.col.change": ("Change (yuan)", "变化（元）"),
    "budget.col.marginal": ("Last yuan returns ({per}) [90%]", "最后一元的回报（{per}）[90%]"),
    "budget.col.average": (
        "Measured return ({per}, average, not marginal)",
        "实测回报（{per}，平均值，非边际）",
    ),
    "budget.per_order": ("orders per yuan", "订单/元"),
    "budget.per_yuan": ("yuan per yuan", "元/元"),
    "budget.caution": (
        "The plan moves {move} of the way from the current split towards the split with the highest expected outcome, which would add {up} [90%: {ulo}, {uhi}] and wins in {p} of posterior draws: going further lowers the bad case (5% quantile) of the gain, because the data do not tell the channels' effects apart well enough.",
        "建议分配从当前分配向预期结果最高的分配只移动了 {move}（走到底可提升 {up} [90%：{ulo}, {uhi}]，在 {p} 的后验抽样中更优）：再往前走，收益的坏情形（5% 分位数）会下降，因为数据不足以区分各渠道的效果。",
    ),
    "budget.shifted": (
        "It then moves {shifted} yuan between channels off that straight line, where that raises the bad case (5% quantile) of the gain further.",
        "随后在这条直线之外再在渠道间调整 {shifted} 元：这样收益的坏情形（5% 分位数）还能进一步提高。",
    ),
    "budget.kept": (
        "Expected {target} over the {days} days with the current split: {cur} [90%: {lo} – {hi}]. The plan keeps the current split: the split with the highest expected outcome would add {up} [90%: {ulo}, {uhi}] and wins in {p} of posterior draws, but every step towards it lowers the bad case (5% quantile) of the gain, because the data do not tell the channels' effects apart well enough.",
        "{days} 天内当前分配的预期{target}：{cur} [90%：{lo} – {hi}]。建议保持当前分配：预期结果最高的分配可提升 {up} [90%：{ulo}, {uhi}]，在 {p} 的后验抽样中更优，但向它每走一步，收益的坏情形（5% 分位数）都会下降，因为数据不足以区分各渠道的效果。",
    ),
    "budget.hint_expected": (
        "canyu budget --expected-optimum plans the split with the highest expected outcome instead.",
        "如需预期结果最高的分配，请用 canyu budget --expected-optimum。",
    ),
    "budget.target.revenue": ("revenue", "收入"),
    "budget.target.orders": ("orders", "订单"),
    "budget.expected": (
        "Expected {target} over the {days} days: current split {cur}, plan {opt} [90%: {lo} – {hi}]; uplift {up} [{ulo}, {uhi}], the plan wins in {p} of posterior draws.",
        "{days} 天内预期{target}：当前分配 {cur}，建议分配 {opt} [90%：{lo} – {hi}]；提升 {up} [{ulo}, {uhi}]，在 {p} 的后验抽样中建议分配更优。",
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


# -- the action plan (canyu plan, plan track) ----------------------------------------------------
_PLAN: dict[str, tuple[str, str]] = {
    "cli.plan.written": ("Plan written: {path}", "计划已写出：{path}"),
    "cli.plan.saved": (
        "Latest plan kept at {path} (canyu plan track reads it).",
        "最新计划保存在 {path}（canyu plan track 读取它）。",
    ),
    "cli.plan.summary": (
        "{start} — {end}: {tasks} tasks, budget {budget} {currency} (task budgets add up to it), objective {objective}.",
        "{start} — {end}：{tasks} 项任务，预算 {budget} {currency}（各任务预算合计等于总预算），目标 {objective}。",
    ),
    "cli.plan.split": ("Budget split ({source}): {reason}", "预算分配（{source}）：{reason}"),
    "cli.plan.track.summary": (
        "Tracked {start} — {end} ({days} of {of_days} days): {on} of {tasks} tasks on track.",
        "已跟踪 {start} — {end}（{of_days} 天中的 {days} 天）：{tasks} 项任务中 {on} 项进度正常。",
    ),
    "cli.plan.track.revised": (
        "Revised plan for the {days} days left: {path}",
        "剩余 {days} 天的修订计划：{path}",
    ),
    "cli.plan.track.done": ("The plan's period is over: no revision.", "计划周期已结束：无需修订。"),
    "cli.plan.col.rank": ("Rank", "序号"),
    "cli.plan.col.task": ("Task", "任务"),
    "cli.plan.col.owner": ("Owner", "负责"),
    "cli.plan.col.dates": ("Dates", "日期"),
    "cli.plan.col.budget": ("Budget (yuan)", "预算（元）"),
    "cli.plan.col.kpi": ("KPI: baseline → target", "KPI：基线 → 目标"),
    "cli.plan.col.expected": ("Expected by now", "当前应达"),
    "cli.plan.col.actual": ("Actual", "实际"),
    "cli.plan.col.status": ("Status", "状态"),
    "cli.plan.on_track": ("on track", "正常"),
    "cli.plan.off_track": ("off track", "落后"),
}

_PRIVACY: dict[str, tuple[str, str]] = {
    "privacy.suppressed": (
        "{source}: {n} of {rows_in} rows read belong to forgotten people and were skipped (suppressed).",
        "{source}：读取的 {rows_in} 行中有 {n} 行属于已删除的个人，已跳过（抑制）。",
    ),
    "privacy.dry_run": (
        "Dry run — nothing was removed. Forgetting person {person} would delete {rows} rows ({detail})"
        " and suppress {ids} ids ({keys}).",
        "试运行——未删除任何数据。删除 {person} 将删除 {rows} 行（{detail}），并抑制 {ids} 个 ID（{keys}）。",
    ),
    "privacy.suppressing": (
        "{ids} ids kept as keyed hashes, so a re-import skips their rows.",
        "{ids} 个 ID 以带密钥的哈希保存，重新导入时会跳过这些人的行。",
    ),
    "privacy.compacted": (
        "The store file was rewritten: the deleted rows' bytes are no longer on disk.",
        "数据库文件已重写：被删除行的数据已不在磁盘上。",
    ),
    "privacy.reports": (
        "{n} reports written before the deletion mention the person; delete or regenerate them: {paths}",
        "删除前生成的报告中有 {n} 份提到此人；请删除或重新生成：{paths}",
    ),
}


_WEB: dict[str, tuple[str, str]] = {
    "web_console": ("agency console", "代理商控制台"),
    "web_footer": (
        "canyu console · every number counts what it says, out of what it says",
        "canyu 控制台 · 每个数字都注明计数对象与总数",
    ),
    "web_sign_in": ("Sign in", "登录"),
    "web_sign_out": ("Sign out", "退出登录"),
    "web_sign_in_hint": (
        "Accounts are made by the agency with: canyu users add NAME",
        "账号由代理商用 canyu users add NAME 创建",
    ),
    "web_user": ("User", "用户"),
    "web_password": ("Password", "密码"),
    "web_back_to_clients": ("Back to the client list", "返回客户列表"),
    "web_clients": ("Clients", "客户"),
    "web_clients_intro": ("{n} client workspace(s) you can open.", "你可以打开 {n} 个客户工作区。"),
    "web_no_clients": (
        "No workspace is shared with you yet: ask the agency (canyu users grant).",
        "尚无与你共享的工作区：请联系代理商（canyu users grant）。",
    ),
    "web_client": ("Client", "客户"),
    "web_your_role": ("Your role", "你的角色"),
    "web_open_findings": ("Open findings", "待处理发现"),
    "web_role_owner": ("owner", "所有者"),
    "web_role_analyst": ("analyst", "分析师"),
    "web_role_viewer": ("viewer", "查看者"),
    "web_tab_overview": ("Overview", "概览"),
    "web_tab_findings": ("Findings", "发现"),
    "web_tab_plan": ("Plan", "计划"),
    "web_tab_report": ("Report", "报告"),
    "web_tab_analyze": ("Analyses", "分析"),
    "web_tab_imports": ("Imports", "导入"),
    "web_tab_collector": ("Collector", "采集"),
    "web_tab_settings": ("Settings", "设置"),
    "web_tab_audit": ("Audit log", "审计日志"),
    "web_period": ("Period", "周期"),
    "web_since": ("From", "起"),
    "web_until": ("To", "止"),
    "web_channels": ("Channels", "渠道"),
    "web_apply": ("Apply", "应用"),
    "web_showing": ("Showing {period}; {channels}", "当前：{period}；{channels}"),
    "web_all_channels": ("all channels", "全部渠道"),
    "web_kpi_events": ("Events", "事件数"),
    "web_kpi_people": ("People", "人数"),
    "web_kpi_conversions": ("conversion events, of {of} events", "次转化事件（共 {of} 个事件）"),
    "web_kpi_converters": ("{n} of {of} people converted", "{of} 人中 {n} 人转化"),
    "web_conversions_col": ("Conversion events (of events)", "转化事件（占事件）"),
    "web_converters_col": ("Converted people (of people)", "转化人数（占人数）"),
    "web_n_of": ("{n} of {of}", "{n}（共 {of}）"),
    "web_conversion_actions": (
        "Conversions are the actions {actions}; days in {tz}.",
        "转化行为：{actions}；日期按 {tz}。",
    ),
    "web_findings_count": (
        "{n} finding(s) whose evidence passed its stated test",
        "{n} 条发现（证据通过了所述检验）",
    ),
    "web_by_channel": ("By channel", "按渠道"),
    "web_no_events": ("No events in this period.", "本周期没有事件。"),
    "web_latest_imports": ("Latest imports", "最近的导入"),
    "web_no_imports": ("Nothing imported yet.", "尚未导入数据。"),
    "web_download_rejected": ("Download rejected rows (CSV)", "下载被拒绝的行（CSV）"),
    "web_see_section": ("See the section", "查看对应章节"),
    "web_plan_file": ("Latest plan: {file}", "最新计划：{file}"),
    "web_plan_part": ("Part", "部分"),
    "web_plan_value": ("Value", "值"),
    "web_plan_items": ("{n} item(s)", "{n} 项"),
    "web_plan_tasks": ("Tasks ({n} in all, by priority)", "任务（共 {n} 项，按优先级）"),
    "web_plan_task": ("Task", "任务"),
    "web_plan_channel": ("Channel", "渠道"),
    "web_plan_owner": ("Owner", "负责"),
    "web_plan_dates": ("Dates", "日期"),
    "web_plan_budget": ("Budget (yuan)", "预算（元）"),
    "web_plan_kpi": ("KPI: baseline → target", "KPI：基线 → 目标"),
    "web_plan_tracking": (
        "Tracking {start} — {end}: {on} of {n} tasks on track",
        "跟踪 {start} — {end}：{n} 项任务中 {on} 项进度正常",
    ),
    "web_plan_expected": ("Expected by now", "当前应达"),
    "web_plan_actual": ("Actual", "实际"),
    "web_plan_status": ("Status", "状态"),
    "web_plan_on": ("on track", "正常"),
    "web_plan_off": ("off track", "落后"),
    "web_no_plan": (
        "No plan yet: make one with canyu plan, and it shows here.",
        "尚无计划：用 canyu plan 生成后会显示在这里。",
    ),
    "web_build_report": ("Build the full HTML report", "生成完整 HTML 报告"),
    "web_build_report_hint": (
        "Runs in the background; the file appears below.",
        "在后台运行，完成后文件显示在下方。",
    ),
    "web_reports": ("Report files", "报告文件"),
    "web_same_as_cli": ("The same numbers as: {cmd}", "与 {cmd} 的数字相同"),
    "web_upload_file": (
        "File to import (CSV, TSV, XLSX, JSONL, Parquet)",
        "要导入的文件（CSV、TSV、XLSX、JSONL、Parquet）",
    ),
    "web_upload": ("Upload", "上传"),
    "web_upload_hint": (
        "Next you choose the mapping; canyu suggests the best fits.",
        "下一步选择映射；canyu 会推荐最匹配的映射。",
    ),
    "web_jobs": ("Background jobs", "后台任务"),
    "web_job": ("Background job", "后台任务"),
    "web_job_queued": ("queued", "排队中"),
    "web_job_running": ("running", "运行中"),
    "web_job_done": ("done", "已完成"),
    "web_job_failed": ("failed", "失败"),
    "web_jobkind_import": ("import", "导入"),
    "web_jobkind_report": ("report", "报告"),
    "web_jobkind_forget": ("forget request", "删除请求"),
    "web_quarantine": ("Quarantine", "隔离区"),
    "web_quarantine_intro": (
        "{shown} of {n} rejected rows shown, newest import first.",
        "显示 {n} 条被拒绝行中的 {shown} 条，最新导入在前。",
    ),
    "web_row": ("Row", "行"),
    "web_value": ("Value", "值"),
    "web_reason": ("Reason", "原因"),
    "web_no_rejected": ("No rejected rows.", "没有被拒绝的行。"),
    "web_review_upload": ("Choose the mapping", "选择映射"),
    "web_suggest_intro": (
        "The shipped mappings ranked by how many of their columns the file has.",
        "按文件包含的映射列数排序的内置映射。",
    ),
    "web_mapping": ("Mapping", "映射"),
    "web_score": ("Fit", "匹配度"),
    "web_matched": ("Columns found", "找到的列"),
    "web_missing": ("Required, missing", "缺少的必需列"),
    "web_no_suggestion": (
        "No shipped mapping fits this file's headers; pick one below.",
        "没有内置映射匹配该文件的表头；请在下方选择。",
    ),
    "web_import": ("Import", "导入"),
    "web_accounting": (
        "Accounting: every row read is loaded, a duplicate or quarantined",
        "核算：读取的每一行都被载入、判为重复或隔离",
    ),
    "web_rejected_rows": ("Rejected rows", "被拒绝的行"),
    "web_fix_reimport": (
        "fix them in the CSV and upload it again as it is (its _row, _field and _reason columns are dropped)",
        "在 CSV 中修正后直接重新上传（_row、_field、_reason 三列会被自动去掉）",
    ),
    "web_collector_intro": (
        "Events the live collector accepted for this workspace and where they are now (refreshed every 2 s).",
        "实时采集器为本工作区接收的事件及其状态（每 2 秒刷新）。",
    ),
    "web_col_accepted": ("events acknowledged", "已确认事件"),
    "web_col_loaded": ("loaded, of {of} acknowledged", "已载入（共 {of} 个已确认）"),
    "web_col_pending": ("waiting in the spool, of {of}", "在缓冲区等待（共 {of}）"),
    "web_col_duplicate": ("duplicates, of {of}", "重复（共 {of}）"),
    "web_col_quarantined": ("quarantined, of {of}", "隔离（共 {of}）"),
    "web_col_rejected": ("malformed requests refused", "被拒绝的格式错误请求"),
    "web_col_last": ("Last load: {when}", "最近一次载入：{when}"),
    "web_ingest_keys": ("Ingest keys (public, send-only)", "采集密钥（公开，仅可发送）"),
    "web_label": ("Label", "标签"),
    "web_prefix": ("Starts with", "前缀"),
    "web_created": ("Created", "创建时间"),
    "web_state": ("State", "状态"),
    "web_key_active": ("active", "有效"),
    "web_key_revoked": ("revoked", "已吊销"),
    "web_no_keys": (
        "No ingest key yet: canyu keys create {ws} --kind ingest",
        "尚无采集密钥：canyu keys create {ws} --kind ingest",
    ),
    "web_saved": ("Saved.", "已保存。"),
    "web_brand_section": ("Brand", "品牌"),
    "web_brand": ("Brand name", "品牌名称"),
    "web_timezone": ("Time zone (IANA)", "时区（IANA）"),
    "web_currency": ("Currency (ISO 4217)", "货币（ISO 4217）"),
    "web_conversion_actions_field": ("Conversion actions (comma separated)", "转化行为（逗号分隔）"),
    "web_product_section": ("Product profile", "产品画像"),
    "web_product_name": ("Product", "产品"),
    "web_category": ("Category", "品类"),
    "web_price": ("Price", "价格"),
    "web_hit_products": ("Hit products (comma separated)", "爆品（逗号分隔）"),
    "web_roles_section": (
        "Channel roles (the role each channel should play)",
        "渠道角色（每个渠道应承担的角色）",
    ),
    "web_accounts_section": ("Brand accounts", "品牌账号"),
    "web_accounts_hint": (
        "One channel a line: CHANNEL: account1, account2",
        "每行一个渠道：渠道: 账号1, 账号2",
    ),
    "web_save": ("Save", "保存"),
    "web_forget": ("Forget a person", "删除某人的数据"),
    "web_forget_user": ("User (CHANNEL:ID)", "用户（渠道:ID）"),
    "web_forget_button": ("Delete their rows from every table", "从所有表中删除其数据"),
    "web_when": ("When (UTC)", "时间（UTC）"),
    "web_event": ("Event", "事件"),
    "web_outcome": ("Outcome", "结果"),
    "web_detail": ("Detail", "详情"),
}


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


# -- the console's campaign filter and the collector's quarantined bodies (issue 15) ---------
_COLLECT: dict[str, tuple[str, str]] = {
    "web_campaigns": ("Campaigns", "活动"),
    "web_campaign_option": ("{campaign} ({n} of {of} events)", "{campaign}（共 {of} 个事件中的 {n} 个）"),
    "web_showing_campaigns": ("campaigns {campaigns}", "活动 {campaigns}"),
    "web_all_campaigns": ("all campaigns", "全部活动"),
}


_EVIDENCE = {
    # labels of findings' evidence keys in the report (canyu.report._render); a key without one is
    # shown with its underscores as spaces
    "ev.yes": ("yes", "是"),
    "ev.no": ("no", "否"),
    "ev.active_people": ("active people", "活跃人数"),
    "ev.answer_rate_low": ("answer rate too low", "回复率过低"),
    "ev.answered": ("answered", "已回复"),
    "ev.answered_within_hour": ("answered within an hour", "一小时内回复"),
    "ev.attributed": ("attributed orders", "归因订单"),
    "ev.audience_leads_topics": ("topics the audience leads", "受众领先的话题"),
    "ev.baseline_share": ("baseline share", "基线占比"),
    "ev.channel": ("channel", "渠道"),
    "ev.channels": ("by channel", "各渠道"),
    "ev.converted": ("converted", "转化人数"),
    "ev.cost": ("cost", "成本"),
    "ev.cost_share": ("share of all cost", "占总成本"),
    "ev.data_days": ("days of data", "数据天数"),
    "ev.day": ("day", "日期"),
    "ev.days": ("days", "天数"),
    "ev.days_rest": ("other days", "其余天数"),
    "ev.direction": ("direction", "方向"),
    "ev.earlier": ("earlier", "之前"),
    "ev.earlier_people": ("people, earlier cohorts", "之前各群人数"),
    "ev.earlier_retained": ("retained, earlier cohorts", "之前各群留存"),
    "ev.engaged": ("engaged", "互动人数"),
    "ev.examples": ("examples", "示例"),
    "ev.gap": ("gap", "差距"),
    "ev.lead_topics": ("lead topics", "领先话题"),
    "ev.lookback_days": ("attribution window (days)", "归因窗口（天）"),
    "ev.median_reply_minutes": ("median reply (minutes)", "回复时间中位数（分钟）"),
    "ev.member_days_earlier": ("member-days, earlier", "之前成员日"),
    "ev.member_days_recent": ("member-days, recent", "最近成员日"),
    "ev.messages": ("messages", "消息数"),
    "ev.negative": ("negative texts", "负面条数"),
    "ev.no_social_touch": ("orders with no social touch", "无社交触点订单"),
    "ev.no_social_touch_share": ("share with no social touch", "无社交触点占比"),
    "ev.note": ("note", "说明"),
    "ev.orders": ("orders", "订单"),
    "ev.p_audience_leads": ("p, audience leads", "受众领先 p"),
    "ev.p_brand_leads": ("p, brand leads", "品牌领先 p"),
    "ev.p_value": ("p-value", "p 值"),
    "ev.p_value_bonferroni": ("p (Bonferroni)", "p 值（Bonferroni）"),
    "ev.p_value_rate": ("p, answer rate", "回复率 p"),
    "ev.p_value_speed": ("p, reply speed", "回复速度 p"),
    "ev.planned": ("planned role", "计划角色"),
    "ev.post_ids": ("posts", "帖子"),
    "ev.posts": ("texts", "条数"),
    "ev.posts_earlier": ("posts, earlier", "之前帖数"),
    "ev.posts_recent": ("posts, recent", "最近帖数"),
    "ev.q_brand_leads": ("q, brand leads", "品牌领先 q"),
    "ev.q_value": ("q-value", "q 值"),
    "ev.ratio": ("ratio", "比值"),
    "ev.ratio_high": ("ratio, upper bound", "比值上限"),
    "ev.ratio_low": ("ratio, lower bound", "比值下限"),
    "ev.recent": ("recent", "最近"),
    "ev.recent_people": ("people, recent cohorts", "最近各群人数"),
    "ev.recent_retained": ("retained, recent cohorts", "最近各群留存"),
    "ev.reply_slow": ("replies too slow", "回复过慢"),
    "ev.roas": ("ROAS", "投入产出比 ROAS"),
    "ev.roas_others": ("ROAS of the others", "其他渠道 ROAS"),
    "ev.sharer_days_rest": ("sharer-days, other days", "其余天分享人次"),
    "ev.sharer_days_window": ("sharer-days, window", "窗口内分享人次"),
    "ev.sharers": ("sharers", "分享人数"),
    "ev.strength": ("strength", "强度"),
    "ev.strength_interval": ("strength, 95% interval", "强度 95% 区间"),
    "ev.test": ("test", "检验"),
    "ev.topic": ("topic", "话题"),
    "ev.topics": ("topics", "话题"),
    "ev.window_end": ("window end", "窗口结束"),
    "ev.window_start": ("window start", "窗口开始"),
    "ev.windows": ("windows scanned", "扫描窗口数"),
}

# -- the console's background jobs: model fits and reports (issue 15) ---------------------------
_CONSOLE_JOBS = {
    "web_tab_jobs": ("Jobs", "任务"),
    "web_jobkind_fit": ("media-mix fit", "媒体组合模型拟合"),
    "cj_step": ("step: {step}", "步骤：{step}"),
    "cj_kind": ("kind", "类型"),
    "cj_state": ("state", "状态"),
    "cj_progress": ("progress (share of the job done)", "进度（已完成的比例）"),
    "cj_no_jobs": ("No background jobs for this workspace yet.", "该工作区还没有后台任务。"),
    "cj_fit_target": ("Outcome to model", "建模的结果指标"),
    "cj_start_fit": ("Fit the media-mix model", "拟合媒体组合模型"),
    "cj_start_fit_hint": (
        "runs in the background, as canyu mmm DIR --target T; the fit is kept for the budget and the report",
        "在后台运行，与 canyu mmm DIR --target T 相同；拟合结果供预算和报告使用",
    ),
    "cj_fit_in_background": (
        "Fit this model in the background (Jobs)",
        "在后台拟合此模型（任务）",
    ),
    "cj_fit_caption": (
        "Media-mix fit of {target} on {weeks} weeks of spend (a fit needs at least {need}); channels: {channels}",
        "媒体组合模型：{target}，基于 {weeks} 周的花费（至少需要 {need} 周）；渠道：{channels}",
    ),
    "cj_fit_trusted": (
        "The sampler's diagnostics passed: these figures can be acted on.",
        "采样诊断通过：这些数字可以作为依据。",
    ),
    "cj_fit_untrusted": (
        "The sampler's diagnostics failed: too uncertain to judge; do not act on these figures.",
        "采样诊断未通过：不确定性太大，无法判断；请勿据此决策。",
    ),
    "cj_fit_excluded": ("{channel} left out: {why}", "{channel} 未纳入：{why}"),
    "cj_download_report": ("Download the report {file}", "下载报告 {file}"),
    "cj_report_sections": ("{n} sections", "{n} 个章节"),
    "cj_topics_section": ("Topics and brand words", "话题与品牌词"),
    "cj_topics_field": (
        "Topics, one a line: TOPIC: seed word, seed word",
        "话题，每行一个：话题: 种子词, 种子词",
    ),
    "cj_brand_words_field": (
        "Brand words (kept whole by the tokenizer), comma separated",
        "品牌词（分词时保持完整），用逗号分隔",
    ),
    "cj_topics_hint": (
        "Saved to canyu.toml as [topics] and [text] brand_words, checked as canyu.toml is.",
        "保存到 canyu.toml 的 [topics] 和 [text] brand_words，校验规则与 canyu.toml 相同。",
    ),
}


# -- media mix, issue 13 follow-up: festivals, controls and lift tests (canyu mmm) ----------------
_MMM_EFFECTS: dict[str, tuple[str, str]] = {
    "mmm.effects.title": (
        "Festivals and controls ({target} per week, [90% credible interval])",
        "节日与控制变量（每周 {target}，[90% 可信区间]）",
    ),
    "mmm.effects.col.name": ("Effect", "效应"),
    "mmm.effects.col.kind": ("Kind", "类型"),
    "mmm.effects.col.value": ("Effect [90%]", "效应 [90%]"),
    "mmm.effects.holiday": ("festival week: lift in that week", "节日周：当周的增量"),
    "mmm.effects.control": ("control: per unit of it", "控制变量：每单位的影响"),
}


MESSAGES: Final[Mapping[str, tuple[str, str]]] = _assemble(
    _COMMON,
    _CLI,
    _CLI_TABLES,
    _REPORT,
    _MMM,
    _PLAN,
    _PRIVACY,
    _WEB,
    _LOOP,
    _COLLECT,
    _EVIDENCE,
    _CONSOLE_JOBS,
    _MMM_EFFECTS,
)


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
