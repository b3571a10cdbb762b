"""Requests made the way production makes them: through the intake service."""

from servicedesk import services
from servicedesk.tests.conftest import MONDAY_9


def make_request(actor, shop=None, *, request_type="order_problem", at=MONDAY_9, **extra):
    return services.request_create(
        actor=actor,
        request_type=request_type,
        title=extra.pop("title", "订单提交不了"),
        description=extra.pop("description", "系统提示超时"),
        channel=extra.pop("channel", "portal"),
        shop_id=None if shop is None else shop.pk,
        at=at,
        **extra,
    )
