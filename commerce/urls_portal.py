"""Order pages of the shop portal; included by customers.urls_portal (namespace ``portal``)."""

from django.urls import path

from commerce import views

urlpatterns = [
    path("", views.portal_order_list, name="orders"),
    path("<int:order_id>/", views.portal_order_detail, name="order_detail"),
]
