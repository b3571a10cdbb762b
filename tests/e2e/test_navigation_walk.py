"""Every role walks its whole navigation on a desktop (1366×900) and a phone (390×844) in the
Chinese interface; the test fails, once per size with a list of page → problems, on:

- any response of a page load (document, htmx/XHR, static) with status 400 or more, or a request
  that failed outright;
- any console message of type ``error`` or uncaught page error;
- English left in the zh-Hans interface (the heuristic is explained at ``ENGLISH_JS``);
- on the phone, a page wider than the screen (the elements sticking out are named).

The city is the demo city at its smallest (``seed_demo``), so every role has real data to show.
Set ``WALK_SHOTS=/some/dir`` to also keep a full-page screenshot of every page visited.
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from demo import city as demo_city
from tests.e2e.helpers import log_in, seed_smallest_demo

pytestmark = pytest.mark.e2e

# Product names and abbreviations that stay in Latin letters in the Chinese interface. Keep this
# list short: a word belongs here only if a Chinese user would expect to see it untranslated.
ALLOWED_WORDS = [
    "flexserve",  # the product's name
    "Django",  # the back office's header names its framework
    "App",  # the ordering app: Chinese writes it so (shop owners' own questions use it too)
    "PyVRP",  # the routing solver, named on the plan page
    "OpenAPI",  # the API documentation's standard
    "Excel",  # the file format the imports and exports name
    "English",  # the language switch offers English in English (it carries lang="en" too)
]

# The heuristic runs in the page, over what a user can see:
# - text nodes of <body> that are rendered (they have a box), the <option>s of selects and the
#   placeholders of inputs; skipped: <script>/<style>/<code>/<pre>/<kbd>/<samp>/<textarea>, <svg>,
#   anything inside [translate=no] or an element whose lang is not Chinese (the language switch),
#   the user's own name in the header (.who): user-entered data, and text for screen readers only
#   (a box of at most 1×1 px, like Django's "visually-hidden");
# - the text is split into tokens at whitespace and CJK characters; a token holding a digit, "@",
#   "/", "." inside it or "_" is data (numbers, dates, licence numbers, e-mails, user names,
#   URLs, units like 5km) or a code, and is not read as a word — except a lower-case snake_case
#   token (``delivery_late``), which is an untranslated choice value and is reported;
# - a word is a token of ASCII letters (trailing punctuation stripped); ALL-CAPS words of up to
#   six letters (SLA, API, ID, CSAT, NPS, CSV, XLSX, SERVQUAL is allowed too) are abbreviations;
# - reported: a run of two or more words in a row ("Log out", "no data yet"), and a single
#   capitalised word of three letters or more ("Save", "Shops") not on the allow-list.
ENGLISH_JS = r"""
(allowed) => {
  const allow = new Set(allowed.map((w) => w.toLowerCase()));
  const SKIP = "script,style,noscript,code,pre,kbd,samp,textarea,svg,[translate=no],.who";
  const skipped = (el) => !el || el.closest(SKIP) !== null ||
    (el.closest("[lang]") && !/^zh/i.test(el.closest("[lang]").getAttribute("lang")));
  const isWord = (t) => /^[A-Za-z]+(['’][a-z]+)?$/.test(t);
  const isAbbrev = (t) => /^[A-Z]{1,6}s?$/.test(t) || t === "SERVQUAL";
  const found = [];
  const check = (text) => {
    const tokens = text.split(/[\s\u3000-\u9fff\uff00-\uffef]+/).map(
      (t) => t.replace(/^[("'“‘\[]+|[)"'”’\]:;,.!?…·]+$/g, ""));
    let run = [];
    const flush = () => {
      if (run.length >= 2) found.push(run.join(" "));
      else if (run.length === 1 && /^[A-Z][a-z]{2,}/.test(run[0])) found.push(run[0]);
      run = [];
    };
    for (const t of tokens) {
      if (/^[a-z]+(_[a-z0-9]+)+$/.test(t)) { flush(); found.push(t); continue; }
      if (isWord(t) && !isAbbrev(t) && !allow.has(t.toLowerCase())) run.push(t);
      else flush();
    }
    flush();
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || skipped(el)) continue;
    if (el.closest(".visually-hidden,.sr-only")) continue;
    const box = el.getBoundingClientRect();
    if (el.getClientRects().length === 0 || (box.width <= 1 && box.height <= 1)) continue;
    check(node.textContent);
  }
  for (const el of document.querySelectorAll("option, input[placeholder], textarea[placeholder]")) {
    if (skipped(el.closest("select") || el)) continue;
    check(el.tagName === "OPTION" ? el.textContent : el.getAttribute("placeholder"));
  }
  return [...new Set(found)];
}
"""

# Elements whose right edge passes the screen's and which are not inside a box that scrolls or
# clips sideways; only the outermost of them is named (its children stick out with it).
OVERFLOW_JS = r"""
() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width + 1) return null;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].slice(0, 2).map((c) => "." + c).join("");
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1 || clipped(el)) continue;
    const parent = el.parentElement;
    if (parent && parent !== document.body && parent.getBoundingClientRect().right > width + 1)
      continue;
    const path = [];
    for (let p = el; p && p !== document.body && path.length < 3; p = p.parentElement)
      path.unshift(name(p));
    out.push(path.join(" > ") + " (right edge " + Math.round(r.right) + "px)");
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: width,
          culprits: out.slice(0, 5)};
}
"""

IDLE_JS = "() => !document.querySelector('.htmx-request')"

ROLES = {
    "administrator": "admin",
    "manager": "manager",
    "dispatcher": "dispatcher",
    "account manager": "am01",
    "field staff": "staff01",
    # the shop owner's user name (a licence number) is known only once the city is built
}


@dataclass
class Problems:
    size: str
    by_page: dict[str, list[str]] = field(default_factory=dict)

    def add(self, role: str, url: str, problem: str) -> None:
        found = self.by_page.setdefault(f"[{role}, {self.size}] {url}", [])
        if problem not in found:
            found.append(problem)

    def report(self) -> str:
        lines = []
        for page, problems in self.by_page.items():
            lines.append(page)
            lines.extend(f"    - {p}" for p in problems)
        return "\n".join(lines)


@pytest.fixture
def demo_users(e2e_db, settings, tmp_path) -> dict[str, str]:
    """The smallest demo city with field work, and the role → user name of its log-ins."""
    seed_smallest_demo(settings, tmp_path)
    users = dict(ROLES)
    owner = next(login for login in demo_city.demo_logins() if login.role == "shop_owner")
    users["shop owner"] = owner.username
    return users


def _path(url: str, base: str) -> str:
    return url[len(base) :] if url.startswith(base) else url


def _nav_links(page: Page, phone: bool, problems: Problems, role: str, base: str) -> list[str]:
    """The hrefs of the main menu as the user reaches it: on the phone, behind the menu button."""
    if phone:
        toggle = page.locator(".nav-toggle")
        if not toggle.is_visible():
            problems.add(role, _path(page.url, base), "phone: the menu button is not visible")
        else:
            toggle.click()
            page.wait_for_timeout(150)
    links = page.locator("#site-nav a")
    hrefs = []
    for i in range(links.count()):
        link = links.nth(i)
        href = link.get_attribute("href")
        if not link.is_visible():
            problems.add(role, _path(page.url, base), f"menu link {href} is not visible")
        if href and href not in hrefs:
            hrefs.append(href)
    bell = page.locator(".header-tools a.bell")
    if bell.count() and (href := bell.first.get_attribute("href")):
        hrefs.append(href.split("#")[0])
    return hrefs


def _details(page: Page, menu: list[str], found: dict[str, str]) -> list[str]:
    """Links on this page to one record under a menu page (``/console/shops/`` →
    ``/console/shops/12/``, a request, an order), the first one per menu page, to walk one
    level deeper; ``found`` remembers the menu pages that have theirs."""
    links = page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    new = []
    for list_path in (m.split("?")[0] for m in menu if m not in found):
        for target in (link.split("#")[0] for link in links):
            if target.startswith(list_path) and re.fullmatch(
                r"[\w-]*\d[\w-]*/", target[len(list_path) :]
            ):
                found[list_path] = target
                new.append(target)
                break
    return new


def _listen(page: Page, base: str) -> list[str]:
    """Problems the browser reports while a page loads, appended to the returned list."""
    seen: list[str] = []

    def on_response(response):
        if response.status >= 400:
            seen.append(f"HTTP {response.status} {_path(response.url, base)}")

    def on_failed(request):
        if "ERR_ABORTED" not in (request.failure or ""):
            seen.append(f"request failed: {_path(request.url, base)} ({request.failure})")

    def on_console(message):
        if message.type == "error":
            seen.append(f"console error: {message.text[:200]}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("console", on_console)
    page.on("pageerror", lambda error: seen.append(f"page error: {str(error)[:200]}"))
    return seen


def _walk_role(
    page: Page, base: str, role: str, username: str, seen: list[str], problems: Problems
) -> None:
    phone = problems.size == "phone"
    log_in(page, base, username, password=demo_city.DEMO_PASSWORD)
    home = _path(page.url, base)
    hrefs = [home] + [h for h in _nav_links(page, phone, problems, role, base) if h != home]
    shots = os.environ.get("WALK_SHOTS")
    if shots and phone:  # the menu as the phone user sees it, opened
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"{role.replace(' ', '-')}_phone_menu-open.png"))
    menu, found = list(hrefs), {}
    if "/console/requests/" in menu:  # "mine" may well be empty: the whole queue has requests
        hrefs.insert(menu.index("/console/requests/") + 1, "/console/requests/?queue=all")
    for href in hrefs:
        seen.clear()
        try:
            page.goto(href if href.startswith("http") else base + href, wait_until="load")
            # htmx marks an element .htmx-request while its request runs (the parts a page
            # loads after it shows); waiting for "networkidle" would cost half a second a page.
            page.wait_for_function(IDLE_JS, timeout=3_000)
        except PlaywrightTimeout:
            seen.append("still loading after 3 s")
        where = _path(page.url, base)
        if "/accounts/login/" in where:
            seen.append(f"{href} sent the user back to the log-in page")
        for words in page.evaluate(ENGLISH_JS, ALLOWED_WORDS):
            seen.append(f"English: {words!r}")
        if phone and (overflow := page.evaluate(OVERFLOW_JS)):
            seen.append(
                f"wider than the phone: {overflow['scrollWidth']}px > {overflow['width']}px; "
                + "; ".join(overflow["culprits"])
            )
        if shots:
            slug = re.sub(r"[^a-z0-9]+", "-", href.lower()).strip("-") or "home"
            Path(shots).mkdir(parents=True, exist_ok=True)
            name = f"{role.replace(' ', '-')}_{problems.size}_{slug}.png"
            page.screenshot(path=str(Path(shots) / name), full_page=True)
        for problem in seen:
            problems.add(role, where, problem)
        hrefs.extend(d for d in _details(page, menu, found) if d not in hrefs)


def test_every_role_walks_its_navigation_cleanly(page: Page, live_server, demo_users):
    size = "phone" if page.viewport_size["width"] < 500 else "desktop"
    problems = Problems(size)
    seen = _listen(page, live_server.url)
    for role, username in demo_users.items():
        _walk_role(page, live_server.url, role, username, seen, problems)
    assert not problems.by_page, "Problems found on the walk:\n" + problems.report()
