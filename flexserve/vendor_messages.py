"""Messages of Django and of third-party apps that we translate in our own catalogue.

Our ``locale/`` comes first in ``LOCALE_PATHS``, so an entry here wins over the package's own
translation (or fills in a missing one). ``makemessages`` only keeps msgids it finds in our
source, so each one is marked here; this module is never imported.

- Django's length messages say 该变量 ("this variable", programmer's jargon) in zh_Hans: every form
  field's ``max_length`` / ``min_length`` error reads as plain Chinese instead, in one place.
- django-axes has no zh_Hans catalogue; its admin shows these model and field names.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_FORM_MESSAGES = (
    gettext_noop("This field is required."),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    ngettext_lazy(
        "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)

THIRD_PARTY_MESSAGES = (
    # django-axes: models
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    # django-axes: fields and admin columns
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
)
