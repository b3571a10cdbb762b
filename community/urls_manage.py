"""/community/manage/: article editing, the moderation queue and the sensitive-word list."""

from django.urls import path

from community import views_manage as views

urlpatterns = [
    path("review/", views.moderation, name="moderation"),
    path("review/posts/<int:post_id>/", views.moderation_post, name="moderation_post"),
    path(
        "review/posts/<int:post_id>/suspend/",
        views.moderation_suspend,
        name="moderation_suspend",
    ),
    path("review/articles/<int:article_id>/", views.moderation_article, name="moderation_article"),
    path("articles/", views.editor, name="editor"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path("articles/<int:article_id>/archive/", views.article_archive, name="article_archive"),
    path("articles/images/", views.article_images, name="article_images"),
    path("words/", views.words, name="words"),
    path("words/<int:word_id>/remove/", views.words_remove, name="words_remove"),
    path("words/allowed/", views.words_allowed, name="words_allowed"),
    path(
        "words/allowed/<int:phrase_id>/remove/",
        views.words_allowed_remove,
        name="words_allowed_remove",
    ),
    path("words/import/", views.words_import, name="words_import"),
    path("words/template.xlsx", views.words_template, name="words_template"),
    path("words/try/", views.words_try, name="words_try"),
]
