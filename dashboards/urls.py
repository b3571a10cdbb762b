"""Dashboard pages of the staff console; included by customers.urls_console (``console``)."""

from django.urls import path

from dashboards import views, views_initiatives, views_satisfaction, views_servqual

urlpatterns = [
    path("", views.service_dashboard, name="dashboards"),
    path("staff/", views.staff_dashboard, name="dashboards_staff"),
    path("requests/", views.request_list, name="dashboards_requests"),
    path(
        "satisfaction/", views_satisfaction.satisfaction_dashboard, name="dashboards_satisfaction"
    ),
    path("satisfaction/ratings/", views_satisfaction.rating_list, name="dashboards_ratings"),
    path("servqual/", views_servqual.servqual_dashboard, name="dashboards_servqual"),
    path("servqual/shops/", views_servqual.shops_below, name="dashboards_servqual_shops"),
    path("initiatives/", views_initiatives.initiatives_dashboard, name="dashboards_initiatives"),
    path("class-moves/", views_initiatives.class_moves, name="dashboards_class_moves"),
]
