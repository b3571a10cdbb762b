"""The field staff's phone pages; included by customers.urls_console at ``field/`` (``console``)."""

from django.urls import path

from dispatch import views_field as views

urlpatterns = [
    path("", views.field_day, name="field_day"),
    path("jobs/<int:job_id>/", views.field_job, name="field_job"),
    path("jobs/<int:job_id>/check-in/", views.field_check_in, name="field_check_in"),
    path("photos/<int:photo_id>/", views.field_photo, name="field_photo"),
]
