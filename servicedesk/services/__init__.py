"""Writes of service requests, one module per use case; every name is also importable from here.

``from servicedesk import services; services.request_create(...)`` and ``from servicedesk.services
import request_create`` keep working as when this was one module:

- ``intake``: register a request from any channel (checks, photos, rate limit, routing, SLA);
- ``idempotency``: an API submission retried with its Idempotency-Key;
- ``lifecycle``: the actions (start, ask the shop, resolve, close, reopen) and the SLA clocks;
- ``assignment``: hand over, take from a queue, priority;
- ``comments``, ``photos``, ``support`` (support tasks), ``timing`` (stored stage timing);
- ``notifications``: who hears of a change; acting on a request marks one's own notifications
  about it read;
- ``common``: the locked row, clean text, who may work a request, ``record_change``.

Every function checks permission and scope through ``flexserve.policy``, validates, writes the
change with its event, audit entry and outbox messages in one transaction, and raises an AppError
(nothing written) on bad input.
"""

from servicedesk.services.assignment import (
    handed_over,
    raised,
    reassign,
    request_assign,
    request_set_priority,
    request_take,
)
from servicedesk.services.comments import comment_add
from servicedesk.services.common import (
    AUDITED_FIELDS,
    can_manage,
    can_reply,
    is_shop_of,
    record_change,
)
from servicedesk.services.idempotency import fingerprint, request_submit_idempotent
from servicedesk.services.intake import (
    MAX_ATTACHMENTS,
    SHOP_CHANNELS,
    request_create,
    sla_targets,
)
from servicedesk.services.lifecycle import (
    ACTIONS,
    SHOP_ACTIONS,
    Action,
    allowed_actions,
    apply_transition,
    request_transition,
    shop_replied,
    stopped_late,
)
from servicedesk.services.notifications import console_url, notifications_read, portal_url
from servicedesk.services.photos import photos_add
from servicedesk.services.support import (
    SUPPORT_ACTIONS,
    allowed_support_actions,
    can_work_support,
    support_task_create,
    support_task_update,
)
from servicedesk.services.timing import timing_refresh

__all__ = [
    "ACTIONS",
    "AUDITED_FIELDS",
    "Action",
    "MAX_ATTACHMENTS",
    "SHOP_ACTIONS",
    "SHOP_CHANNELS",
    "SUPPORT_ACTIONS",
    "allowed_actions",
    "allowed_support_actions",
    "apply_transition",
    "can_manage",
    "can_reply",
    "can_work_support",
    "comment_add",
    "console_url",
    "fingerprint",
    "handed_over",
    "is_shop_of",
    "notifications_read",
    "photos_add",
    "portal_url",
    "raised",
    "reassign",
    "record_change",
    "request_assign",
    "request_create",
    "request_set_priority",
    "request_submit_idempotent",
    "request_take",
    "request_transition",
    "shop_replied",
    "sla_targets",
    "stopped_late",
    "support_task_create",
    "support_task_update",
    "timing_refresh",
]
