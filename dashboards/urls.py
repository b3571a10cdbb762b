"""Dashboard pages of the staff console; included by customers.urls_console (``console``)."""

from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.service_dashboard, name="dashboards"),
    path("staff/", views.staff_dashboard, name="dashboards_staff"),
    path("requests/", views.request_list, name="dashboards_requests"),
]
