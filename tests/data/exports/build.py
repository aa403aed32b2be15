"""Build the real-shaped platform exports in this folder (layouts: shared/EXPORTS.md).

Run ``python tests/data/exports/build.py`` to write them again; the files are committed, so tests
do not depend on this script. Values are small, fixed and realistic; the tests assert their exact
row counts and sums.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent


def _csv(name: str, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> None:
    with open(HERE / name, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _json(name: str, doc: object) -> None:
    (HERE / name).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


DAYS = [f"2026-10-0{d}" for d in range(1, 8)]


def wechat_tendency() -> None:
    """公众号后台 内容分析 → 数据趋势 → 下载: title row (merged), then headers; one row per day (渠道 = 全部)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据趋势"
    header = [
        "日期",
        "渠道",
        "阅读次数",
        "阅读人数",
        "分享次数",
        "分享人数",
        "阅读原文次数",
        "阅读原文人数",
        "收藏次数",
        "收藏人数",
        "群发篇数",
    ]
    ws.append(["图文群发每日数据（2026-10-01 至 2026-10-07）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    reads = [1432, 1190, 1811, 1004, 902, 1675, 1533]
    readers = [1200, 980, 1530, 870, 760, 1410, 1322]
    shares = [88, 61, 132, 40, 35, 97, 90]
    favs = [12, 9, 20, 5, 4, 15, 11]
    for i, day in enumerate(DAYS):
        ws.append(
            [
                day,
                "全部",
                reads[i],
                readers[i],
                shares[i] + 7,
                shares[i],
                30 + i,
                25 + i,
                favs[i] + 2,
                favs[i],
                1,
            ]
        )
    wb.save(HERE / "wechat_tendency.xlsx")


def wechat_single_articles() -> None:
    """单篇群发 export (CSV, UTF-8 with BOM): lifetime totals per article at export time."""
    header = [
        "内容标题",
        "发表时间",
        "送达人数",
        "公众号消息阅读次数",
        "总阅读人数",
        "总阅读次数",
        "总分享人数",
        "总分享次数",
        "阅读后关注人数",
        "在看人数",
        "点赞人数",
        "留言数",
        "收藏人数",
    ]
    rows = [
        [
            "国庆新品首发｜三款秋季限定上市",
            "2026-10-01 20:30",
            15230,
            2890,
            3312,
            4101,
            201,
            260,
            35,
            41,
            66,
            12,
            28,
        ],
        [
            "十一出行清单：带上这只保温杯",
            "2026-10-02 20:30",
            15244,
            1930,
            2207,
            2640,
            98,
            120,
            9,
            18,
            30,
            4,
            15,
        ],
        [
            "粉丝共创｜投票选出你最爱的口味",
            "2026-10-03 12:00",
            15260,
            2400,
            2985,
            3655,
            310,
            402,
            51,
            60,
            88,
            130,
            22,
        ],
        ["新品测评：真实用户怎么说", "2026-10-05 20:30", 15301, 1701, 1888, 2205, 77, 90, 6, 12, 25, 9, 11],
        [
            "限时福利：留言抽 10 位送新品",
            "2026-10-06 18:00",
            15322,
            3520,
            4020,
            5012,
            455,
            610,
            73,
            95,
            140,
            388,
            40,
        ],
        ["幕后：一只杯子的 30 道工序", "2026-10-07 20:30", 15340, 1210, 1399, 1650, 45, 52, 3, 8, 19, 2, 9],
    ]
    _csv("wechat_single_articles.csv", header, rows)


def wechat_article_total() -> None:
    """datacube getarticletotal: details[] are running totals since the send date (7 days)."""

    def details(
        reads: list[int], shares: list[int], favs: list[int], start: int, target: int
    ) -> list[dict[str, object]]:
        return [
            {
                "stat_date": f"2026-10-{start + i:02d}",
                "target_user": target,
                "int_page_read_user": reads[i],
                "int_page_read_count": reads[i] + reads[i] // 5,
                "ori_page_read_user": reads[i] // 20,
                "ori_page_read_count": reads[i] // 18,
                "share_user": shares[i],
                "share_count": shares[i] + 3,
                "add_to_fav_user": favs[i],
                "add_to_fav_count": favs[i],
                "int_page_from_session_read_user": reads[i] // 2,
                "feed_share_from_session_user": shares[i] // 2,
            }
            for i in range(7)
        ]

    doc = {
        "list": [
            {
                "ref_date": "2026-10-01",
                "msgid": "2247483912_1",
                "title": "国庆新品首发｜三款秋季限定上市",
                "details": details(
                    [1754, 2890, 3512, 3980, 4301, 4470, 4557],
                    [120, 188, 222, 240, 251, 258, 261],
                    [14, 20, 24, 26, 27, 28, 28],
                    1,
                    15230,
                ),
            },
            {
                "ref_date": "2026-10-02",
                "msgid": "2247483920_1",
                "title": "十一出行清单：带上这只保温杯",
                "details": details(
                    [980, 1522, 1801, 1990, 2102, 2180, 2207],
                    [50, 77, 88, 93, 96, 98, 98],
                    [8, 11, 13, 14, 15, 15, 15],
                    2,
                    15244,
                ),
            },
        ]
    }
    _json("wechat_getarticletotal.json", doc)


def wechat_user_analysis() -> None:
    """用户分析 → 下载表格: an HTML table saved as .xls (title row, then headers)."""
    rows = [
        ("2026-10-01", 132, 9, 123, 15223),
        ("2026-10-02", 141, 7, 134, 15357),
        ("2026-10-03", 149, 4, 145, 15502),
        ("2026-10-04", 88, 6, 82, 15584),
        ("2026-10-05", 70, 3, 67, 15651),
        ("2026-10-06", 160, 12, 148, 15799),
        ("2026-10-07", 95, 5, 90, 15889),
    ]
    cells = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>\n" for r in rows)
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>\n'
        '<table border="1">\n<tr><th colspan="5">用户增长（2026-10-01 至 2026-10-07）</th></tr>\n'
        "<tr><th>时间</th><th>新关注人数</th><th>取消关注人数</th><th>净增关注人数</th><th>累积关注人数</th></tr>\n"
        f"{cells}</table></body></html>\n"
    )
    (HERE / "user_analysis.xls").write_text(page, encoding="utf-8")


def weibo() -> None:
    """A 微博 post export (CSV) and a statuses API response (created_at in Weibo's own format)."""
    header = ["微博ID", "微博内容", "发布时间", "阅读数", "转发数", "评论数", "点赞数"]
    rows = [
        [
            "5082113394721281",
            "#国庆新品# 三款秋季限定今天上市！",
            "2026-10-01 09:00",
            "2.3万",
            310,
            122,
            1208,
        ],
        [
            "5082499023114492",
            "转发抽奖：关注+转发，抽 3 位送新品",
            "2026-10-02 12:00",
            "5.1万",
            2210,
            940,
            3120,
        ],
        ["5082871233551863", "幕后花絮 | 30 道工序", "2026-10-03 20:15", 8800, 45, 19, 230],
        ["5083260011456274", "粉丝返图合集", "2026-10-05 18:30", 12040, 98, 64, 677],
        ["5083650399114325", "十一假期最后一天，你去哪儿了？", "2026-10-07 10:00", "-", 12, 30, 150],
    ]
    _csv("weibo_posts.csv", header, rows)
    statuses = [
        (
            "Thu Oct 01 09:00:00 +0800 2026",
            "5082113394721281",
            "#国庆新品# 三款秋季限定今天上市！",
            310,
            122,
            1208,
        ),
        (
            "Fri Oct 02 07:10:00 +0800 2026",
            "5082499023114492",
            "转发抽奖：关注+转发，抽 3 位送新品",
            2210,
            940,
            3120,
        ),
        ("Sat Oct 03 20:15:00 +0800 2026", "5082871233551863", "幕后花絮 | 30 道工序", 45, 19, 230),
    ]
    doc = {
        "statuses": [
            {
                "created_at": c,
                "id": int(i),
                "idstr": i,
                "mid": i,
                "text": t,
                "source": '<a href="https://weibo.com/" rel="nofollow">微博网页版</a>',
                "reposts_count": r,
                "comments_count": m,
                "attitudes_count": a,
                "user": {
                    "id": 7820011223,
                    "idstr": "7820011223",
                    "screen_name": "品牌官方微博",
                    "followers_count": 182330,
                },
            }
            for c, i, t, r, m, a in statuses
        ],
        "total_number": 3,
    }
    _json("weibo_statuses.json", doc)


def douyin() -> None:
    """创作者中心 作品列表导出.xlsx ("-" where a figure is missing) and a daily per-video CSV."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "作品列表"
    header = [
        "作品名称",
        "发布时间",
        "体裁",
        "审核状态",
        "播放量",
        "完播率",
        "5s完播率",
        "封面点击率",
        "2s跳出率",
        "平均播放时长",
        "点赞量",
        "分享量",
        "评论量",
        "收藏量",
        "主页访问量",
        "粉丝增量",
    ]
    ws.append(header)
    rows = [
        [
            "国庆新品开箱 #秋季限定",
            "2026-10-01 12:00:00",
            "视频",
            "已发布",
            37700,
            "7.30%",
            "32.00%",
            "12.00%",
            "31.50%",
            8.2,
            1804,
            120,
            233,
            310,
            2004,
            150,
        ],
        [
            "30 道工序做一只杯子",
            "2026-10-02 19:30:00",
            "视频",
            "已发布",
            12500,
            "11.20%",
            "40.10%",
            "9.80%",
            "28.00%",
            12.5,
            920,
            45,
            88,
            140,
            640,
            32,
        ],
        [
            "转发抽奖 福利来了",
            "2026-10-03 18:00:00",
            "视频",
            "已发布",
            98200,
            "5.10%",
            "25.30%",
            "14.40%",
            "35.20%",
            6.1,
            5230,
            1880,
            2410,
            760,
            8800,
            610,
        ],
        [
            "粉丝返图",
            "2026-10-05 20:00:00",
            "图文",
            "已发布",
            4300,
            "-",
            "-",
            "-",
            "-",
            "-",
            210,
            8,
            19,
            22,
            90,
            "-",
        ],
        [
            "假期最后一天",
            "2026-10-07 09:00:00",
            "视频",
            "审核中",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
            "-",
        ],
    ]
    for r in rows:
        ws.append(r)
    wb.save(HERE / "douyin_works.xlsx")
    header = ["日期", "作品ID", "播放量", "点赞量", "评论量", "分享量", "收藏量", "粉丝增量"]
    daily = [
        ["2026-10-01", "7432001122334455661", 21000, 1002, 130, 70, 180, 90],
        ["2026-10-02", "7432001122334455661", 11200, 540, 70, 33, 90, 41],
        ["2026-10-03", "7432001122334455661", 5500, 262, 33, 17, 40, 19],
        ["2026-10-02", "7432004455667788992", 8000, 610, 55, 30, 95, 20],
        ["2026-10-03", "7432004455667788992", 4500, 310, "-", "-", 45, 12],
        ["2026-10-03", "7432007788990011223", 60200, 3300, 1500, 1200, 500, 400],
    ]
    _csv("douyin_daily.csv", header, daily, encoding="utf-8")


def xiaohongshu() -> None:
    """笔记列表明细表.xlsx: row 1 a note, row 2 the headers; lifetime totals per note."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["说明：数据为笔记发布至今的累计值，统计截至 2026年10月08日"])
    ws.append(
        [
            "笔记标题",
            "首次发布时间",
            "体裁",
            "曝光",
            "观看量",
            "封面点击率",
            "点赞",
            "评论",
            "收藏",
            "涨粉",
            "分享",
            "人均观看时长",
            "弹幕",
        ]
    )
    rows = [
        [
            "国庆新品开箱｜秋季限定三款",
            "2026年10月01日 12:30",
            "图文",
            12000,
            2300,
            "19.2%",
            310,
            45,
            220,
            31,
            18,
            "-",
            "-",
        ],
        [
            "保温杯真实测评",
            "2026年10月02日 20:05",
            "视频",
            "1.5万",
            3100,
            "20.7%",
            402,
            66,
            380,
            44,
            25,
            21.3,
            12,
        ],
        [
            "十一出游穿搭+随行杯",
            "2026年10月03日 09:40",
            "图文",
            8800,
            1260,
            "14.3%",
            150,
            21,
            96,
            9,
            7,
            "-",
            "-",
        ],
        [
            "粉丝共创口味投票结果",
            "2026年10月05日 18:00",
            "视频",
            20400,
            5120,
            "25.1%",
            990,
            310,
            640,
            120,
            88,
            35.8,
            40,
        ],
    ]
    for r in rows:
        ws.append(r)
    wb.save(HERE / "xhs_notes.xlsx")


def kuaishou() -> None:
    """快手创作者服务平台 作品数据 export (CSV)."""
    header = ["作品ID", "作品描述", "发布时间", "播放数", "点赞数", "评论数", "分享数", "收藏数", "涨粉数"]
    rows = [
        ["3xk9a2m4bq7", "国庆新品开箱", "2026-10-01 12:00:00", 15200, 640, 88, 40, 72, 35],
        ["3xk9b8c1dq2", "保温杯装开水 12 小时实测", "2026-10-02 20:00:00", 40100, 2210, 340, 260, 410, 180],
        ["3xk9c3e5fq9", "工厂探秘", "2026-10-04 18:30:00", 6800, 210, 19, 9, 25, "-"],
    ]
    _csv("kuaishou_works.csv", header, rows, encoding="utf-8")


def tmall() -> None:
    """订单报表 and 退款单 (GB18030; 订单编号 wrapped as ="…" by Excel; "收货地址 " with a trailing space)."""
    header = [
        "订单编号",
        "买家会员名",
        "买家支付宝账号",
        "买家应付货款",
        "买家应付邮费",
        "总金额",
        "买家实际支付金额",
        "订单状态",
        "订单关闭原因",
        "收货人姓名",
        "收货地址 ",
        "联系电话 ",
        "联系手机",
        "订单创建时间",
        "订单付款时间",
        "宝贝标题",
        "宝贝总数量",
        "店铺名称",
        "退款金额",
    ]
    o = [
        (
            "3958123400011",
            "tb_lucy88",
            "2026-10-01 20:31:05",
            "2026-10-01 20:31:40",
            "交易成功",
            129.00,
            0.00,
        ),
        ("3958123400022", "秋天的猫", "2026-10-01 21:02:10", "2026-10-01 21:02:33", "交易成功", 258.00, 0.00),
        (
            "3958123400033",
            "tb_lucy88",
            "2026-10-02 09:15:00",
            "2026-10-02 09:15:21",
            "卖家已发货，等待买家确认",
            99.90,
            0.00,
        ),
        (
            "3958123400044",
            "xiaoming_2026",
            "2026-10-02 10:00:00",
            "2026-10-02 10:00:12",
            "交易成功",
            129.00,
            129.00,
        ),
        (
            "3958123400055",
            "bigfish",
            "2026-10-03 11:11:11",
            "2026-10-03 11:11:30",
            "买家已付款，等待卖家发货",
            387.00,
            0.00,
        ),
        (
            "3958123400066",
            "bigfish",
            "2026-10-03 11:11:11",
            "2026-10-03 11:11:30",
            "买家已付款，等待卖家发货",
            387.00,
            0.00,
        ),
        ("3958123400077", "悠悠茶", "2026-10-04 15:20:00", "2026-10-04 15:20:45", "交易成功", 59.00, 20.00),
        ("3958123400088", "tb_8800", "2026-10-05 08:00:00", "2026-10-05 08:01:02", "交易成功", 199.00, 0.00),
        ("3958123400099", "walker", "2026-10-05 22:10:00", "", "等待买家付款", 129.00, 0.00),
        ("3958123400100", "walker", "2026-10-06 09:00:00", "", "交易关闭", 129.00, 0.00),
        ("3958123400111", "tb_lucy88", "2026-10-06 10:30:00", "", "交易被淘宝关闭", 258.00, 0.00),
        ("3958123400122", "nobody_pays", "2026-10-07 12:00:00", "", "没有创建支付宝交易", 99.90, 0.00),
    ]
    rows = []
    for i, (oid, buyer, created, paid, status, amount, refund) in enumerate(o):
        rows.append(
            [
                f'="{oid}"',
                buyer,
                f"{buyer[:2]}***@163.com",
                f"{amount:.2f}",
                "0.00",
                f"{amount:.2f}",
                f"{amount:.2f}" if paid else "0.00",
                status,
                "买家未付款" if status in ("交易关闭", "交易被淘宝关闭") else "",
                ["张伟", "王芳", "李娜", "刘洋"][i % 4],
                [
                    "浙江省 杭州市 西湖区 文三路 90 号",
                    "上海市 浦东新区 世纪大道 100 号",
                    "北京市 朝阳区 建国路 8 号",
                    "广东省 深圳市 南山区 科技园",
                ][i % 4],
                "",
                f"1380013{8000 + i:04d}",
                created,
                paid,
                "秋季限定保温杯 500ml",
                1 if amount < 200 else 2,
                "品牌官方旗舰店",
                f"{refund:.2f}",
            ]
        )
    _csv("tmall_orders.csv", header, rows, encoding="gb18030")
    header = [
        "退款编号",
        "订单编号",
        "支付宝交易号",
        "订单付款时间",
        "退款完结时间",
        "买家会员名称",
        "买家实际支付金额",
        "宝贝标题",
        "买家退款金额",
        "是否需要退货",
        "退款的申请时间",
    ]
    refunds = [
        [
            "R8800012301",
            '="3958123400044"',
            "2026100222001100011",
            "2026-10-02 10:00:12",
            "2026-10-04 16:20:00",
            "xiaoming_2026",
            "129.00",
            "秋季限定保温杯 500ml",
            "129.00",
            "是",
            "2026-10-03 09:00:00",
        ],
        [
            "R8800012302",
            '="3958123400077"',
            "2026100422001100022",
            "2026-10-04 15:20:45",
            "2026-10-05 11:00:00",
            "悠悠茶",
            "59.00",
            "秋季限定保温杯 500ml",
            "20.00",
            "否",
            "2026-10-05 10:00:00",
        ],
    ]
    _csv("tmall_refunds.csv", header, refunds, encoding="gb18030")


def youzan() -> None:
    """有赞 trades API (youzan.trades.sold.get): data.full_order_info_list[].full_order_info."""

    def order(
        tid: str,
        status: str,
        status_str: str,
        created: str,
        pay_time: str,
        total: str,
        payment: str,
        openid: str,
        phone: str,
    ) -> dict[str, object]:
        return {
            "full_order_info": {
                "order_info": {
                    "tid": tid,
                    "status": status,
                    "status_str": status_str,
                    "created": created,
                    "pay_time": pay_time,
                    "update_time": created,
                    "type": 0,
                    "pay_type_str": "WEIXIN_DAIXIAO",
                    "shop_name": "品牌有赞微商城",
                    "refund_state": 0,
                },
                "pay_info": {
                    "total_fee": total,
                    "payment": payment,
                    "post_fee": "0.00",
                    "transaction": ["4200001234" + tid[-6:]],
                },
                "buyer_info": {
                    "yz_open_id": "yz" + openid[-8:],
                    "outer_user_id": openid,
                    "buyer_phone": phone,
                    "fans_type": 1,
                    "fans_nickname": "小" + openid[-2:],
                },
                "address_info": {
                    "receiver_name": "陈静",
                    "receiver_tel": "$HzK1xA$1$",
                    "delivery_province": "浙江省",
                    "delivery_city": "杭州市",
                    "delivery_district": "余杭区",
                    "delivery_address": "五常大道 181 号",
                },
                "orders": [
                    {
                        "oid": tid + "01",
                        "title": "秋季限定保温杯 500ml",
                        "num": 1,
                        "price": total,
                        "payment": payment,
                    }
                ],
                "source_info": {"order_mark": "wx_shop"},
                "remark_info": {"buyer_message": ""},
            }
        }

    doc = {
        "code": 200,
        "success": True,
        "data": {
            "total_results": 4,
            "full_order_info_list": [
                order(
                    "E20261001203011000101",
                    "TRADE_SUCCESS",
                    "已完成",
                    "2026-10-01 20:30:11",
                    "2026-10-01 20:30:40",
                    "281.70",
                    "139.14",
                    "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
                    "$Jm9bL2$1$",
                ),
                order(
                    "E20261002110000000202",
                    "WAIT_BUYER_CONFIRM_GOODS",
                    "已发货",
                    "2026-10-02 11:00:00",
                    "2026-10-02 11:00:30",
                    "129.00",
                    "119.00",
                    "o6_bmjrPTlm6_2sgVt7hMZOPfAA1",
                    "$Xq7cP1$1$",
                ),
                order(
                    "E20261003090000000303",
                    "WAIT_BUYER_PAY",
                    "待付款",
                    "2026-10-03 09:00:00",
                    "",
                    "129.00",
                    "129.00",
                    "o6_bmjrPTlm6_2sgVt7hMZOPfBB2",
                    "$Xq7cP2$1$",
                ),
                order(
                    "E20261004100000000404",
                    "TRADE_CLOSED",
                    "已关闭",
                    "2026-10-04 10:00:00",
                    "",
                    "59.00",
                    "59.00",
                    "o6_bmjrPTlm6_2sgVt7hMZOPfAA1",
                    "$Xq7cP1$1$",
                ),
            ],
        },
    }
    _json("youzan_orders.json", doc)


def jd() -> None:
    """京东 POP order search (jingdong.pop.order.search): nested consignee and item lists."""

    def order(
        oid: str,
        state: str,
        remark: str,
        start: str,
        paid: str,
        total: str,
        payment: str,
        pin: str,
        mobile: str,
    ) -> dict[str, object]:
        return {
            "orderId": oid,
            "venderId": "10086001",
            "orderType": "22",
            "payType": "4-在线支付",
            "orderTotalPrice": total,
            "orderSellerPrice": total,
            "orderPayment": payment,
            "freightPrice": "0.00",
            "orderState": state,
            "orderStateRemark": remark,
            "orderStartTime": start,
            "paymentConfirmTime": paid,
            "pin": pin,
            "consigneeInfo": {
                "fullname": "周杰",
                "telephone": "",
                "mobile": mobile,
                "fullAddress": "江苏 南京市 鼓楼区 中山北路 30 号",
                "province": "江苏",
                "city": "南京市",
            },
            "itemInfoList": [
                {
                    "skuId": "100012345678",
                    "skuName": "秋季限定保温杯 500ml",
                    "itemTotal": "1",
                    "jdPrice": total,
                }
            ],
        }

    doc = {
        "jingdong_pop_order_search_responce": {
            "code": "0",
            "searchorderinfo_result": {
                "apiResult": {"success": True},
                "orderTotal": 3,
                "orderInfoList": [
                    order(
                        "289011223344",
                        "FINISHED_L",
                        "完成",
                        "2026-10-01 10:00:00",
                        "2026-10-01 10:00:20",
                        "139.00",
                        "129.00",
                        "jd_7a1b2c",
                        "13900139000",
                    ),
                    order(
                        "289011223355",
                        "WAIT_SELLER_STOCK_OUT",
                        "等待出库",
                        "2026-10-02 14:00:00",
                        "2026-10-02 14:01:00",
                        "278.00",
                        "278.00",
                        "jd_9f8e7d",
                        "13900139001",
                    ),
                    order(
                        "289011223366",
                        "TRADE_CANCELED",
                        "已取消",
                        "2026-10-03 16:00:00",
                        "",
                        "139.00",
                        "139.00",
                        "jd_9f8e7d",
                        "13900139001",
                    ),
                ],
            },
        }
    }
    _json("jd_orders.json", doc)


def wecom() -> None:
    """企业微信 externalcontact/batch/get_by_user: customers added by members (follow events)."""
    contacts = [
        (
            "wmqfasd1e19278asdsdfsdf3f",
            "张三",
            "oAAAAA_unionid_001",
            "zhangsan",
            1791201600,
            "13800138000",
            1,
            "qr_oct_launch",
        ),
        ("wmqfasd1e19278asdsdfsdf4g", "李四", "oAAAAA_unionid_002", "zhangsan", 1791205200, "", 3, ""),
        ("wmqfasd1e19278asdsdfsdf5h", "Amy", "", "lisi", 1791291600, "13912345678", 16, "link_coupon"),
        (
            "wmqfasd1e19278asdsdfsdf6i",
            "王五",
            "oAAAAA_unionid_004",
            "lisi",
            1791378000,
            "",
            1,
            "qr_oct_launch",
        ),
    ]
    doc = {
        "errcode": 0,
        "errmsg": "ok",
        "external_contact_list": [
            {
                "external_contact": {"external_userid": e, "name": n, "type": 1, "gender": 1, "unionid": u},
                "follow_info": {
                    "userid": user,
                    "remark": "",
                    "description": "",
                    "createtime": t,
                    "tag_id": ["etAJ2GCAAAXtWyujaWJHDDGi0mACHJ2A"],
                    "remark_corp_name": "",
                    "remark_mobiles": [m] if m else [],
                    "oper_userid": user,
                    "add_way": way,
                    "state": state,
                },
            }
            for e, n, u, user, t, m, way, state in contacts
        ],
        "next_cursor": "",
    }
    _json("wecom_contacts.json", doc)


def spend() -> None:
    """Spend sheets: long form (one row per day, channel and campaign) and wide (one column per channel)."""
    header = ["日期", "渠道", "活动", "花费（元）", "曝光量"]
    rows = [
        ["2026-10-01", "微博", "oct_launch", "1,200.00", 150000],
        ["2026-10-01", "抖音", "oct_launch", "3,500.00", 420000],
        ["2026-10-01", "小红书", "oct_launch", "800.00", 60000],
        ["2026-10-02", "微博", "oct_launch", "900.00", 98000],
        ["2026-10-02", "抖音", "oct_launch", "2,800.00", 300000],
        ["2026-10-02", "抖音", "oct_launch", "700.00", 80000],
        ["2026-10-03", "公众号", "", "500.00", "-"],
        ["2026-10-03", "小红书", "kol_seed", "2,000.00", 110000],
    ]
    _csv("spend_long.csv", header, rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "投放花费"
    ws.append(["日期", "微博", "抖音", "小红书", "公众号"])
    for r in [
        ["2026-10-01", 1200, 3500, 800, None],
        ["2026-10-02", 900, 3500, "-", 300],
        ["2026-10-03", 0, 2600, 2000, 500],
        ["2026-10-04", 650.5, None, 1200, 500],
    ]:
        ws.append(r)
    wb.save(HERE / "spend_wide.xlsx")


LONG_TEXT = "用了一个月来写个长评：" + "续航比上一代强很多，屏幕素质在线，做工扎实，" * 30 + "总之值得入手。"


def mentions() -> None:
    """Public discussion: Weibo API comments and mentions (reposts with //@ chains), a listening export.

    Texts carry emoji, #话题#, @user, //@user: chains and one of 678 characters.
    """
    comments = [
        (
            "Thu Oct 01 09:12:00 +0800 2026",
            "5082113400000001",
            "终于等到了！#国庆新品# 😍😍",
            "2001",
            None,
            12,
        ),
        (
            "Thu Oct 01 09:30:00 +0800 2026",
            "5082113400000002",
            "@品牌官方微博 什么时候发货？",
            "2002",
            None,
            0,
        ),
        (
            "Thu Oct 01 10:02:00 +0800 2026",
            "5082113400000003",
            "回复@用户2002:明天就发哦～",
            "7820011223",
            "5082113400000002",
            3,
        ),
        ("Fri Oct 02 08:00:00 +0800 2026", "5082499100000004", "抽我抽我🙏", "2003", None, 1),
        (
            "Fri Oct 02 08:00:00 +0800 2026",
            "5082499100000004",
            "抽我抽我🙏",
            "2003",
            None,
            1,
        ),  # fetched twice
    ]
    doc = {
        "comments": [
            {
                "created_at": c,
                "id": int(i),
                "idstr": i,
                "text": t,
                "like_count": likes,
                "user": {"id": int(u), "idstr": u, "screen_name": f"用户{u}"},
                "status": {"idstr": "5082113394721281" if k < 3 else "5082499023114492"},
                **({"reply_comment": {"idstr": r, "id": int(r)}} if r else {}),
            }
            for k, (c, i, t, u, r, likes) in enumerate(comments)
        ],
        "total_number": 5,
    }
    _json("weibo_comments.json", doc)
    statuses = [
        (
            "Thu Oct 01 11:00:00 +0800 2026",
            "5082200000000001",
            "#国庆新品# 三款都想要，@闺蜜 一起冲 🛒",
            "3001",
            None,
            4,
            18,
        ),
        (
            "Thu Oct 01 12:30:00 +0800 2026",
            "5082200000000002",
            "冲！//@用户3001:#国庆新品# 三款都想要，@闺蜜 一起冲 🛒",
            "3002",
            "5082200000000001",
            1,
            2,
        ),
        (
            "Thu Oct 01 13:00:00 +0800 2026",
            "5082200000000003",
            "+1//@用户3002:冲！//@用户3001:#国庆新品# 三款都想要，@闺蜜 一起冲 🛒",
            "3003",
            "5082200000000001",
            0,
            0,
        ),
        ("Sat Oct 03 21:00:00 +0800 2026", "5082200000000004", LONG_TEXT, "3004", None, 9, 120),
    ]
    _json(
        "weibo_mentions.json",
        {
            "statuses": [
                {
                    "created_at": c,
                    "idstr": i,
                    "text": t,
                    "user": {"idstr": u, "screen_name": f"用户{u}"},
                    **({"retweeted_status": {"idstr": r}} if r else {}),
                    "reposts_count": rp,
                    "attitudes_count": a,
                }
                for c, i, t, u, r, rp, a in statuses
            ]
        },
    )
    header = [
        "序号",
        "文章ID",
        "标题",
        "正文",
        "发布时间",
        "媒体",
        "作者",
        "原文链接",
        "转发数",
        "点赞数",
        "情感倾向",
    ]
    rows = [
        [
            1,
            "L001",
            "",
            "被种草了，直播间下单 #秋季限定# 😋",
            "2026-10-01 20:00:00",
            "小红书",
            "小鹿",
            "https://www.xiaohongshu.com/explore/1",
            0,
            56,
            "正面",
        ],
        [
            2,
            "L002",
            "",
            "客服一直不回，退货好难 😡 @品牌客服",
            "2026-10-02 09:15:00",
            "微博",
            "用户5",
            "https://weibo.com/5/L002",
            3,
            7,
            "负面",
        ],
        [
            3,
            "",
            "开箱视频｜秋季限定三款对比",
            "",
            "2026-10-02 18:40:00",
            "抖音",
            "测评君",
            "https://www.douyin.com/video/77",
            12,
            340,
            "中性",
        ],
        [
            4,
            "L004",
            "",
            "转发 //@用户5:客服一直不回，退货好难 😡 @品牌客服",
            "2026-10-03 08:00:00",
            "微博",
            "用户6",
            "https://weibo.com/6/L004",
            0,
            1,
            "负面",
        ],
        [
            5,
            "L002",
            "",
            "客服一直不回，退货好难 😡 @品牌客服",
            "2026-10-02 09:15:00",
            "微博",
            "用户5",
            "https://weibo.com/5/L002",
            3,
            7,
            "负面",
        ],
        [6, "L006", "", "这条没有时间", "", "微博", "用户7", "https://weibo.com/7/L006", 0, 0, "中性"],
        [
            7,
            "L007",
            "",
            "奇怪的平台",
            "2026-10-04 10:00:00",
            "MySpace",
            "用户8",
            "https://myspace.com/8",
            0,
            0,
            "中性",
        ],
    ]
    _csv("listening_export.csv", header, rows)


if __name__ == "__main__":
    for build in (
        wechat_tendency,
        wechat_single_articles,
        wechat_article_total,
        wechat_user_analysis,
        weibo,
        douyin,
        xiaohongshu,
        kuaishou,
        tmall,
        youzan,
        jd,
        wecom,
        spend,
        mentions,
    ):
        build()
    print("\n".join(sorted(p.name for p in HERE.iterdir() if p.name != "build.py")))
