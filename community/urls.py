"""/community/: articles and the forum for shops and staff (namespace ``community``); the
editors' and moderators' pages are under /community/manage/ (``urls_manage``)."""

from django.urls import include, path

from community import views_portal as views

app_name = "community"
urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<int:article_id>/", views.article, name="article"),
    path("articles/share/", views.share_experience, name="share"),
    path("images/<int:image_id>/", views.article_image, name="image"),
    path("mine/", views.mine, name="mine"),
    path("mine/articles/", views.mine, name="my_articles"),
    path("mine/preferences/", views.preference, name="preference"),
    path("forum/", views.forum_home, name="forum"),
    path("forum/search/", views.search, name="search"),
    path("forum/<int:category_id>/", views.category, name="category"),
    path("forum/<int:category_id>/new/", views.thread_new, name="thread_new"),
    path("threads/<int:thread_id>/", views.thread, name="thread"),
    path("threads/<int:thread_id>/reply/", views.reply, name="reply"),
    path("watch/", views.watch, name="watch"),
    path("posts/<int:post_id>/like/", views.like, name="like"),
    path("posts/<int:post_id>/useful/", views.useful, name="useful"),
    path("posts/<int:post_id>/flag/", views.flag, name="flag"),
    path("manage/", include("community.urls_manage")),
]
