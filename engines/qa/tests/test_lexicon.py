"""The trade and dialect lexicon: colloquial forms meet the standard ones; standard text stays."""

import pytest

from engines.qa.normalize import canonical


@pytest.mark.parametrize(
    ("colloquial", "standard"),
    [
        ("许可证快到期了咋续啊", "许可证快到期了怎么续"),
        ("俺家礼拜几能定烟啊", "我家周几能订烟"),
        ("扣款失败咋整", "扣款失败怎么办"),
        ("烟草证丢了咋弄", "许可证丢了怎么办"),
        ("烟证到期了", "许可证到期了"),
        ("这个专卖证能过户不", "这个许可证能过户"),
        ("订单交了能改不", "订单交了能改"),
        ("订单交了能改吗？", "订单交了能改"),
        ("订单交了能改么", "订单交了能改"),
        ("货到了没有", "货到了"),
        ("我自己去仓库拿中不中", "我自己去仓库拿可以"),
        ("我自己去仓库拿可不可以", "我自己去仓库拿可以"),
        ("星期天送货吗", "周日送货"),
        ("礼拜三订货", "周三订货"),
        ("这礼拜不送货呀", "这周不送货"),
        ("一个礼拜送几次", "一周送几次"),
        ("你好，请问怎么投诉", "怎么投诉"),
        ("对帐单在哪下载", "对账单在哪下载"),
        ("啥时候扣歀啊", "什么时候扣款"),
        ("定货截止了吗，咋办呢", "订货截止了,怎么办"),
    ],
)
def test_colloquial_meets_standard(colloquial, standard):
    assert canonical(colloquial) == canonical(standard) == standard


@pytest.mark.parametrize(
    "text",
    [
        "周末送货",
        "周杰伦是谁",
        "这条烟证明是真的",
        "酒吧",
        "网吧",
        "这是什么",
        "怎么",
        "为什么",
        "要么",
        "去银行",
        "好不好",
        "能不能改",
        "是不是",
        "营业执照和许可证",
        "烟草专卖零售许可证",
        "每周几能订货",
        "订货日是哪一天",
        "不",
        "吗",
    ],
)
def test_standard_text_stays(text):
    assert canonical(text) == text


def test_greeting_alone_is_kept():
    # Dropping it would leave nothing: "你好" is a question for the domain gate, not "".
    assert canonical("你好") == "你好"
    assert canonical("你好，") == "你好"


def test_e5_reads_the_trade_words_but_keeps_the_particles():
    from engines.qa.normalize import dense_form

    assert dense_form("俺家烟证快到期了咋续啊？") == "我家许可证快到期了怎么续啊"
    assert dense_form("礼拜三能定烟吗") == "周三能订烟吗"
    assert dense_form("香烟证明") == "卷烟证明"  # not a licence
