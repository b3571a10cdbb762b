"""/outreach/mine/: a shop's own messages and message settings; included by outreach.urls (namespace
``outreach``), so the names are ``outreach:my_messages`` and so on."""

from django.urls import path

from outreach import views_portal

urlpatterns = [
    path("", views_portal.my_messages, name="my_messages"),
    path("<int:delivery_id>/", views_portal.my_message, name="my_message"),
    path("preferences/", views_portal.preferences, name="preferences"),
]
