"""The chat of the shop portal; included by customers.urls_portal (namespace ``portal``)."""

from django.urls import path

from knowledge import views_portal as views

urlpatterns = [
    path("", views.ask, name="ask"),
    path("turns/<int:turn_id>/pick/<int:entry_id>/", views.pick, name="ask_pick"),
    path("turns/<int:turn_id>/rate/", views.rate, name="ask_rate"),
    path("<int:conversation_id>/handover/", views.hand_over, name="ask_handover"),
]
