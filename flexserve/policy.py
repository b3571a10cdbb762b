"""Permissions and data scoping: the only module that knows roles, shops and territories.

Every selector starts with ``visible``; every service with ``get_visible`` + ``require``.
Nothing else filters by shop.

Scoping, by role:
- shop owner: their own shop only (``Shop.owner_account``);
- account manager / service staff: the shops of their territory (the grids they serve) and the
  shops assigned to them, with their requests; beyond those, the requests they own and the
  support their department is called for (its support tasks, with their requests). A member of
  a city-wide department (``Department.city_wide``: customer service, logistics) also sees that
  department's whole queue, whatever the shop: answering the city is that department's job.
  Members of other departments see their request queue through their grids only;
- dispatcher, service manager, administrator: every shop of the company.

Seeing a request is not working it: only its owner (assignee) or a dispatcher / manager /
administrator replies to the shop (``servicedesk.services.can_reply``); others who see it (a
support party, a colleague of the grid, the city-wide queue) write internal notes.

A scoped model says how it reaches a shop with ``scope_path`` ("" for Shop itself, "shop",
"order__shop"); a company-wide model (rule sets, plans, products) names the permission needed to
read it with ``view_perm``. Out of scope answers 404, exactly like "does not exist".

Policy sits at the bottom of the layers (import-linter, pyproject.toml): it imports no app. It
owns the roles (``accounts.models`` takes ``Role`` from here) and reaches shops and requests by
their relations' names, as ``scope_path`` does, not by importing their models.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from flexserve.errors import Forbidden, NotAuthenticated, NotFound

if TYPE_CHECKING:
    from accounts.models import User
    from customers.models import Shop

M = TypeVar("M", bound=Model)


class Role(models.TextChoices):
    """A user's one role (``accounts.User.role``)."""

    SHOP_OWNER = "shop_owner", _("Shop owner")
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    SERVICE_STAFF = "service_staff", _("Service staff")
    DISPATCHER = "dispatcher", _("Dispatcher")
    SERVICE_MANAGER = "service_manager", _("Service manager")
    ADMIN = "admin", _("Administrator")


class Perm(StrEnum):
    PORTAL_USE = "portal_use"
    CONSOLE_USE = "console_use"
    SHOP_VIEW = "shop_view"
    SHOP_VIEW_CONTACT = "shop_view_contact"  # full phone number in detail views
    SHOP_EDIT = "shop_edit"
    SHOP_IMPORT = "shop_import"
    SHOP_EXPORT = "shop_export"
    ORDER_VIEW = "order_view"
    ORDER_IMPORT = "order_import"
    ORDER_EXPORT = "order_export"
    COMMERCE_WRITE = "commerce_write"  # the ordering platform pushes orders, deliveries, payments
    SEGMENT_VIEW = "segment_view"
    SEGMENT_EDIT = "segment_edit"
    SERVICE_PLAN_VIEW = "service_plan_view"
    SERVICE_PLAN_EDIT = "service_plan_edit"
    AUDIT_VIEW = "audit_view"  # who changed what, on shops, rules and plans
    REQUEST_CREATE = "request_create"  # raise a service request (a shop for itself, staff for one)
    REQUEST_VIEW = "request_view"
    REQUEST_WORK = "request_work"  # take, work, comment internally, call for support
    REQUEST_ASSIGN = "request_assign"  # re-assign any request in scope
    REQUEST_OVERRIDE = "request_override"  # resolve with a required support task still open
    REQUEST_ANALYSIS = "request_analysis"  # process analysis (ECRS) across the company
    REQUEST_CONFIGURE = "request_configure"  # catalogue, calendar, escalation rules
    QA_ASK = "qa_ask"  # ask the self-service Q&A for the own shop
    KNOWLEDGE_VIEW = "knowledge_view"
    KNOWLEDGE_EDIT = "knowledge_edit"  # entries, import, curation of unanswered questions
    BOOKING_MAKE = "booking_make"  # book, move, cancel a visit (a shop its own, staff for a shop)
    VISIT_WORK = "visit_work"  # field staff: own hours, own route, check in and out, outcome
    DISPATCH_VIEW = "dispatch_view"  # the board, every route and roster
    DISPATCH_PLAN = "dispatch_plan"  # optimise, move by hand, insert urgent jobs, publish, rosters
    WORK_RULES_EDIT = "work_rules_edit"  # the company's working-time and booking rules
    SURVEY_ANSWER = "survey_answer"  # answer the own shop's surveys and satisfaction ratings
    QUALITY_VIEW = "quality_view"  # survey results, satisfaction and dashboards in scope
    QUALITY_MANAGE = "quality_manage"  # instruments, waves, initiatives and goals
    COMMUNITY_READ = "community_read"  # articles and the forum (behind log-in: advertising law)
    COMMUNITY_POST = "community_post"  # threads, replies, likes, flags, experience articles
    COMMUNITY_MODERATE = "community_moderate"  # the review queue of the categories moderated
    COMMUNITY_PUBLISH = "community_publish"  # write, schedule and review articles; pin topics
    WORDLIST_EDIT = "wordlist_edit"  # the sensitive-word list and its allow-list
    OUTREACH_VIEW = "outreach_view"  # campaigns, their funnels and deliveries in scope
    OUTREACH_SEND = "outreach_send"  # templates and campaigns to segments of shops


