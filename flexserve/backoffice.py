"""The back office (Django admin) in the UI's language.

- ``AdminConfig`` installs ``flexserve.admin.BackOfficeSite``: our header and titles instead of
  Django's "Django administration" (Django 管理).
- ``AxesConfig`` names django-axes' app in Chinese (axes has no zh_Hans catalogue and no
  ``verbose_name``, so the admin showed "AXES").
- The strings django-axes shows in the admin (model and field names) are translated in our
  catalogue; ``flexserve/vendor_messages.py`` keeps them there.
"""

from axes.apps import AppConfig as AxesAppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.utils.translation import gettext_lazy as _


class AdminConfig(DjangoAdminConfig):
    default_site = "flexserve.admin.BackOfficeSite"


class AxesConfig(AxesAppConfig):
    verbose_name = _("Log-in protection")
