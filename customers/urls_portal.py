"""/portal/: the shop owner's pages (namespace ``portal``); orders come from commerce."""

from django.urls import include, path

from customers import views

app_name = "portal"
urlpatterns = [
    path("", views.portal_home, name="home"),
    path("orders/", include("commerce.urls_portal")),
    path("requests/", include("servicedesk.urls_portal")),
    path("ask/", include("knowledge.urls_portal")),
    path("bookings/", include("dispatch.urls_portal")),
    path("surveys/", include("quality.urls_portal")),
]
