"""Surveys and ratings of the shop portal; included by customers.urls_portal at surveys/
(namespace ``portal``). The services' notifications link to ``survey_answer`` and ``rating``."""

from django.urls import path

from quality import views_portal as views

urlpatterns = [
    path("", views.survey_list, name="surveys"),
    path("ratings/<int:rating_id>/", views.rating, name="rating"),
    path("<str:token>/", views.survey_answer, name="survey_answer"),
]
