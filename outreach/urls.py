"""/outreach/: campaigns and templates for staff; /outreach/mine/ for a shop's own messages."""

from django.urls import include, path

from outreach import views_console as views

app_name = "outreach"
urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/audience/", views.audience_preview, name="audience_preview"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("campaigns/<int:campaign_id>/cancel/", views.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<int:campaign_id>/export/", views.campaign_export, name="campaign_export"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/", views.template_edit, name="template_edit"),
    # The shop's own messages (outreach:my_messages …), in this namespace.
    path("mine/", include("outreach.urls_portal")),
]
