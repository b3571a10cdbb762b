"""Service-request pages of the shop portal; included by customers.urls_portal (``portal``)."""

from django.urls import path

from servicedesk import views_portal as views

urlpatterns = [
    path("", views.request_list, name="requests"),
    path("new/", views.request_new, name="request_new"),
    path("<int:request_id>/", views.request_detail, name="request_detail"),
    path("<int:request_id>/reply/", views.request_reply, name="request_reply"),
    path("<int:request_id>/<str:action>/", views.request_action, name="request_action"),
]
