"""The shop owner's ask boxes (portal home and the Q&A page) fit a phone: the hint in the box is
short enough to be read whole in a 390 px wide screen (about 15 characters of Chinese)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

PHONE_CHARS = 14  # the input is about 240 px wide on a phone: 15 characters of 16 px


@pytest.mark.parametrize(
    ("url", "box"), [("portal:home", "home-question"), ("portal:ask", "ask-question")]
)
def test_the_ask_box_hint_fits_a_phone(client_for, shop_owner, url, box):
    with translation.override("zh-hans"):
        html = (
            client_for(shop_owner)
            .get(reverse(url), HTTP_ACCEPT_LANGUAGE="zh-hans")
            .content.decode()
        )

    tag = re.search(rf'<input id="{box}"[^>]*>', html, re.S).group(0)
    hint = re.search(r'placeholder="([^"]*)"', tag).group(1)
    assert hint == "例如：我的订单到哪了？"
    assert len(hint) <= PHONE_CHARS
