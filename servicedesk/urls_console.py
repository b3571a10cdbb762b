"""Service-request pages of the staff console; included by customers.urls_console (``console``)."""

from django.urls import path

from servicedesk import views_analysis
from servicedesk import views_console as views

urlpatterns = [
    path("", views.work_queue, name="requests"),
    path("new/", views.request_new, name="request_new"),
    path("analysis/", views_analysis.process_analysis, name="request_analysis"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/unread/", views.notification_unread, name="notifications_unread"),
    path("<int:request_id>/", views.request_detail, name="request_detail"),
    path("<int:request_id>/act/<str:action>/", views.request_action, name="request_action"),
    path("<int:request_id>/take/", views.request_take, name="request_take"),
    path("<int:request_id>/assign/", views.request_assign, name="request_assign"),
    path("<int:request_id>/comment/", views.request_comment, name="request_comment"),
    path("<int:request_id>/support/", views.support_create, name="support_create"),
    path("support/<int:task_id>/<str:action>/", views.support_action, name="support_action"),
]
