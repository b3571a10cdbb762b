"""The zh_Hans catalogue is complete (every message translated, none fuzzy, placeholders kept),
gives each meaning of an ambiguous English word its own context, and uses the glossary's terms."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|\{\w*\}")


def _messages():
    with CATALOGUE.open("rb") as fh:
        return [m for m in read_po(fh) if m.id]


def test_every_message_is_translated_and_none_is_fuzzy():
    messages = _messages()
    assert len(messages) > 300
    untranslated = [m.id for m in messages if not all(m.string if m.pluralizable else [m.string])]
    assert untranslated == []
    assert [m.id for m in messages if m.fuzzy] == []


def test_translations_keep_every_placeholder():
    for message in _messages():
        source = message.id[0] if message.pluralizable else message.id
        target = message.string[0] if message.pluralizable else message.string
        expected = set(PLACEHOLDER.findall(source))
        if message.pluralizable:
            expected |= set(PLACEHOLDER.findall(message.id[1]))
        assert set(PLACEHOLDER.findall(target)) == expected, source


# Issue 13: one English word, two meanings.
#
# gettext keys a translation by (context, msgid). A short English label that two features use for
# different things ("Reopen" a request: 重新打开; "Reopen" a shop: 恢复营业) gets one translation,
# which is wrong in one of them. The source must then give each meaning a context:
# pgettext_lazy("shop action", "Reopen") or {% translate "Reopen" context "shop action" %}.

# Words that mean different things in this project: every use must carry a context.
ALWAYS_IN_CONTEXT = frozenset(
    {"Reopen", "Open", "Close", "Closed", "Active", "Pending", "Order", "order"}
    | {"Route", "route", "Kind", "From", "To"}
)
# One-word labels used without a context in more than one app, reviewed (issue 13) as meaning the
# same thing, with the same translation, in every app that uses them. A new word used across apps
# must be reviewed: add it here if it means one thing, or give its uses contexts if it does not.
SAME_MEANING_ACROSS_APPS = frozenset(
    # model field names and table headings
    {"code", "name", "kind", "active", "department", "phone", "time", "by", "note", "shop"}
    | {"status", "Status", "Shop", "Shops", "Phone", "Description", "description", "Delivery"}
    | {"Other", "Draft", "version", "Version", "position", "Note", "Owner", "owner", "District"}
    | {"When", "What", "By", "day", "priority", "Priority", "file", "category", "Row", "Column"}
    | {"Problem", "Required", "yes", "no", "Progress", "Photos", "Resolution", "Segmentation"}
    # request events (the audit trail names the request action it records)
    | {"Assigned", "Escalated", "Resume", "Resolve", "Visit"}
    # states: cancelled, failed, planned, done, queued, published mean the same for any object
    | {"Cancelled", "Failed", "Planned", "Done", "Queued", "Published", "Created"}
    # controls and navigation; "Start" is a time label and a button, 开始 fits both
    | {"Breadcrumbs", "All", "Show", "Save", "Edit", "After", "New", "Export", "Search", "Reset"}
    | {"Start", "Actions", "Cancel", "You", "Ask", "Send", "Import", "Notifications"}
    # survey answers, ratings and orders: answered, submitted, a comment or a reason mean the
    # same for a survey as for a question, an order or a request
    | {"Answered", "Submitted", "Comment", "comment", "Reason", "reason", "State", "state"}
    | {"Grid", "class", "question", "answer", "channel", "optional", "required", "Waiting"}
    # dashboard and report headings: a request, its type, channel and assignee, a period
    | {"Assignee", "CSAT", "Channel", "Code", "Current", "Dashboards", "Day", "Period", "Rank"}
    | {"Request", "Resolved", "Share", "Source", "Stage", "Type", "type", "h", "hours"}
    | {"Total", "Group", "Week", "Invited", "Respondents", "Overall", "mean", "Bookings"}
    # SERVQUAL and initiative terms shared by the quality pages and the dashboards
    | {"Dimension", "Expectation", "Perception", "Gap", "Importance", "Goals", "Metric"}
    | {"Deadline"}
    # messages to shops: the same words on the campaign, consent and quality pages
    | {"Delivered", "Settings", "Grade", "WeChat", "shops", "Class", "Scheduled", "Before"}
    | {"Messages", "Name", "Districts", "Grids", "text", "Sending", "initiative", "Sent"}
    | {"Channels"}
    # the community's pages, lists and content share the words of the other apps' pages
    | {"Archived", "Community", "Next", "Pages", "Preview", "Previous", "Reply", "Title", "title"}
    | {"Today", "Updated", "action", "content", "Staff"}
)


def _apps(message) -> set[str]:
    """The top-level folders (apps, or the site shell `templates`) of a message's source refs."""
    return {path.split("/", 1)[0] for path, _line in message.locations}


