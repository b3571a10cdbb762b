"""Working-time pages of the console; included by customers.urls_console at roster/."""

from django.urls import path

from dispatch import views_roster as views

urlpatterns = [
    path("", views.roster_week, name="roster_week"),
    path("day/", views.roster_day, name="roster_day"),
    path("rules/", views.roster_rules, name="roster_rules"),
    path("profiles/<int:user_id>/", views.roster_profile, name="roster_profile"),
]
