"""Order page of the staff console; included by customers.urls_console (namespace ``console``)."""

from django.urls import path

from commerce import views

urlpatterns = [
    path("<int:order_id>/", views.console_order_detail, name="order_detail"),
]
