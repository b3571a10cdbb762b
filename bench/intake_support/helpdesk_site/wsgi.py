"""WSGI entry point: gunicorn helpdesk_site.wsgi (with bench/intake_support on the path)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")

application = get_wsgi_application()
