"""Knowledge pages of the staff console; included by customers.urls_console (``console``)."""

from django.urls import include, path

urlpatterns = [
    path("", include("knowledge.urls_entries")),
    path("curation/", include("knowledge.urls_curation")),
]
