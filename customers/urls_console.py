"""/console/: the staff pages (namespace ``console``); the order page comes from commerce."""

from django.urls import include, path

from customers import views

app_name = "console"
urlpatterns = [
    path("shops/", views.shop_list, name="shop_list"),
    path("shops/<int:shop_id>/", views.shop_detail, name="shop_detail"),
    path("shops/<int:shop_id>/edit/", views.shop_edit, name="shop_edit"),
    path("shops/<int:shop_id>/status/", views.shop_status, name="shop_status"),
    path("orders/", include("commerce.urls_console")),
    path("requests/", include("servicedesk.urls_console")),
    path("knowledge/", include("knowledge.urls_console")),
    path("dispatch/", include("dispatch.urls_console")),
    path("roster/", include("dispatch.urls_roster")),
    path("quality/", include("quality.urls_console")),
    path("dashboards/", include("dashboards.urls")),
    path("field/", include("dispatch.urls_field")),
    path("segments/", views.segments, name="segments"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/apply/", views.segment_apply, name="segment_apply"),
    path("plans/", views.plans, name="plans"),
    path("plans/<int:plan_id>/edit/", views.plan_edit, name="plan_edit"),
]
