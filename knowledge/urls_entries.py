"""/console/knowledge/: the knowledge base's entries (inside the ``console`` namespace)."""

from django.urls import path

from knowledge import views_entries as views

urlpatterns = [
    path("", views.entry_list, name="knowledge"),
    path("new/", views.entry_new, name="knowledge_new"),
    path("<int:entry_id>/", views.entry_detail, name="knowledge_entry"),
    path("<int:entry_id>/restore/<int:version>/", views.entry_restore, name="knowledge_restore"),
    path("try/", views.entry_try, name="knowledge_try"),
    path("export/", views.entry_export, name="knowledge_export"),
    path("import/", views.entry_import, name="knowledge_import"),
]
