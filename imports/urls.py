from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/progress/", views.job_progress, name="job_progress"),
    path("export/shops.csv", views.export_shops, {"fmt": "csv"}, name="export_shops_csv"),
    path("export/shops.xlsx", views.export_shops, {"fmt": "xlsx"}, name="export_shops_xlsx"),
    path("export/orders.csv", views.export_orders, {"fmt": "csv"}, name="export_orders_csv"),
    path("export/orders.xlsx", views.export_orders, {"fmt": "xlsx"}, name="export_orders_xlsx"),
]
