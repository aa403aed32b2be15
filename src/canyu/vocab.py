"""The shared vocabulary of the data contract: channels, actions, roles, kinds.

Codes follow ``shared/DESIGN.md``. Each code also has the labels that real
back-end exports use for it (Chinese and English), so that a mapping file only
lists what is unusual about its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from canyu.errors import UnknownNameError

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "CAMPAIGN_KINDS",
    "CHANNELS",
    "CHANNEL_INFO",
    "CHANNEL_LABELS",
    "CHANNEL_ROLES",
    "CONTENT_KINDS",
    "LINK_KINDS",
    "PLATFORM_KINDS",
    "Channel",
    "normalize_label",
]

CHANNEL_ROLES: Final = MappingProxyType(
    {"broadcast": "传播", "service": "服务", "retention": "留存", "conversion": "转化"}
)

# What sort of place a channel is: public social media, the brand's own WeChat
# (private domain), a community it hosts, a shop, its web site, offline.
PLATFORM_KINDS: Final = MappingProxyType(
    {
        "social": "社交媒体",
        "private_domain": "私域",
        "community": "社区",
        "commerce": "电商",
        "web": "网站",
        "offline": "线下",
        "other": "其他",
    }
)

_COLOR = re.compile(r"#[0-9A-F]{6}")


@dataclass(frozen=True, slots=True)
class Channel:
    """Everything canyu knows about one channel code, in one place.

    Parameters
    ----------
    code
        The code stored in ``events.channel`` and every other ``channel`` column.
    name_zh, name_en
        The channel's name for readers (reports, CLI tables, charts).
    color
        Its line and bar colour in every chart, ``#RRGGBB``, close to the platform's own.
    role
        The role the playbook gives it by default (a key of :data:`CHANNEL_ROLES`), or
        ``None`` where it has none (``config.DEFAULT_ROLES`` is built from this).
    kind
        What sort of place it is (a key of :data:`PLATFORM_KINDS`).
    graph
        The social graph its shares spread over (WeChat's official account, WeCom and
        Channels share the one WeChat friend graph), or ``None`` for channels without one.
    directed
        Whether that graph's links are one-way follows (``True``) or two-way friendships
        (``False``); ``None`` when ``graph`` is.
    community
        Whether people join and leave groups there (``join`` / ``leave`` events): the
        channels that community analyses read.
    """

    code: str
    name_zh: str
    name_en: str
    color: str
    role: str | None
    kind: str
    graph: str | None = None
    directed: bool | None = None
    community: bool = False

    def __post_init__(self) -> None:
        if not _COLOR.fullmatch(self.color):
            raise ValueError(f"channel {self.code!r}: colour {self.color!r} is not #RRGGBB")
        if self.role is not None and self.role not in CHANNEL_ROLES:
            raise UnknownNameError("channel role", self.role, tuple(CHANNEL_ROLES))
        if self.kind not in PLATFORM_KINDS:
            raise UnknownNameError("platform kind", self.kind, tuple(PLATFORM_KINDS))
        if (self.graph is None) != (self.directed is None):
            raise ValueError(f"channel {self.code!r}: a graph needs a direction, and only a graph has one")

    @property
    def names(self) -> tuple[str, str]:
        """``(en, zh)``, the pair :func:`canyu.i18n.localize` picks from."""
        return (self.name_en, self.name_zh)


class _Registry(Mapping[str, Channel]):
    """A read-only ``code -> Channel`` mapping whose unknown codes raise :class:`UnknownNameError`."""

    __slots__ = ("_items",)

    def __init__(self, channels: tuple[Channel, ...]) -> None:
        self._items = {c.code: c for c in channels}
        if len(self._items) != len(channels):
            raise ValueError("channel codes must be unique")

    def __getitem__(self, code: str) -> Channel:
        try:
            return self._items[code]
        except KeyError:
            raise UnknownNameError("channel", str(code), tuple(self._items)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, code: object) -> bool:
        return code in self._items

    def get(self, code: str, default: Channel | None = None) -> Channel | None:  # type: ignore[override]
        return self._items.get(code, default)

    def __repr__(self) -> str:
        return f"CHANNEL_INFO({', '.join(self._items)})"


_BROADCAST, _SERVICE, _RETENTION, _CONVERSION = "broadcast", "service", "retention", "conversion"
_FOLLOW, _FRIEND = True, False  # a graph of one-way follows, or of two-way friendships

# The one description of every channel code, in the order channels are listed.
# fmt: off
CHANNEL_INFO: Final[Mapping[str, Channel]] = _Registry((
    Channel("wechat_oa", "微信公众号", "WeChat OA", "#07C160", _SERVICE, "private_domain",
            graph="wechat", directed=_FRIEND),
    Channel("wecom", "企业微信", "WeCom", "#2B7CE9", _SERVICE, "private_domain",
            graph="wechat", directed=_FRIEND, community=True),
    Channel("wechat_channels", "视频号", "WeChat Channels", "#FA9D3B", _BROADCAST, "social",
            graph="wechat", directed=_FRIEND),
    # a mini program has no followers of its own: its links travel in WeChat chats
    Channel("mini_program", "小程序", "Mini Program", "#6467F0", None, "private_domain"),
    Channel("weibo", "微博", "Weibo", "#E6162D", _BROADCAST, "social", graph="weibo", directed=_FOLLOW),
    Channel("qzone", "QQ空间", "Qzone", "#F4C20D", _BROADCAST, "social", graph="qzone", directed=_FRIEND),
    Channel("douyin", "抖音", "Douyin", "#161823", _BROADCAST, "social", graph="douyin", directed=_FOLLOW),
    Channel("kuaishou", "快手", "Kuaishou", "#FF4906", _BROADCAST, "social",
            graph="kuaishou", directed=_FOLLOW),
    Channel("xiaohongshu", "小红书", "Xiaohongshu", "#FF5C8A", _BROADCAST, "social",
            graph="xiaohongshu", directed=_FOLLOW),
    Channel("bilibili", "B站", "Bilibili", "#00A1D6", _BROADCAST, "social",
            graph="bilibili", directed=_FOLLOW),
    Channel("forum", "论坛/社区", "Forum", "#8E44AD", _RETENTION, "community",
            graph="forum", directed=_FOLLOW, community=True),
    Channel("web", "官网/H5", "Web / H5", "#7F8C8D", None, "web"),
    Channel("ecommerce", "电商", "E-commerce", "#FF7A00", _CONVERSION, "commerce"),
    Channel("jd", "京东", "JD.com", "#C91623", _CONVERSION, "commerce"),
    Channel("pinduoduo", "拼多多", "Pinduoduo", "#F25C54", _CONVERSION, "commerce"),
    Channel("offline", "线下", "Offline", "#8D6E63", None, "offline"),
    Channel("other", "其他", "Other", "#BDBDBD", None, "other"),
))
# fmt: on

# code -> Chinese name, the form most of canyu reads.
CHANNELS: Final = MappingProxyType({code: c.name_zh for code, c in CHANNEL_INFO.items()})

ACTIONS: Final = MappingProxyType(
    {
        "expose": "曝光",
        "view": "阅读/播放",
        "like": "点赞",
        "comment": "评论",
        "collect": "收藏/在看",
        "share": "转发",
        "follow": "关注",
        "unfollow": "取消关注",
        "message": "用户消息",
        "reply": "品牌回复",
        "join": "入群",
        "leave": "退群",
        "post": "发帖",
        "click": "点击",
        "lead": "留资",
        "purchase": "下单购买",
        "refund": "退款",
    }
)

CAMPAIGN_KINDS: Final = MappingProxyType(
    {
        "participation_node": "参与节点",
        "interaction": "互动方式",
        "wom_event": "口碑事件",
        "launch": "新品发布",
    }
)

CONTENT_KINDS: Final = MappingProxyType(
    {"article": "图文", "post": "帖子", "video": "视频", "live": "直播", "thread": "主题帖"}
)

LINK_KINDS: Final = MappingProxyType({"unionid": "UnionID", "phone_hash": "手机号哈希", "bind": "显式绑定"})

# Labels seen in real exports (see shared/EXPORTS.md) -> codes. Keys are
# normalized with normalize_label (lower case, no spaces).
CHANNEL_LABELS: Final = MappingProxyType(
    {
        "公众号": "wechat_oa",
        "微信公众号": "wechat_oa",
        "微信公众平台": "wechat_oa",
        "服务号": "wechat_oa",
        "订阅号": "wechat_oa",
        "wechat": "wechat_oa",
        "企业微信": "wecom",
        "企微": "wecom",
        "私域": "wecom",
        "视频号": "wechat_channels",
        "小程序": "mini_program",
        "微博": "weibo",
        "新浪微博": "weibo",
        "qq空间": "qzone",
        "空间": "qzone",
        "抖音": "douyin",
        "tiktok": "douyin",
        "快手": "kuaishou",
        "kuaishou": "kuaishou",
        "小红书": "xiaohongshu",
        "xhs": "xiaohongshu",
        "red": "xiaohongshu",
        "b站": "bilibili",
        "哔哩哔哩": "bilibili",
        "论坛": "forum",
        "社区": "forum",
        "官网": "web",
        "h5": "web",
        "网站": "web",
        "电商": "ecommerce",
        "天猫": "ecommerce",
        "淘宝": "ecommerce",
        "有赞": "ecommerce",
        "tmall": "ecommerce",
        "taobao": "ecommerce",
        "youzan": "ecommerce",
        "京东": "jd",
        "jd": "jd",
        "jd.com": "jd",
        "拼多多": "pinduoduo",
        "pdd": "pinduoduo",
        "线下": "offline",
        "门店": "offline",
        "其他": "other",
    }
)

ACTION_LABELS: Final = MappingProxyType(
    {
        "曝光": "expose",
        "展现": "expose",
        "送达": "expose",
        "impression": "expose",
        "阅读": "view",
        "浏览": "view",
        "播放": "view",
        "观看": "view",
        "read": "view",
        "play": "view",
        "点赞": "like",
        "赞": "like",
        "表态": "like",
        "评论": "comment",
        "留言": "comment",
        "收藏": "collect",
        "在看": "collect",
        "转发": "share",
        "分享": "share",
        "repost": "share",
        "forward": "share",
        "关注": "follow",
        "新关注": "follow",
        "取消关注": "unfollow",
        "取关": "unfollow",
        "消息": "message",
        "私信": "message",
        "咨询": "message",
        "回复": "reply",
        "客服回复": "reply",
        "入群": "join",
        "加群": "join",
        "退群": "leave",
        "发帖": "post",
        "发布": "post",
        "点击": "click",
        "留资": "lead",
        "领券": "lead",
        "注册": "lead",
        "报名": "lead",
        "下单": "purchase",
        "购买": "purchase",
        "付款": "purchase",
        "支付": "purchase",
        "order": "purchase",
        "pay": "purchase",
        "退款": "refund",
    }
)


def normalize_label(label: str) -> str:
    """The form labels are compared in: trimmed, lower case, inner spaces removed."""
    return "".join(label.split()).lower()
