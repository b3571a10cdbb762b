"""One interface for every channel: a batch of outgoing messages in, one result per message out.

An adapter never touches the database; the delivery service books its results. Credentials come
from the environment (settings); without them a channel has no adapter and the delivery falls
back to the shop's next channel.
"""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    address: str  # phone number, e-mail address, OpenID, the manager's WeCom user id, user id
    subject: str
    text: str  # the body with its variables filled in
    link: str = ""  # absolute, tracked (/outreach/l/<token>/); "" when the message has none
    sms_template_code: str = ""
    sms_params: dict[str, str] = field(default_factory=dict)  # ordered as the template takes them
    wechat_template_id: str = ""
    unsubscribe_url: str = ""  # e-mail: one-click unsubscribe (List-Unsubscribe)
    shop_name: str = ""  # WeCom: the shop the manager forwards to


@dataclass(frozen=True)
class SendResult:
    delivery_id: int
    ok: bool
    provider_id: str = ""  # the provider's id, matched by its receipts
    delivered: bool = False  # the channel confirms at once (in-app)
    permanent: bool = False  # a refusal: no retry, the next channel is tried
    error: str = ""


class Adapter(Protocol):
    channel: str
    # Whether a delivery waits for a receipt (SMS, WeChat): without one in time, the next channel.
    needs_receipt: bool

    def send_many(self, items: list[Outgoing]) -> list[SendResult]: ...
