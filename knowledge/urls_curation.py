"""/console/knowledge/curation/: the open questions clustered, their one-click actions and the
deflection charts (inside the ``console`` namespace)."""

from django.urls import path

from knowledge import views_curation as views

urlpatterns = [
    path("", views.curation, name="curation"),
    path("refresh/", views.curation_refresh, name="curation_refresh"),
    path("new/", views.curation_new, name="curation_new"),
    path("phrasings/", views.curation_phrasings, name="curation_phrasings"),
    path("dismiss/", views.curation_dismiss, name="curation_dismiss"),
    path("deflection/", views.deflection, name="deflection"),
]
