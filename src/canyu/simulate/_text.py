"""Chinese topic vocabularies, post titles, and the audience's texts with a sentiment per text.

Every comment, community post and public mention gets a text composed from three parts — an
opener, a topic clause and a tail — drawn per text. The topic clause uses the topic's own words
(``TOPIC_WORDS``: disjoint across topics, so the topic truth is recoverable from the text) and a
template of the text's sentiment (positive or negative, drawn per text with ``POSITIVE_SHARE`` of
its topic); openers are neutral; tails (emoji, 好评/避雷 words, ``#话题#`` hashtags, ``@`` mentions)
agree with the sentiment. The parts are small Arrow string tables and a text is a take from each,
joined, so millions of texts are composed without a Python loop per text. The truth (topic and
sentiment per text) is written beside the files (``truth_texts.parquet``), never into them.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "POSITIVE_SHARE",
    "TOPICS",
    "TOPIC_WORDS",
    "TextParts",
    "compose_texts",
    "repost_texts",
    "text_parts",
    "titles",
]

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

# Disjoint across topics, and no word contains another topic's word or name.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "产品体验": ("手感", "续航", "屏幕", "做工", "质感", "性能", "流畅度", "颜值"),
    "价格优惠": ("优惠券", "折扣", "满减", "性价比", "降价", "秒杀", "预售", "赠品"),
    "新品发布": ("新品", "首发", "发布会", "预约", "开箱", "上市", "限量款", "新配色"),
    "售后服务": ("客服", "退货", "保修", "维修", "物流", "换新", "售后", "投诉"),
    "使用技巧": ("教程", "技巧", "设置", "攻略", "玩法", "清洁", "保养", "固件"),
    "品牌故事": ("创始人", "工厂", "匠心", "理念", "品牌历史", "初心", "设计师", "纪录片"),
    "粉丝活动": ("抽奖", "共创", "投票", "晒单", "打卡", "见面会", "社群", "福利"),
    "竞品对比": ("对比", "测评", "横评", "选购", "区别", "参数", "排行", "实测"),
}

# Share of positive texts per topic (after-sales talk is mostly complaints).
POSITIVE_SHARE: dict[str, float] = {
    "产品体验": 0.7,
    "价格优惠": 0.65,
    "新品发布": 0.75,
    "售后服务": 0.35,
    "使用技巧": 0.8,
    "品牌故事": 0.7,
    "粉丝活动": 0.8,
    "竞品对比": 0.55,
}

_TITLE_PATTERNS = (
    "{w1}{w2}｜{topic}全解析",
    "{topic}：{w1}和{w2}的那些事",
    "一文看懂{w1}，{w2}不踩坑",
    "【{topic}】{w1}{w2}来了",
)

# Clause templates by sentiment (1 positive, 0 negative); {a} and {b} are two words of the topic.
_CLAUSES: dict[int, tuple[str, ...]] = {
    1: (
        "{a}真的绝了，{b}也很满意",
        "{a}比想象中好太多",
        "冲着{a}买的，{b}没让我失望",
        "{a}yyds，{b}也在线",
        "姐妹们{a}闭眼入，{b}超赞",
        "{a}和{b}都挑不出毛病",
        "被{a}圈粉了，{b}也很惊喜",
        "{a}太香了吧",
        "这次的{a}值得夸，{b}很用心",
        "{a}稳了，{b}加分",
    ),
    0: (
        "{a}太拉胯了，{b}也一般",
        "{a}踩雷了，后悔",
        "说好的{a}呢？{b}差评",
        "{a}翻车了，{b}也不行",
        "吐槽一下{a}，{b}很失望",
        "{a}不是很满意，{b}更糟",
        "对{a}无语了",
        "{a}有问题，{b}也没人管",
        "{a}和宣传的不一样，{b}很坑",
        "劝退，{a}真的不行",
    ),
}
# A few whole clauses per topic and sentiment, for texts that read like a topic's own talk.
_TOPIC_CLAUSES: dict[str, dict[int, tuple[str, ...]]] = {
    "产品体验": {1: ("用了一周，手感和续航都很稳",), 0: ("用了三天屏幕就出问题了",)},
    "价格优惠": {1: ("领了优惠券到手价很划算",), 0: ("刚买完就降价，心态崩了",)},
    "新品发布": {1: ("发布会看完马上预约了",), 0: ("新品首发就抢不到，饥饿营销吧",)},
    "售后服务": {1: ("客服回复超快，换新很顺利",), 0: ("客服半天不回，退货拖了两周",)},
    "使用技巧": {1: ("按教程设置完顺手多了",), 0: ("攻略写得太乱，设置半天没弄好",)},
    "品牌故事": {1: ("看了纪录片，被创始人的初心打动",), 0: ("讲情怀的理念听腻了",)},
    "粉丝活动": {1: ("抽奖居然中了，福利很实在",), 0: ("投票活动就是走过场，福利太少",)},
    "竞品对比": {1: ("横评下来参数确实领先",), 0: ("实测对比完，区别不大还更贵",)},
}
_OPENERS = (
    "",
    "",
    "",
    "说实话，",
    "刚入手，",
    "第三次回购了，",
    "蹲了好久，",
    "朋友安利的，",
    "作为老用户，",
    "家人们，",
    "今天才发现，",
    "路过说一句，",
)
_TAILS: dict[int, tuple[str, ...]] = {
    1: (
        "",
        "",
        "！",
        "。",
        "👍",
        "❤️",
        "😍",
        "～好评",
        "，冲！",
        "，安利给大家",
        "#{topic}#",
        " @闺蜜 快来看",
    ),
    0: (
        "",
        "",
        "！",
        "。",
        "😡",
        "💔",
        "🙄",
        "，避雷",
        "，不会再买了",
        "，大家慎重",
        "#{topic}#",
        " @官方 给个说法",
    ),
}
# Repost reactions that agree with the reposted text (a repost keeps its parent's sentiment).
_REPOST_REACTIONS = ("转发微博", "说得对", "同感", "+1", "mark一下", "转发", "确实")


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


class TextParts:
    """The composed parts: ``clauses[topic * 2 + sentiment]`` and ``tails[topic * 2 + sentiment]``, openers shared."""

    def __init__(self) -> None:
        clause_groups: list[list[str]] = []
        tail_groups: list[list[str]] = []
        for name in TOPICS:
            words = TOPIC_WORDS[name]
            for sentiment in (0, 1):
                group = [
                    template.format(a=a, b=b)
                    for template in _CLAUSES[sentiment]
                    for a, b in permutations(words, 2)
                ]
                clause_groups.append(group + list(_TOPIC_CLAUSES[name][sentiment]) * 8)
                tail_groups.append([t.format(topic=name) for t in _TAILS[sentiment]])
        self.clauses, self.clause_offsets = _flatten(clause_groups)
        self.tails, self.tail_offsets = _flatten(tail_groups)
        self.openers = pa.array(_OPENERS, pa.string())
        self.reactions = pa.array(_REPOST_REACTIONS, pa.string())

    def all_texts_of(self, topic: int, sentiment: int) -> list[str]:
        """Every clause of a topic and sentiment (for tests)."""
        g = topic * 2 + sentiment
        lo, hi = self.clause_offsets[g], self.clause_offsets[g + 1]
        return self.clauses.slice(lo, hi - lo).to_pylist()


def _flatten(groups: list[list[str]]) -> tuple[pa.Array, np.ndarray]:
    offsets = np.cumsum([0] + [len(g) for g in groups])
    return pa.array([s for g in groups for s in g], pa.string()), offsets


_PARTS: TextParts | None = None


def text_parts() -> TextParts:
    """The part tables (built once)."""
    global _PARTS
    if _PARTS is None:
        _PARTS = TextParts()
    return _PARTS


def _pick(rng: np.random.Generator, offsets: np.ndarray, group: np.ndarray) -> np.ndarray:
    """A uniform index into each row's group of a flattened table."""
    lo, hi = offsets[group], offsets[group + 1]
    return lo + (rng.random(len(group)) * (hi - lo)).astype(np.int64)


