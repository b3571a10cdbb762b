"""``{{ entry.answer|answer_html }}``: an entry's answer as shops read it.

See ``knowledge.placeholders``."""

from django import template
from django.utils.safestring import SafeString

from knowledge import placeholders

register = template.Library()


@register.filter
def answer_html(text: str) -> SafeString:
    """Placeholders filled with today's company values, page links as links, text escaped."""
    return placeholders.render_html(text or "")
