"""Create the one public queue of the comparison site and print its id (idempotent).

HELPDESK_DATABASE_URL=… HELPDESK_SECRET_KEY=… python -m helpdesk_site.setup_data [CC]

With CC, the queue also mails CC about each new ticket (its "new ticket CC"), as a team that
wants to hear of new tickets sets it up; without, the queue is as created (no staff e-mail).
"""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.sites.models import Site  # noqa: E402
from helpdesk.models import Queue  # noqa: E402

Site.objects.update_or_create(
    id=settings.SITE_ID, defaults={"domain": "127.0.0.1", "name": "bench"}
)
queue, _ = Queue.objects.update_or_create(
    slug=settings.HELPDESK_PUBLIC_QUEUE_SLUG,
    defaults={
        "title": "Shop service requests",
        "allow_public_submission": True,
        "new_ticket_cc": sys.argv[1] if len(sys.argv) > 1 else "",
    },
)
print(queue.id)
