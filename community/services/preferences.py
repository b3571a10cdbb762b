"""A reader's recommendation settings; each change is audited (what, when, by whom)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from community.models import ReaderPreference, Topic
from flexserve import policy
from flexserve.errors import FieldInvalid
from flexserve.policy import Perm

if TYPE_CHECKING:
    from accounts.models import User


def preference_of(user: User) -> ReaderPreference:
    """The reader's settings; defaults (personalised, no chosen topic) until they change them."""
    found = ReaderPreference.objects.filter(user=user).first()
    return found or ReaderPreference(user=user)


@transaction.atomic
def preference_set(*, actor: User, personalised: bool, topics: list[str]) -> ReaderPreference:
    policy.require(actor, Perm.COMMUNITY_READ)
    unknown = [t for t in topics if t not in Topic.values]
    if unknown:
        raise FieldInvalid("topics", _("Unknown topic: %(v)s") % {"v": ", ".join(unknown)})
    pref = ReaderPreference.objects.select_for_update().filter(user=actor).first()
    before = {"personalised": True, "topics": []}
    if pref is None:
        pref = ReaderPreference(user=actor)
    else:
        before = {"personalised": pref.personalised, "topics": list(pref.topics)}
    after = {"personalised": bool(personalised), "topics": list(dict.fromkeys(topics))}
    if before == after and pref.pk:
        return pref
    pref.personalised, pref.topics = after["personalised"], after["topics"]
    pref.save()
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit_record(actor=actor, action="community.preference_set", target=pref, changes=changes)
    return pref