def compose_texts(
    rng: np.random.Generator, topics: np.ndarray, *, p_positive: np.ndarray | None = None
) -> tuple[pa.Array, np.ndarray]:
    """A text and a sentiment (1 positive, 0 negative) for each topic index in ``topics``.

    ``p_positive`` (one per text) replaces the topics' ``POSITIVE_SHARE`` (e.g. during a crisis).
    """
    parts = text_parts()
    topics = np.asarray(topics, dtype=np.int64)
    m = len(topics)
    p_pos = np.array([POSITIVE_SHARE[t] for t in TOPICS])[topics] if m else np.zeros(0)
    if p_positive is not None:
        p_pos = np.asarray(p_positive, dtype=float)
    sentiment = (rng.random(m) < p_pos).astype(np.int8)
    group = topics * 2 + sentiment
    opener = rng.integers(0, len(parts.openers), m)
    clause = _pick(rng, parts.clause_offsets, group)
    tail = _pick(rng, parts.tail_offsets, group)
    text = pc.binary_join_element_wise(
        parts.openers.take(pa.array(opener)),
        parts.clauses.take(pa.array(clause)),
        parts.tails.take(pa.array(tail)),
        "",
    )
    return text, sentiment


def repost_texts(rng: np.random.Generator, parent_author: pa.Array, parent_text: pa.Array) -> pa.Array:
    """Weibo-style reposts: a short reaction, then ``//@author:`` and the reposted text."""
    parts = text_parts()
    reaction = parts.reactions.take(pa.array(rng.integers(0, len(parts.reactions), len(parent_text))))
    return pc.binary_join_element_wise(reaction, "//@", parent_author, ":", parent_text, "")
