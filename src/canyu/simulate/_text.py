"""Chinese topic vocabularies, post titles and user comments built from them."""

from __future__ import annotations

import numpy as np

__all__ = ["COMMENT_VARIANTS", "TOPICS", "TOPIC_WORDS", "comment_table", "titles"]

TOPICS: tuple[str, ...] = (
    "产品体验",
    "价格优惠",
    "新品发布",
    "售后服务",
    "使用技巧",
    "品牌故事",
    "粉丝活动",
    "竞品对比",
)

TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "产品体验": ("手感", "续航", "屏幕", "做工", "质感", "性能", "流畅", "颜值"),
    "价格优惠": ("优惠券", "折扣", "满减", "性价比", "降价", "秒杀", "预售", "赠品"),
    "新品发布": ("新品", "首发", "发布会", "预约", "开箱", "上市", "限量", "新配色"),
    "售后服务": ("客服", "退货", "保修", "维修", "物流", "换新", "售后", "投诉"),
    "使用技巧": ("教程", "技巧", "设置", "攻略", "玩法", "清洁", "保养", "升级"),
    "品牌故事": ("创始人", "工厂", "匠心", "理念", "故事", "初心", "设计师", "历程"),
    "粉丝活动": ("抽奖", "共创", "投票", "晒单", "打卡", "见面会", "社群", "福利"),
    "竞品对比": ("对比", "测评", "横评", "选购", "区别", "推荐", "排行", "体验"),
}

_TITLE_PATTERNS = (
    "{w1}{w2}｜{topic}全解析",
    "{topic}：{w1}和{w2}的那些事",
    "一文看懂{w1}，{w2}不踩坑",
    "【{topic}】{w1}{w2}来了",
)
_COMMENT_PATTERNS = (
    "{w1}真的不错，{w2}也很好",
    "想问下{w1}怎么样？",
    "{w1}{w2}，已种草",
    "{w2}有点失望，{w1}还行",
    "求{w1}链接",
)


def titles(rng: np.random.Generator, topics: np.ndarray) -> list[str]:
    """A Chinese title per topic index."""
    out = []
    for k in topics.tolist():
        name = TOPICS[k]
        w = TOPIC_WORDS[name]
        i, j = rng.choice(len(w), 2, replace=False)
        pattern = _TITLE_PATTERNS[int(rng.integers(len(_TITLE_PATTERNS)))]
        out.append(pattern.format(topic=name, w1=w[i], w2=w[j]))
    return out


COMMENT_VARIANTS = 16  # texts per topic


def comment_table() -> list[list[str]]:
    """The comment/post texts of each topic: ``comment_table()[topic][variant]``.

    A fixed table, so events carry a small variant number and their text is looked up when written.
    """
    table = []
    for name in TOPICS:
        w = TOPIC_WORDS[name]
        table.append(
            [
                _COMMENT_PATTERNS[v % len(_COMMENT_PATTERNS)].format(
                    w1=w[(v * 3) % len(w)], w2=w[(v * 5 + 1) % len(w)]
                )
                for v in range(COMMENT_VARIANTS)
            ]
        )
    return table
