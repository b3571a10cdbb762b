import pytest

from engines.qa.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("我的許可證什麼時候到期？", "我的许可证什么时候到期"),
        ("许可症咋办", "许可证怎么办"),
        ("这个咋样", "这个怎么样"),
        ("俺要订货", "我要订货"),
        ("啥时候配送", "什么时候配送"),
        ("神马情况", "什么情况"),
        ("木有扣款", "没有扣款"),
        ("微粒货额度", "微粒贷额度"),
        ("借贝还款", "借呗还款"),
        ("/流泪为什么不能借", "为什么不能借"),
        ("[流泪]额度", "额度"),
        ("订\u200b货\ufeff", "订货"),
        ("ＱＱ  订货   截止", "qq 订货 截止"),
        ("订货截止了吗？！。。", "订货截止了吗"),
        ("", ""),
        ("？？！", ""),
    ],
)
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_slash_keeps_non_emoticon_text():
    assert normalize("中华/芙蓉王") == "中华/芙蓉王"