_STAFF_READ = {
    Perm.CONSOLE_USE,
    Perm.SHOP_VIEW,
    Perm.SHOP_VIEW_CONTACT,
    Perm.SHOP_EXPORT,
    Perm.ORDER_VIEW,
    Perm.ORDER_EXPORT,
    Perm.SEGMENT_VIEW,
    Perm.SERVICE_PLAN_VIEW,
    Perm.REQUEST_CREATE,
    Perm.REQUEST_VIEW,
    Perm.REQUEST_WORK,
    Perm.KNOWLEDGE_VIEW,
    Perm.BOOKING_MAKE,
    Perm.QUALITY_VIEW,
    Perm.COMMUNITY_READ,
    Perm.COMMUNITY_POST,
    Perm.OUTREACH_VIEW,
}
_FIELD = {Perm.VISIT_WORK}
_DISPATCH = {
    Perm.REQUEST_ASSIGN,
    Perm.REQUEST_ANALYSIS,
    Perm.DISPATCH_VIEW,
    Perm.DISPATCH_PLAN,
}
_MANAGE = {
    Perm.SHOP_EDIT,
    Perm.SEGMENT_EDIT,
    Perm.SERVICE_PLAN_EDIT,
    Perm.AUDIT_VIEW,
    Perm.REQUEST_OVERRIDE,
    Perm.KNOWLEDGE_EDIT,
    Perm.WORK_RULES_EDIT,
    Perm.QUALITY_MANAGE,
    Perm.COMMUNITY_MODERATE,
    Perm.COMMUNITY_PUBLISH,
    Perm.WORDLIST_EDIT,
    Perm.OUTREACH_SEND,
} | _DISPATCH
_ADMINISTER = {
    Perm.SHOP_IMPORT,
    Perm.ORDER_IMPORT,
    Perm.COMMERCE_WRITE,
    Perm.REQUEST_CONFIGURE,
}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.SHOP_OWNER: frozenset(
        {
            Perm.PORTAL_USE,
            Perm.SHOP_VIEW,
            Perm.SHOP_VIEW_CONTACT,
            Perm.ORDER_VIEW,
            Perm.REQUEST_CREATE,
            Perm.REQUEST_VIEW,
            Perm.QA_ASK,
            Perm.BOOKING_MAKE,
            Perm.SURVEY_ANSWER,
            Perm.COMMUNITY_READ,
            Perm.COMMUNITY_POST,
        }
    ),
    Role.ACCOUNT_MANAGER: frozenset(_STAFF_READ | _FIELD),
    Role.SERVICE_STAFF: frozenset(_STAFF_READ | _FIELD),
    Role.DISPATCHER: frozenset(_STAFF_READ | _DISPATCH),
    Role.SERVICE_MANAGER: frozenset(_STAFF_READ | _MANAGE),
    Role.ADMIN: frozenset(_STAFF_READ | _MANAGE | _ADMINISTER),
}

# Roles that see every shop of the company; the others see a shop or a territory.
COMPANY_WIDE_ROLES = frozenset({Role.DISPATCHER, Role.SERVICE_MANAGER, Role.ADMIN})
TERRITORIAL_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.SERVICE_STAFF})


def _role(user: User | AnonymousUser) -> str | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return user.role


def has_perm(user: User | AnonymousUser, perm: Perm | str) -> bool:
    role = _role(user)
    return role is not None and Perm(perm) in ROLE_PERMS.get(role, frozenset())


def require(user: User | AnonymousUser, perm: Perm, obj: Model | None = None) -> None:
    """Raise NotAuthenticated (401) or Forbidden (403) unless ``user`` holds ``perm``.

    ``obj``, when given, must already come from ``get_visible``: scope is checked there.
    """
    if _role(user) is None:
        raise NotAuthenticated()
    if not has_perm(user, perm):
        raise Forbidden()


def owned_shop_id(user: User) -> int | None:
    """The shop a shop owner is linked to (cached on the user object for the request)."""
    if not hasattr(user, "_owned_shop_id"):
        shops = user._meta.get_field("owned_shop").related_model._default_manager
        user._owned_shop_id = shops.filter(owner_account=user).values_list("pk", flat=True).first()
    return user._owned_shop_id


def territory_grid_ids(user: User) -> list[int]:
    if not hasattr(user, "_territory_grid_ids"):
        user._territory_grid_ids = list(user.grids.values_list("pk", flat=True))
    return user._territory_grid_ids


