"""Service-request pages of the staff console: the work queue, logging a phone call or a visit,
one request (SLA clocks, actions, timeline, support tasks, audit trail) and the notifications.

Thin: parse the input (``servicedesk.forms_console``), call a selector or a service, render.
Services check permissions and raise AppError; the message is shown on the form that failed and
nothing changes. htmx posts get back the part they change (a queue row, or the request's main panel
``#request-main``); the same URLs without htmx redirect after a success.
"""

from servicedesk.views_console.detail import (
    request_action,
    request_assign,
    request_comment,
    request_detail,
    request_take,
    support_action,
    support_create,
)
from servicedesk.views_console.notifications import notification_list, notification_unread
from servicedesk.views_console.queue import request_new, work_queue

__all__ = [
    "notification_list",
    "notification_unread",
    "request_action",
    "request_assign",
    "request_comment",
    "request_detail",
    "request_new",
    "request_take",
    "support_action",
    "support_create",
    "work_queue",
]
