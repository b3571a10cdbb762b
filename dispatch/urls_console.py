"""/console/dispatch/: the dispatcher's board (included in the ``console`` namespace)."""

from django.urls import path

from dispatch import views_board

urlpatterns = [
    path("", views_board.board, name="dispatch_board"),
    path("optimise/", views_board.optimise, name="dispatch_optimise"),
    path("routine/", views_board.routine_visits, name="dispatch_routine"),
    path("plans/<int:plan_id>/", views_board.plan_progress, name="dispatch_plan"),
    path("plans/<int:plan_id>/publish/", views_board.plan_publish, name="dispatch_publish"),
    path("plans/<int:plan_id>/move/", views_board.plan_move, name="dispatch_move"),
    path("urgent/<int:request_id>/", views_board.urgent_visit, name="dispatch_urgent"),
]
