"""The back-office site: Django's admin with our name on it (installed by flexserve.backoffice)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class BackOfficeSite(admin.AdminSite):
    site_header = _("flexserve back office")
    site_title = _("flexserve back office")
    index_title = _("Back-office data")
