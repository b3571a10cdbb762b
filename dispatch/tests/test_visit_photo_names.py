"""A visit photo's stored name is generated, never the uploaded one (moved from servicedesk's photo
upload tests: dispatch sits above servicedesk)."""

import re

from dispatch.models import VisitPhoto, VisitReport, visit_photo_path


def test_visit_photo_names_are_generated_from_the_detected_type():
    photo = VisitPhoto(content_type="image/webp", report=VisitReport(job_id=7))
    path = visit_photo_path(photo, "../../etc/evil.php")
    assert re.fullmatch(r"visits/7/[0-9a-f]{32}\.webp", path), path
