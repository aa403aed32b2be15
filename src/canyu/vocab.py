"""The shared vocabulary of the data contract: channels, actions, roles, kinds.

Codes follow ``shared/DESIGN.md``. Each code also has the labels that real
back-end exports use for it (Chinese and English), so that a mapping file only
lists what is unusual about its source.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "CAMPAIGN_KINDS",
    "CHANNELS",
    "CHANNEL_LABELS",
    "CHANNEL_ROLES",
    "CONTENT_KINDS",
    "LINK_KINDS",
    "normalize_label",
]

CHANNELS: Final = MappingProxyType(
    {
        "wechat_oa": "微信公众号",
        "wecom": "企业微信",
        "wechat_channels": "视频号",
        "mini_program": "小程序",
        "weibo": "微博",
        "qzone": "QQ空间",
        "douyin": "抖音",
        "xiaohongshu": "小红书",
        "bilibili": "B站",
        "forum": "论坛/社区",
        "web": "官网/H5",
        "ecommerce": "电商",
        "offline": "线下",
        "other": "其他",
    }
)

CHANNEL_ROLES: Final = MappingProxyType(
    {"broadcast": "传播", "service": "服务", "retention": "留存", "conversion": "转化"}
)

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
        "京东": "ecommerce",
        "有赞": "ecommerce",
        "tmall": "ecommerce",
        "taobao": "ecommerce",
        "jd": "ecommerce",
        "youzan": "ecommerce",
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
