"""Booking pages of the shop portal; included by customers.urls_portal at bookings/ (``portal``)."""

from django.urls import path

from dispatch import views_portal as views

urlpatterns = [
    path("", views.booking_list, name="booking_list"),
    path("new/", views.booking_new, name="booking_new"),
    path("windows/", views.booking_windows, name="booking_windows"),
    path("<int:job_id>/", views.booking_detail, name="booking_detail"),
    path("<int:job_id>/reschedule/", views.booking_reschedule, name="booking_reschedule"),
    path("<int:job_id>/cancel/", views.booking_cancel, name="booking_cancel"),
]
