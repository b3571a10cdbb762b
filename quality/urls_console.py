"""Service-quality pages of the staff console; included by customers.urls_console (``console``)."""

from django.urls import path

from quality import views_console as views
from quality import views_import
from quality import views_initiatives as initiative_views

urlpatterns = [
    path("", views.quality_overview, name="quality"),
    path("waves/new/", views.quality_wave_new, name="quality_wave_new"),
    path("waves/<int:wave_id>/", views.quality_wave, name="quality_wave"),
    path("waves/<int:wave_id>/remind/", views.quality_wave_remind, name="quality_wave_remind"),
    path(
        "waves/<int:wave_id>/import/",
        views_import.quality_wave_import,
        name="quality_wave_import",
    ),
    path(
        "waves/<int:wave_id>/import/template.xlsx",
        views_import.quality_wave_import_template,
        name="quality_wave_import_template",
    ),
    path("initiatives/", initiative_views.quality_initiatives, name="quality_initiatives"),
    path(
        "initiatives/new/", initiative_views.quality_initiative_new, name="quality_initiative_new"
    ),
    path(
        "initiatives/<int:initiative_id>/",
        initiative_views.quality_initiative,
        name="quality_initiative",
    ),
    path(
        "initiatives/<int:initiative_id>/type/",
        initiative_views.quality_initiative_type,
        name="quality_initiative_type",
    ),
    path(
        "initiatives/<int:initiative_id>/goals/",
        initiative_views.quality_initiative_goal,
        name="quality_initiative_goal",
    ),
    path(
        "initiatives/<int:initiative_id>/waves/",
        initiative_views.quality_initiative_wave,
        name="quality_initiative_wave",
    ),
]
