"""A minimal Django project serving django-helpdesk, the comparison system of bench/intake.py.

It runs in its own virtual environment (var/bench/helpdesk-venv), never in flexserve's: only
bench/intake.py starts it, with ``HELPDESK_DATABASE_URL`` and ``HELPDESK_SECRET_KEY`` set.
"""
