"""Article bodies are HTML from the editor; only what an article needs survives (nh3/Ammonia).

Links keep http(s) and site-relative targets and open with ``rel="noopener noreferrer"``; images
are only allowed from the community's own checked uploads (``/community/images/<id>/``, served
behind log-in), so an article cannot pull a tracker or an advertisement from elsewhere;
scripts, styles, event handlers and iframes are dropped.
"""

import html
import re

import nh3

TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li",
    "blockquote", "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
    "hr",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}
LOCAL_IMAGES = re.compile(r"/community/images/\d+/")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if LOCAL_IMAGES.fullmatch(value) else None
    if tag == "a" and attribute == "href":
        return value if value.startswith(("https://", "http://", "/")) else None
    return value


def sanitise(html: str) -> str:
    return nh3.clean(
        html or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer",
    ).strip()


def plain_text(markup: str) -> str:
    """The words of a body, for summaries, search and the word list."""
    return html.unescape(nh3.clean(markup or "", tags=set())).strip()
