"""Placeholders in knowledge entries, filled in when an answer is shown.

Entry texts never hard-code what differs between deployments or may change: they say
``{company}``, ``{hotline}``, ``{service_hours}`` (the ``CompanyProfile`` an administrator sets)
and ``{link:requests}`` for one of the portal's own pages (``LINKS``). An answer is rendered when
it is shown — the chat's reply, the entry pages, the API — so it carries the current values:

    render_text("请在{link:request_new}页面提交，或拨打{hotline}。")
    → Rendered(text="请在「新建诉求」页面提交，或拨打 0000-1234567。", links=[{"label", "url"}])
    render_html(...)  → the same, escaped, with the page names as links

The search index reads questions and phrasings with the placeholders taken out (``neutral``), so
retrieval does not depend on the values. ``unknown`` lists what a text names that does not exist:
the shipped knowledge base is checked with it (knowledge/tests/test_seed_content.py).
"""

import re
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import escape, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from knowledge.models import CompanyProfile

# name → (URL name in the ``portal`` namespace, the page's name as the portal's menu says it).
LINKS = {
    "home": ("portal:home", gettext_lazy("My shop")),
    "orders": ("portal:orders", gettext_lazy("My orders")),
    "requests": ("portal:requests", gettext_lazy("My requests")),
    "request_new": ("portal:request_new", gettext_lazy("New request")),
    "bookings": ("portal:booking_list", gettext_lazy("My bookings")),
    "booking_new": ("portal:booking_new", gettext_lazy("Book a visit")),
    "ask": ("portal:ask", gettext_lazy("Ask")),
}
VALUES = ("company", "hotline", "service_hours")
PLACEHOLDER = re.compile(r"\{(link:)?([a-z_]+)\}")
# Anything in braces: what ``unknown`` checks, so a typo ({hotlne}, {link:request}) is caught.
BRACES = re.compile(r"\{[^{}]*\}")


@dataclass
class Rendered:
    text: str
    links: list[dict[str, str]] = field(default_factory=list)  # [{"label": …, "url": …}]


def profile() -> CompanyProfile:
    """The company profile (the defaults until an administrator saves one)."""
    return CompanyProfile.objects.order_by("pk").first() or CompanyProfile()


def _values(company: CompanyProfile) -> dict[str, str]:
    return {
        "company": company.name,
        # No hotline set: the answer points to the account manager instead of an empty number.
        "hotline": company.hotline or _("your account manager"),
        "service_hours": company.service_hours,
    }


def _plain_html(text: str) -> str:
    """Escaped text with its web addresses as links (what ``urlize`` did for answers before)."""
    return urlize(text, nofollow=True, autoescape=True)


def _render(text: str, company: CompanyProfile | None, *, html: bool) -> Rendered:
    values = _values(company or profile())
    links: list[dict[str, str]] = []
    out: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        is_link, name = bool(match.group(1)), match.group(2)
        known = name in LINKS if is_link else name in VALUES
        if not known:
            continue  # left as written: the shipped-content test and the editor catch it
        before = text[position : match.start()]
        out.append(_plain_html(before) if html else before)
        position = match.end()
        if is_link:
            url_name, label = LINKS[name]
            url, label = reverse(url_name), str(label)
            if url not in {link["url"] for link in links}:
                links.append({"label": label, "url": url})
            out.append(
                f'「<a href="{escape(url)}">{escape(label)}</a>」' if html else f"「{label}」"
            )
        else:
            out.append(escape(values[name]) if html else values[name])
    rest = text[position:]
    out.append(_plain_html(rest) if html else rest)
    return Rendered("".join(out), links)


def render_text(text: str, company: CompanyProfile | None = None) -> Rendered:
    """Plain text with the current values; links as 「page name」 and listed apart."""
    return _render(text, company, html=False)


def render_html(text: str, company: CompanyProfile | None = None) -> SafeString:
    """Escaped HTML with the current values, page names as links and line breaks kept."""
    rendered = _render(text, company, html=True).text
    return mark_safe(rendered.replace("\n", "<br>"))


def neutral(text: str) -> str:
    """The text with every known placeholder taken out (what the search index reads)."""

    def drop(match: re.Match) -> str:
        is_link, name = bool(match.group(1)), match.group(2)
        return "" if (name in LINKS if is_link else name in VALUES) else match.group(0)

    return PLACEHOLDER.sub(drop, text)


def unknown(text: str) -> list[str]:
    """The brace expressions of ``text`` that are not a known placeholder or page link."""
    known = {f"{{{name}}}" for name in VALUES} | {f"{{link:{name}}}" for name in LINKS}
    return [found for found in BRACES.findall(text) if found not in known]
