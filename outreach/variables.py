"""Template variables ({店名}) as plain text work: find, check and fill them (no ORM)."""

import re

from django.utils.translation import gettext_lazy as _

# name → (what it is, the widest value assumed when an SMS's length is checked)
VARIABLES: dict[str, tuple[str, int]] = {
    "店名": (_("the shop's name"), 20),
    "负责人": (_("the owner's name"), 4),
    "许可证号": (_("the licence number"), 12),
    "客户经理": (_("the account manager's name"), 4),
    "经理电话": (_("the account manager's phone"), 11),
    "链接": (_("the tracked link to the page sent"), 32),
}
PATTERN = re.compile(r"\{([^{}\s]{1,20})\}")
# One SMS is 70 characters; providers join up to this many into one long message (sign included).
SMS_MAX_CHARS = 140
SMS_SIGN_CHARS = 8  # 【城市烟草】 and the like


def used(text: str) -> list[str]:
    """The variables ``text`` uses, in order of first use."""
    seen: list[str] = []
    for name in PATTERN.findall(text):
        if name not in seen:
            seen.append(name)
    return seen


def unknown(text: str) -> list[str]:
    return [name for name in used(text) if name not in VARIABLES]


def fill(text: str, values: dict[str, str]) -> str:
    return PATTERN.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def sms_length(text: str) -> int:
    """The length of ``text`` as an SMS with every variable at its widest, the sign included."""
    widest = {name: "x" * width for name, (_label, width) in VARIABLES.items()}
    return len(fill(text, widest)) + SMS_SIGN_CHARS
