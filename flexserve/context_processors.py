"""Navigation for the site shell: which sections the signed-in user may open."""

from functools import partial

from django.http import HttpRequest

from flexserve import policy
from flexserve.policy import Perm


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "portal": policy.has_perm(user, Perm.PORTAL_USE),
            "console": policy.has_perm(user, Perm.CONSOLE_USE),
            "segments": policy.has_perm(user, Perm.SEGMENT_VIEW),
            "imports": policy.has_perm(user, Perm.SHOP_IMPORT),
            "admin": user.is_staff,
            "requests": policy.has_perm(user, Perm.REQUEST_VIEW),
            "request_analysis": policy.has_perm(user, Perm.REQUEST_ANALYSIS),
            "ask": policy.has_perm(user, Perm.QA_ASK),
            "knowledge": policy.has_perm(user, Perm.KNOWLEDGE_VIEW),
            "curation": policy.has_perm(user, Perm.KNOWLEDGE_EDIT),
            "bookings": policy.has_perm(user, Perm.PORTAL_USE)
            and policy.has_perm(user, Perm.BOOKING_MAKE),
            "dispatch": policy.has_perm(user, Perm.DISPATCH_VIEW),
            "roster": policy.has_perm(user, Perm.DISPATCH_VIEW)
            or policy.has_perm(user, Perm.VISIT_WORK),
            "field": policy.has_perm(user, Perm.VISIT_WORK),
            "surveys": policy.has_perm(user, Perm.PORTAL_USE)
            and policy.has_perm(user, Perm.SURVEY_ANSWER),
            "quality": policy.has_perm(user, Perm.CONSOLE_USE)
            and policy.has_perm(user, Perm.QUALITY_VIEW),
            "community": policy.has_perm(user, Perm.COMMUNITY_READ),
            "dashboards": policy.has_perm(user, Perm.CONSOLE_USE)
            and policy.has_perm(user, Perm.QUALITY_VIEW),
            "outreach": policy.has_perm(user, Perm.OUTREACH_VIEW)
            and policy.has_perm(user, Perm.CONSOLE_USE),
            "my_messages": policy.has_perm(user, Perm.PORTAL_USE),
            # A callable: the template calls it only where the header is drawn (not in partials).
            "unread": partial(_unread, user),
        }
    }


def _unread(user) -> int:
    from servicedesk.selectors import unread_count

    return unread_count(user)