def shop_scope(user: User | AnonymousUser, path: str = "") -> Q | None:
    """A Q over ``path`` (the way from the queried model to Shop), or None for no limit.

    Raises NotAuthenticated for anonymous users. Returns ``Q(pk__in=[])`` for nothing.
    """
    role = _role(user)
    prefix = f"{path}__" if path else ""
    if role is None:
        raise NotAuthenticated()
    if role in COMPANY_WIDE_ROLES:
        return None
    if role == Role.SHOP_OWNER:
        shop_id = owned_shop_id(user)
        return Q(**{f"{prefix}pk" if path == "" else path: shop_id}) if shop_id else Q(pk__in=[])
    if role in TERRITORIAL_ROLES:
        return Q(**{f"{prefix}grid__in": territory_grid_ids(user)}) | Q(
            **{f"{prefix}account_manager": user}
        )
    return Q(pk__in=[])


def _work_scope(user: User, model: type[Model]) -> Q:
    """Requests and support tasks a staff member works on, whatever shop they belong to: what
    they own and the support their department is called for (a call naming nobody goes to every
    member, who must be able to open it); in a city-wide department, also its whole queue.
    Other departments see their request queue through their grids."""
    if not user.department_id:
        gives = Q(owner=user)
        queue = Q(pk__in=[])
    else:
        gives = Q(owner=user) | Q(department_id=user.department_id)
        # The department's flag is read by a join, not a second query: lists keep their counts.
        queue = Q(department_id=user.department_id, department__city_wide=True)
    # servicedesk sits above policy: its two work models are known by name, not imported.
    if model._meta.label == "servicedesk.ServiceRequest":
        tasks = model._meta.get_field("support_tasks").related_model._default_manager
        supported = tasks.filter(gives).values("request_id")
        return Q(assignee=user) | Q(pk__in=supported) | queue
    if model._meta.label == "servicedesk.SupportTask":
        return gives | Q(request__assignee=user)
    raise ImproperlyConfigured(f"{model.__name__} has no work scope.")


def visible(user: User | AnonymousUser, qs: QuerySet[M]) -> QuerySet[M]:
    """Narrow ``qs`` to the rows ``user`` may see (the model's ``scope_path`` or ``view_perm``)."""
    model = qs.model
    if hasattr(model, "scope_path"):
        scope = shop_scope(user, model.scope_path)
        works_on = getattr(model, "work_scope", False) and _role(user) in TERRITORIAL_ROLES
        if scope is not None and works_on:
            scope |= _work_scope(user, model)
        return qs if scope is None else qs.filter(scope)
    if hasattr(model, "view_perm"):
        if _role(user) is None:
            raise NotAuthenticated()
        return qs if has_perm(user, model.view_perm) else qs.none()
    raise ImproperlyConfigured(f"{model.__name__} declares neither scope_path nor view_perm.")


def get_visible(
    user: User | AnonymousUser,
    model: type[M],
    pk: int,
    *,
    for_update: bool = False,
    qs: QuerySet[M] | None = None,
) -> M:
    """The object with ``pk`` if ``user`` may see it; NotFound (404) otherwise."""
    base = visible(user, qs if qs is not None else model._default_manager.all())
    if for_update:
        base = base.select_for_update(of=("self",))
    try:
        return base.get(pk=pk)
    except model.DoesNotExist:
        raise NotFound() from None


def sees_internal(user: User | AnonymousUser) -> bool:
    """Internal notes, hand-overs and escalations are for staff; shops see the public timeline."""
    return has_perm(user, Perm.REQUEST_WORK)


def can_see_contact(user: User | AnonymousUser, shop: Shop) -> bool:
    """Full phone numbers only in detail views, to roles that serve the (visible) shop."""
    return has_perm(user, Perm.SHOP_VIEW_CONTACT)


def can_call_for_visit(user: User | AnonymousUser, shop: Shop, assignee_id: int | None) -> bool:
    """On the field pages a visit shows the shop's full number (a call button) only to the staff
    member it is assigned to, who needs to call; colleagues of the territory see it masked."""
    return (
        assignee_id is not None
        and assignee_id == user.pk
        and has_perm(user, Perm.VISIT_WORK)
        and can_see_contact(user, shop)
    )


def moderates_category(user: User | AnonymousUser, category: Model) -> bool:
    """Moderators work the categories that name them; a category naming nobody is worked by
    everyone holding COMMUNITY_MODERATE. Someone named on a category moderates it even without
    the permission (an account manager looking after the 经验交流 board)."""
    if _role(user) is None:
        return False
    named = set(category.moderators.values_list("pk", flat=True))
    if user.pk in named:
        return True
    return not named and has_perm(user, Perm.COMMUNITY_MODERATE)


def moderation_scope(user: User | AnonymousUser, path: str = "category") -> Q:
    """A Q over ``path`` (the way to ForumCategory) for the content ``user`` may moderate."""
    if _role(user) is None:
        raise NotAuthenticated()
    named = Q(**{f"{path}__moderators": user.pk})
    if has_perm(user, Perm.COMMUNITY_MODERATE):
        return named | Q(**{f"{path}__moderators__isnull": True})
    return named
