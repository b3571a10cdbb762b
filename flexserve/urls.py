from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from flexserve import views
from flexserve.api import api
from servicedesk.views_files import attachment

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("customers.urls_portal", namespace="portal")),
    path("console/", include("customers.urls_console", namespace="console")),
    path("imports/", include("imports.urls", namespace="imports")),
    path("community/", include("community.urls", namespace="community")),
    path("outreach/", include("outreach.urls", namespace="outreach")),
    path("o/", include("outreach.urls_public", namespace="outreach_public")),
    path("files/requests/<int:attachment_id>/", attachment, name="request_attachment"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