def test_ambiguous_words_always_carry_a_context():
    """An ambiguous word (ALWAYS_IN_CONTEXT) never appears as a msgid without a msgctxt."""
    bare = sorted(m.id for m in _messages() if not m.context and m.id in ALWAYS_IN_CONTEXT)
    assert bare == [], f"give these a context (pgettext / translate … context): {bare}"


def test_one_word_used_by_several_apps_is_reviewed_as_meaning_the_same():
    """A one-word msgid without context whose `#:` references span several apps is either reviewed
    as meaning the same there (SAME_MEANING_ACROSS_APPS) or split by context: otherwise one
    translation silently serves two meanings, as "Reopen" (恢复营业) did for a request.
    """
    unreviewed = sorted(
        m.id
        for m in _messages()
        if not m.context
        and isinstance(m.id, str)
        and re.fullmatch(r"[A-Za-z]+", m.id)
        and len(_apps(m)) > 1
        and m.id not in SAME_MEANING_ACROSS_APPS
    )
    assert unreviewed == [], (
        f"one word, several apps, no context: {unreviewed}; add a context to each meaning, "
        "or add the word to SAME_MEANING_ACROSS_APPS"
    )
    assert not ALWAYS_IN_CONTEXT & SAME_MEANING_ACROSS_APPS


def test_reopen_a_request_and_reopen_a_shop_are_translated_apart():
    by_context = {m.context: m.string for m in _messages() if m.id == "Reopen"}
    assert by_context == {"request action": "重新打开", "shop action": "恢复营业"}


# Issue 13: one word for one thing. docs/glossary.md holds the decisions.
GLOSSARY = Path(__file__).resolve().parents[2] / "docs/glossary.md"


def glossary_terms() -> list[tuple[str, str, list[str]]]:
    """(English, 中文, forbidden synonyms) for each row of the glossary's "## Terms" table."""
    rows, in_terms = [], False
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_terms = line.strip() == "## Terms"
            continue
        if not (in_terms and line.startswith("|")) or set(line) <= set("|- "):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0].startswith("English"):
            continue  # the heading row
        english, chinese, forbidden = cells[0], cells[1], cells[2]
        rows.append((english, chinese, [w for w in forbidden.split("、") if w not in {"", "—"}]))
    return rows


def test_the_glossary_settles_the_terms_the_ui_mixed_up():
    terms = {
        english.split(" (")[0]: (chinese, forbidden)
        for english, chinese, forbidden in glossary_terms()
    }
    assert terms["service request"] == ("诉求", ["工单", "服务请求", "服务诉求"])
    assert terms["request number"][0] == "诉求编号"
    for english, (chinese, forbidden) in terms.items():
        assert not any(word in chinese for word in forbidden), english


def test_translations_use_the_glossary_terms():
    """No msgstr uses a synonym that docs/glossary.md's Terms table forbids ("not" column)."""
    forbidden = {word: chinese for _english, chinese, words in glossary_terms() for word in words}
    assert forbidden
    found = []
    for message in _messages():
        for target in message.string if message.pluralizable else [message.string]:
            found += [(message.id, w, forbidden[w]) for w in forbidden if w in target]
    assert found == [], "\n".join(f"{m!r}: {w} → {c}" for m, w, c in found)
