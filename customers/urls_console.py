from django.urls import path

from customers import views

app_name = "console"
urlpatterns = [
    path("shops/", views.shop_list, name="shop_list"),
    path("shops/<int:shop_id>/", views.shop_detail, name="shop_detail"),
    path("segments/", views.segments, name="segments"),
]
