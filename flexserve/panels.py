"""Pages composed of several apps' panels, so that no lower app imports a higher one to draw them.

The shop page belongs to ``customers``, but its orders come from ``commerce``, its visits from
``dispatch`` and its service requests from ``servicedesk``, all layers above it. Each of those
apps registers its panel here in its ``AppConfig.ready()``; the page's view asks for the panels
of its slot and renders them in order::

    # commerce/apps.py
    def ready(self) -> None:
        panels.register(panels.CONSOLE_SHOP, panels.Panel(
            key="commerce.activity", title=_("Recent orders"), order=20,
            template="commerce/_recent_activity.html", context=shop_activity,
            allowed=panels.requires(Perm.ORDER_VIEW),
        ))

    # customers/views.py
    context["panels"] = panels.render(request, panels.CONSOLE_SHOP, shop)

    {# customers/templates/customers/shop_detail.html #}
    {% for panel in panels %}{{ panel.html }}{% endfor %}

A panel's context function takes the user and the page's object (already checked visible by the
page) and returns its template's context; it reads through its app's selectors, which scope
through policy. ``allowed`` hides the panel from users without the permissions it needs
(``requires(Perm.X, ...)``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.safestring import SafeString

from flexserve import policy
from flexserve.policy import Perm

# Slots: one per place a page shows panels.
CONSOLE_SHOP = "console.shop"  # the console's shop page, below the master data
PORTAL_HOME = "portal.home"  # the shop owner's home, below the two columns
PORTAL_HOME_SIDE = "portal.home.side"  # the shop owner's home, top of the right column


def _anyone(user: Any) -> bool:
    return True


@dataclass(frozen=True)
class Panel:
    key: str  # unique in its slot, "<app>.<name>"
    title: str | Promise  # the panel's heading, in the template's context as ``panel.title``
    template: str
    context: Callable[[Any, Any], dict[str, Any]]  # (user, the page's object) -> context
    order: int = 100  # smaller first
    allowed: Callable[[Any], bool] = field(default=_anyone)  # (user) -> may see it


def requires(*perms: Perm) -> Callable[[Any], bool]:
    """An ``allowed`` for a panel whose reader needs every one of ``perms``."""

    def allowed(user: Any) -> bool:
        return all(policy.has_perm(user, perm) for perm in perms)

    return allowed


@dataclass(frozen=True)
class RenderedPanel:
    panel: Panel
    html: SafeString

    @property
    def key(self) -> str:
        return self.panel.key


_slots: dict[str, dict[str, Panel]] = {}


def register(slot: str, panel: Panel) -> None:
    """Add ``panel`` to ``slot``; registering its key again replaces it (ready() may run twice)."""
    _slots.setdefault(slot, {})[panel.key] = panel


def unregister(slot: str, key: str) -> None:
    _slots.get(slot, {}).pop(key, None)


def registered(slot: str) -> list[Panel]:
    """The slot's panels in order (then by key, so the order never depends on app loading)."""
    return sorted(_slots.get(slot, {}).values(), key=lambda p: (p.order, p.key))


def visible_panels(user: Any, slot: str) -> list[Panel]:
    return [p for p in registered(slot) if p.allowed(user)]


def render(request: HttpRequest, slot: str, obj: Any) -> list[RenderedPanel]:
    """The slot's panels ``request.user`` may see, rendered for ``obj``, in order."""
    rendered = []
    for panel in visible_panels(request.user, slot):
        context = panel.context(request.user, obj) | {"panel": panel}
        html = render_to_string(panel.template, context, request=request)
        rendered.append(RenderedPanel(panel=panel, html=SafeString(html)))
    return rendered
