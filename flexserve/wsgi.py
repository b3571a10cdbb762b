"""WSGI entry point (gunicorn flexserve.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flexserve.settings")

application = get_wsgi_application()
