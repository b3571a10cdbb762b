"""/o/: links that work without log-in (tracked links, one-click unsubscribe, provider receipts)."""

from django.urls import path

from outreach import views_public

app_name = "outreach_public"
urlpatterns = [
    path("l/<str:token>/", views_public.link, name="link"),
    path("u/<str:token>/", views_public.unsubscribe, name="unsubscribe"),
    path("hooks/<slug:provider>/", views_public.hook, name="hook"),
]
